"""secret/type: a Secret named by an annotation has the wrong type."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: k8s-api
  annotations:
    ingress.pomerium.io/kubernetes_service_account_token_secret: "pomerium-k8s-token"
    ingress.pomerium.io/secure_upstream: "true"
spec:
  ingressClassName: pomerium
  rules:
    - host: k8s.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: kubernetes
                port:
                  number: 443
---
apiVersion: v1
kind: Secret
metadata:
  name: pomerium-k8s-token
type: Opaque
stringData:
  token: eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl
"""

GOOD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: k8s-api
  annotations:
    ingress.pomerium.io/kubernetes_service_account_token_secret: "pomerium-k8s-token"
    ingress.pomerium.io/secure_upstream: "true"
spec:
  ingressClassName: pomerium
  rules:
    - host: k8s.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: kubernetes
                port:
                  number: 443
---
apiVersion: v1
kind: Secret
metadata:
  name: pomerium-k8s-token
  annotations:
    kubernetes.io/service-account.name: pomerium-k8s
type: kubernetes.io/service-account-token
"""

RULE = Rule(
    id="secret/type",
    severity=Severity.ERROR,
    summary="A Secret named by an annotation does not have the type the controller requires",
    explanation=(
        "Some Secret annotations require an exact Secret `type`: `kubernetes_service_account_token_secret` "
        "needs `kubernetes.io/service-account-token`; `set_request_headers_secret`, "
        "`set_response_headers_secret`, `identity_provider_secret` and `mcp_server_upstream_oauth2_secret` "
        "need `Opaque` (a Secret without `type` is `Opaque`). The TLS Secret annotations do not check the "
        "type. Any other type fails the Ingress (`annotation kubernetes_service_account_token_secret secret "
        "is expected to have type kubernetes.io/service-account-token, got Opaque`): it gets an "
        "`UpdateError` event and none of its routes are applied. A pasted token in an Opaque Secret does "
        "not work; let Kubernetes issue it into a service-account-token Secret."
    ),
    bad=BAD,
    good=GOOD,
)
