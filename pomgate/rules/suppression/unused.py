"""suppression/unused: a pomgate.io/ignore entry that matched no finding."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    pomgate.io/ignore: "annotation/unknown: lb_policy is still needed by the old controller"
    ingress.pomerium.io/load_balancing_policy: "round_robin"
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

GOOD = BAD.replace('    pomgate.io/ignore: "annotation/unknown: lb_policy is still needed by the old controller"\n', "")

RULE = Rule(
    id="suppression/unused",
    severity=Severity.WARNING,
    summary="A pomgate.io/ignore entry matches no finding on its object",
    explanation=(
        "A suppression that no longer matches anything (the problem was fixed, the rule id is misspelt, or "
        "it sits on a different object than the finding) only hides future problems of that rule on the "
        "object and misleads reviewers. Like an unused `noqa` comment, it is reported so it can be removed. "
        "An entry naming a family (`reference` or `reference/*`) matches every rule of that family."
    ),
    bad=BAD,
    good=GOOD,
)
