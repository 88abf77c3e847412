"""routing/default-backend-tls: a defaultBackend without exactly one TLS host."""

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
  defaultBackend:
    service:
      name: web
      port:
        number: 80
"""

GOOD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: pomerium
  tls:
    - hosts:
        - app.example.com
  defaultBackend:
    service:
      name: web
      port:
        number: 80
"""

RULE = Rule(
    id="routing/default-backend-tls",
    severity=Severity.ERROR,
    summary="spec.defaultBackend needs exactly one spec.tls entry with exactly one host",
    explanation=(
        "Pomerium routes need a hostname, and a `defaultBackend` has none. The controller takes it from "
        "the TLS section: it requires exactly one `spec.tls` entry holding exactly one host, and turns the "
        "default backend into a route for that host with the prefix `/`. With no TLS entry, several, or a "
        "number of hosts other than one, the Ingress fails (`defaultBackend: deriving host: expected one "
        "TLS spec, got N`): it gets an `UpdateError` event and none of its routes, not even those of "
        "`spec.rules`, are applied. (The public documentation says default backends are unsupported; the "
        "controller supports them this way.)"
    ),
    bad=BAD,
    good=GOOD,
)
