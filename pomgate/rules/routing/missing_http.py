"""routing/missing-http: an Ingress rule without an http section."""

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
    - host: api.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: api
                port:
                  number: 80
"""

GOOD = BAD.replace("    - host: app.example.com\n", "")

RULE = Rule(
    id="routing/missing-http",
    severity=Severity.ERROR,
    summary="An Ingress rule has a host but no http paths",
    explanation=(
        "A rule with only a `host` is valid for Kubernetes, but the Pomerium controller requires `http` in "
        "every rule and fails the "
        "Ingress with `rules.http is required`: it gets an `UpdateError` event and none of its routes, "
        "including those of the complete rules, are applied. Remove the rule or give it paths."
    ),
    bad=BAD,
    good=GOOD,
)
