"""reference/endpoints-missing: a backend Service has no Endpoints object (controller mode)."""

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
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""

GOOD = (
    BAD
    + """\
---
apiVersion: v1
kind: Endpoints
metadata:
  name: web
subsets:
  - addresses:
      - ip: 10.0.0.12
    ports:
      - name: http
        port: 8080
"""
)

RULE = Rule(
    id="reference/endpoints-missing",
    severity=Severity.ERROR,
    summary="A backend Service has no Endpoints object (controller mode only)",
    explanation=(
        "For every backend Service that is not of type ExternalName, the controller also fetches the "
        "core/v1 Endpoints object of the same name (it never reads EndpointSlices) and fails the Ingress "
        "when it does not exist, even though an empty one would do: `services: ... failed to get service "
        'information: endpoints "<name>" not found`, an `UpdateError` event, and none of its routes '
        "applied. Kubernetes creates Endpoints for Services with a selector; a selector-less Service needs "
        "one written by hand. Repositories never hold Endpoints, so this is only checked in controller "
        "(live) mode, where EndpointSlices of the Service stand in for Endpoints."
    ),
    bad=BAD,
    good=GOOD,
)
