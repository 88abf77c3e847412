"""k8s/ingress-spec: an Ingress has neither rules nor a defaultBackend."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import SERVICE

BAD = (
    """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: pomerium
"""
    + SERVICE
)

GOOD = (
    """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
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
    + SERVICE
)

RULE = Rule(
    id="k8s/ingress-spec",
    severity=Severity.ERROR,
    summary="An Ingress has neither `rules` nor `defaultBackend`",
    explanation=(
        "Kubernetes rejects an Ingress without `spec`, or whose spec has no `rules` (or an empty list) and "
        "no `defaultBackend`: ``spec: Invalid value: ...: either `defaultBackend` or `rules` must be "
        "specified``. A spec indented one level too deep or too shallow often causes this."
    ),
    bad=BAD,
    good=GOOD,
)
