"""Rules about Secrets named by an Ingress: type, keys, certificates and header overlap."""
