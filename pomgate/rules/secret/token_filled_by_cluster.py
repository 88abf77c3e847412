"""secret/token-filled-by-cluster: a service-account-token Secret without its token in the input."""

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
  annotations:
    kubernetes.io/service-account.name: pomerium-k8s
type: kubernetes.io/service-account-token
"""

GOOD = (
    BAD
    + """\
data:
  token: ZXlKaGJHY2lPaUpTVXpJMU5pSjkuLi4=   # as read back from the cluster
"""
)

RULE = Rule(
    id="secret/token-filled-by-cluster",
    severity=Severity.INFO,
    summary="A service-account-token Secret has no token in the input; Kubernetes fills it in",
    explanation=(
        "`kubernetes_service_account_token_secret` reads the `token` key of a "
        "`kubernetes.io/service-account-token` Secret. Such Secrets are committed without data: Kubernetes' "
        "token controller fills in `token` once the Secret and its service account exist. Until then the "
        "controller fails the Ingress (`secret must have token key`, an `UpdateError` event) and retries "
        "when the Secret changes, so the first apply may briefly report an error. pomgate notes this and "
        "shows the token as unknown; check that the `kubernetes.io/service-account.name` annotation names "
        "an existing service account."
    ),
    bad=BAD,
    good=GOOD,
)
