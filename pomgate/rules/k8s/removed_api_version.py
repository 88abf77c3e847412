"""k8s/removed-api-version: an Ingress or IngressClass uses an API version Kubernetes no longer serves."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import SERVICE, ingress

BAD = (
    """\
apiVersion: extensions/v1beta1
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
            backend:
              serviceName: web
              servicePort: 80
"""
    + SERVICE
)

RULE = Rule(
    id="k8s/removed-api-version",
    severity=Severity.ERROR,
    summary="Ingress `extensions/v1beta1` / `networking.k8s.io/v1beta1` (or IngressClass v1beta1)",
    explanation=(
        "Kubernetes 1.22 stopped serving the beta Ingress APIs (`extensions/v1beta1`, "
        "`networking.k8s.io/v1beta1`) and the beta IngressClass API. kubectl fails with `resource mapping "
        'not found ... no matches for kind "Ingress" in version "extensions/v1beta1"`. Move to '
        "`networking.k8s.io/v1`: the backend becomes `service.name` / `service.port.number` (or "
        "`port.name`), `spec.backend` becomes `spec.defaultBackend`, and every path needs a `pathType`."
    ),
    bad=BAD,
    good=ingress(),
)
