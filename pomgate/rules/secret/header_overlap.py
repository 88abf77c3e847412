"""secret/header-overlap: a header Secret repeats an inline header."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    ingress.pomerium.io/set_request_headers: '{"X-Team": "platform", "Authorization": "Bearer dev"}'
    ingress.pomerium.io/set_request_headers_secret: "upstream-auth"
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
kind: Secret
metadata:
  name: upstream-auth
type: Opaque
stringData:
  Authorization: Bearer s3cr3t
"""

GOOD = BAD.replace(', "Authorization": "Bearer dev"', "")

RULE = Rule(
    id="secret/header-overlap",
    severity=Severity.ERROR,
    summary="A header Secret sets a header that the inline header annotation already sets",
    explanation=(
        "`set_request_headers_secret` (and `set_response_headers_secret`) adds every key of an Opaque "
        "Secret as a header to the inline `set_request_headers` map. If a Secret key equals an inline "
        "header name exactly (case-sensitive: `X-A` and `x-a` do not collide) the controller fails the "
        "Ingress (`annotation set_request_headers_secret: secret contains key Authorization that was "
        "already specified by a non-secret rule`): it gets an `UpdateError` event and none of its routes "
        "are applied. Keep each header in one place."
    ),
    bad=BAD,
    good=GOOD,
)
