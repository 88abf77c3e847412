"""secret/header-keys-unknown: header Secret keys cannot be checked for overlap."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/set_request_headers: '{"X-Team": "platform"}'
    ingress.pomerium.io/set_request_headers_secret: "upstream-auth"
"""

GOOD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    ingress.pomerium.io/set_request_headers: '{"X-Team": "platform"}'
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
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: upstream-auth
spec:
  encryptedData:
    Authorization: AgBy3i4OJSWK+PiTySYZZA==
"""

RULE = Rule(
    id="secret/header-keys-unknown",
    severity=Severity.INFO,
    summary="The keys of a header Secret are not visible, so overlap with inline headers cannot be checked",
    explanation=(
        "With both `set_request_headers` (or `set_response_headers`) and its `_secret` companion, the "
        "controller fails the Ingress when a Secret key repeats an inline header name "
        "(`secret/header-overlap`). pomgate can only check that when it sees the Secret's key names: it "
        "reports this note when the Secret is not in the input, or when it is produced by an object that "
        "does not show its keys (an ExternalSecret with `dataFrom`). SealedSecrets, ExternalSecrets with "
        "`data` and SOPS-encrypted Secrets show their keys and are checked. Nothing is wrong yet; make "
        "sure the Secret does not repeat an inline header."
    ),
    bad=BAD,
    good=GOOD,
)
