"""secret/missing-key: a Secret lacks the key an annotation reads."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    ingress.pomerium.io/secure_upstream: "true"
    ingress.pomerium.io/tls_custom_ca_secret: "internal-ca"
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
kind: Secret
metadata:
  name: internal-ca
type: Opaque
stringData:
  ca.pem: |
    -----BEGIN CERTIFICATE-----
    MIIBdzCCAR2gAwIBAgIUJ5k3
    -----END CERTIFICATE-----
"""

GOOD = BAD.replace("  ca.pem: |", "  ca.crt: |")

RULE = Rule(
    id="secret/missing-key",
    severity=Severity.ERROR,
    summary="A Secret named by an annotation lacks the key the controller reads",
    explanation=(
        "Secret annotations read fixed keys, which must exist and be non-empty: `tls_custom_ca_secret` and "
        "`tls_downstream_client_ca_secret` read `ca.crt`; `tls_client_secret` reads `tls.crt` and "
        "`tls.key` (upstream's message then wrongly names `ca.crt`); "
        "`kubernetes_service_account_token_secret` reads `token`; `mcp_server_upstream_oauth2_secret` "
        "needs `client_id` or `client_secret`. A missing key fails the Ingress (`annotation "
        "tls_custom_ca_secret references secret internal-ca, key ca.crt has no data`): it gets an "
        "`UpdateError` event and none of its routes are applied. Key names are case-sensitive: `ca.pem` or "
        "`CA.crt` do not count. (A `kubernetes.io/service-account-token` Secret committed without data is "
        "`secret/token-filled-by-cluster` instead.)"
    ),
    bad=BAD,
    good=GOOD,
)
