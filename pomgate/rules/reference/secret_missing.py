"""reference/secret-missing: a Secret the Ingress names is not in the input."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/secure_upstream: "true"
    ingress.pomerium.io/tls_custom_ca_secret: "internal-ca"
"""

GOOD = """\
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
kind: Service
metadata:
  name: web
spec:
  ports:
    - name: https
      port: 443
      targetPort: 8443
---
apiVersion: v1
kind: Secret
metadata:
  name: internal-ca
type: Opaque
stringData:
  ca.crt: |
    -----BEGIN CERTIFICATE-----
    MIIBdzCCAR2gAwIBAgIUJ5k3
    -----END CERTIFICATE-----
"""

RULE = Rule(
    id="reference/secret-missing",
    severity=Severity.WARNING,
    summary="A Secret named by spec.tls or a *_secret annotation is not in the input",
    explanation=(
        "Before translating, the controller fetches every Secret in `spec.tls[].secretName` and every Secret "
        "named by an annotation whose key starts with `ingress.pomerium.io` and ends in `_secret`, always in "
        "the Ingress' namespace. If one does not exist the Ingress fails (`tls: get secret <ns>/<name>: ... "
        "not found`): it gets an `UpdateError` event, none of its routes are applied, and it is retried when "
        "the Secret appears. Repositories often leave Secrets out (created by hand, by cert-manager or by a "
        "secrets operator), so offline this is a warning and the values that depend on the Secret are shown "
        "as unknown; pomgate mentions a Secret of the same name in another namespace. SealedSecrets, "
        "ExternalSecrets and SOPS-encrypted Secrets count as present. In controller (live) mode it is an "
        "error."
    ),
    bad=BAD,
    good=GOOD,
)
