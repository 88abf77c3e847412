"""input/object-missing-name: an object has no usable metadata.name."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  generateName: web-
spec:
  ingressClassName: pomerium
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
"""

GOOD = BAD.replace("generateName: web-", "name: web")

RULE = Rule(
    id="input/object-missing-name",
    severity=Severity.ERROR,
    summary="An object has no metadata, no metadata.name, or a name that is not a string",
    explanation=(
        "Every Kubernetes object needs a string `metadata.name`; without one kubectl refuses it (`kubectl "
        "apply` also rejects `generateName`, which only `kubectl create` accepts). The Ingress Controller "
        "builds route ids and names from the Ingress name, and Ingresses find Services and Secrets by name, "
        "so pomgate cannot place such an object: it is left out of the analysis and nothing refers to it."
    ),
    bad=BAD,
    good=GOOD,
)
