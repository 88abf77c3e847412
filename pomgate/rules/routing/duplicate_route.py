"""routing/duplicate-route: two routes of one Ingress have the same host and path."""

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
          - path: /api
            pathType: Prefix
            backend:
              service:
                name: api
                port:
                  number: 80
          - path: /api
            pathType: Exact
            backend:
              service:
                name: api-root
                port:
                  number: 80
"""

GOOD = BAD.replace(
    "          - path: /api\n            pathType: Exact", "          - path: /\n            pathType: Exact"
)

RULE = Rule(
    id="routing/duplicate-route",
    severity=Severity.ERROR,
    summary="One Ingress defines the same host and path twice",
    explanation=(
        "The controller keys each route by Ingress namespace and name, host and path text; the pathType "
        "and the backend are not part of the key. Two paths of one Ingress with the same host and path "
        "(also under different pathTypes, or in two rules for the same host), two TCP/UDP ports on one "
        "host (their path is empty), or a `defaultBackend` whose TLS host also has a rule for `/` collide, "
        "and the Ingress fails with `indexing new routes: duplicate route {...}`: an `UpdateError` event "
        "and none of its routes applied. The same host and path in two different Ingresses is not an error."
    ),
    bad=BAD,
    good=GOOD,
)
