"""Rules about how Ingress hosts, paths and backends become Pomerium routes."""
