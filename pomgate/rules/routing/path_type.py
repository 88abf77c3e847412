"""routing/path-type: a path's pathType (or path) does not suit the route kind."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: postgres
  annotations:
    ingress.pomerium.io/tcp_upstream: "true"
spec:
  ingressClassName: pomerium
  rules:
    - host: pg.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: postgres
                port:
                  number: 5432
"""

GOOD = BAD.replace("          - path: /\n            pathType: Prefix", "          - pathType: ImplementationSpecific")

RULE = Rule(
    id="routing/path-type",
    severity=Severity.ERROR,
    summary="A path has no pathType, an unknown one, or one that TCP/UDP/SSH routes do not allow",
    explanation=(
        "HTTP routes map `Exact` to Pomerium's `path`, `Prefix` to `prefix`, and `ImplementationSpecific` "
        'to `prefix` (or `regex` with `ingress.pomerium.io/path_regex: "true"`); a missing or unknown '
        "pathType is an error (Kubernetes already refuses both, see `k8s/ingress-path`). With "
        "`tcp_upstream`, `udp_upstream` or `ssh_upstream` the route is addressed by host (and port) only, "
        "so every path must use `pathType: ImplementationSpecific` and "
        "no `path`. Otherwise the Ingress fails (`tcp services must have ImplementationSpecific path type`, "
        "`... must not specify path, got /`): it gets an `UpdateError` event and none of its routes are "
        "applied."
    ),
    bad=BAD,
    good=GOOD,
)
