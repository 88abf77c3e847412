"""suppression/invalid: a pomgate.io/ignore entry without the '<rule-id>: <reason>' form."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    pomgate.io/ignore: "reference/service-missing"
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

GOOD = BAD.replace(
    '"reference/service-missing"', '"reference/service-missing: the web Service is created by the app chart"'
)

RULE = Rule(
    id="suppression/invalid",
    severity=Severity.WARNING,
    summary="A pomgate.io/ignore entry is malformed or has no reason",
    explanation=(
        "The `pomgate.io/ignore` annotation silences findings on the object that carries it. Each entry "
        "(one per line, or separated by `;`) must read `<rule-id or family>: <reason>`; the reason is "
        "required so that every suppression explains itself in review. An entry without a reason, or one "
        "that does not look like a rule id, suppresses nothing and is reported. The annotation is outside "
        "the `ingress.pomerium.io/` prefix on purpose: the controller ignores it."
    ),
    bad=BAD,
    good=GOOD,
)
