"""reference/service-port-unknown: a named backend port cannot be resolved offline."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
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
                  name: http
"""

GOOD = (
    BAD
    + """\
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
)

RULE = Rule(
    id="reference/service-port-unknown",
    severity=Severity.WARNING,
    summary="A backend names its Service port, but the Service is not in the input",
    explanation=(
        "The controller turns a named backend port (`port.name`) into the Service's port number, which "
        "goes into the upstream URL (and into `from` for TCP/UDP routes). When the Service is not in the "
        "input pomgate cannot know that number, so the rendered `to` URL is shown without a port and a "
        "wrong port name cannot be detected (see `routing/service-port-not-found`). Add the Service to the "
        "input or refer to the port by number. Only offline, and folded into the `reference/service-missing` "
        "finding of the same Service (one finding per missing object, naming the unresolved ports)."
    ),
    bad=BAD,
    good=GOOD,
)
