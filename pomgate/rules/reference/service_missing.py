"""reference/service-missing: a backend Service is not in the input."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
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

GOOD = (
    BAD
    + """\
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""
)

RULE = Rule(
    id="reference/service-missing",
    severity=Severity.WARNING,
    summary="A backend Service of the Ingress is not in the input",
    explanation=(
        "The controller fetches the Service of every backend (and of `spec.defaultBackend`) from the "
        "Ingress' namespace before translating. A missing Service fails the Ingress (`services: rule "
        "host=... refers to service <ns>/<name> ..., failed to get service information: ... not found`): "
        "it gets an `UpdateError` event and none of its routes are applied until the Service exists. "
        "Offline the Service may simply live in another repository or chart, so this is a warning; the "
        "upstream URL is shown as the Service DNS name, and pomgate mentions a Service of the same name in "
        "another namespace. In controller (live) mode it is an error."
    ),
    bad=BAD,
    good=GOOD,
)
