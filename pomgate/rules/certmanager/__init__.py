"""cert-manager rules: certificates for Pomerium Ingresses."""
