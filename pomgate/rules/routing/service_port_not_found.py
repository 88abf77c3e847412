"""routing/service-port-not-found: a backend names a port its Service does not have."""

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
                  name: https
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

GOOD = BAD.replace("                  name: https\n", "                  name: http\n")

RULE = Rule(
    id="routing/service-port-not-found",
    severity=Severity.ERROR,
    summary="A backend refers to a Service port name the Service does not define",
    explanation=(
        "A backend may name its Service port (`port.name`) instead of giving the number. The controller "
        "looks the name up among the Service's `spec.ports` to build the upstream URL (and the `from` "
        "port of TCP/UDP routes); if no port has that name the Ingress fails (`get service <ns>/<name> "
        "port by name https: could not find port https on service ...`): it gets an `UpdateError` event "
        "and none of its routes are applied. Port names are case-sensitive. pomgate lists the ports the "
        "Service does have."
    ),
    bad=BAD,
    good=GOOD,
)
