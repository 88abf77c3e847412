"""pomgate: see what Ingress changes do to Pomerium before they merge."""

__version__ = "0.1.0"
