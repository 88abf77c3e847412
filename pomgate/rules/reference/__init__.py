"""Rules about objects an Ingress refers to that are not in the input."""
