"""routing/empty-host: an Ingress rule without a host."""

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
    - http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
"""

GOOD = BAD.replace("    - http:\n", "    - host: app.example.com\n      http:\n")

RULE = Rule(
    id="routing/empty-host",
    severity=Severity.ERROR,
    summary="An Ingress rule has no host",
    explanation=(
        "Kubernetes accepts a rule without `host` (it matches every host), but Pomerium routes are "
        "addressed by hostname. The controller fails such an Ingress (`ingress rule has empty host; if this "
        "is intentional, set the annotation 'ingress.pomerium.io/subtle_allow_empty_host=true'`): it gets "
        "an `UpdateError` event and none of its routes are applied. Give the rule a host, or, if a "
        "catch-all route for every hostname really is intended, set `ingress.pomerium.io/"
        'subtle_allow_empty_host: "true"`, which turns the empty host into `*`.'
    ),
    bad=BAD,
    good=GOOD,
)
