"""suppression/unknown-rule: a pomgate.io/ignore entry names a rule or family that does not exist."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    pomgate.io/ignore: "upstream/tls-skip-verfy: the legacy app has a self-signed certificate"
    ingress.pomerium.io/secure_upstream: "true"
    ingress.pomerium.io/tls_skip_verify: "true"
    ingress.pomerium.io/allow_any_authenticated_user: "true"
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
                  number: 443
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - name: https
      port: 443
"""

GOOD = BAD.replace("tls-skip-verfy:", "tls-skip-verify:")

RULE = Rule(
    id="suppression/unknown-rule",
    severity=Severity.ERROR,
    summary="A pomgate.io/ignore entry names a rule id or family that does not exist",
    explanation=(
        "A suppression only silences findings of the rule (or family) it names. A misspelt id can never "
        "match, so the finding it was written for stays, or worse, goes unnoticed once the real problem "
        "appears under the correct id. pomgate checks every entry of `pomgate.io/ignore` against the rule "
        "catalog (`pomgate rules`) and reports unknown names with the nearest known ones (did you mean ...?). "
        "The same check applies to `select`, `ignore` and `severity` in the configuration file, where an "
        "unknown name stops the run."
    ),
    bad=BAD,
    good=GOOD,
)
