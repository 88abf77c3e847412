"""Rules about `ingress.pomerium.io/*` annotation names and values."""
