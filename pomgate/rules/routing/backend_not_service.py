"""routing/backend-not-service: an Ingress backend is a resource, not a Service."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: assets
spec:
  ingressClassName: pomerium
  rules:
    - host: assets.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              resource:
                apiGroup: storage.example.com
                kind: Bucket
                name: static-assets
"""

GOOD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: assets
spec:
  ingressClassName: pomerium
  rules:
    - host: assets.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: static-assets
                port:
                  number: 80
"""

RULE = Rule(
    id="routing/backend-not-service",
    severity=Severity.ERROR,
    summary="A path or defaultBackend uses a resource backend instead of a Service",
    explanation=(
        "Kubernetes lets an Ingress backend point at an arbitrary `resource` instead of a `service`, but "
        "the Pomerium Ingress Controller can only route to Services. A path with a resource backend fails "
        "the Ingress while the controller gathers its Services (`services: rule host=... path=... has no "
        "backend service defined`): it gets an `UpdateError` event and none of its routes are applied. A "
        "`defaultBackend` with only a resource is worse: upstream's reconcile crashes on it. Put a Service "
        "in front of what the resource serves."
    ),
    bad=BAD,
    good=GOOD,
)
