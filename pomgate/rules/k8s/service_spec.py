"""k8s/service-spec: a Service spec Kubernetes rejects."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import service

_TWO_PORTS = "  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n    - port: 9090\n"

RULE = Rule(
    id="k8s/service-spec",
    severity=Severity.ERROR,
    summary="A Service port, type, protocol or selector Kubernetes rejects",
    explanation=(
        "A Service needs at least one port (unless headless or `ExternalName`); with several ports each "
        "needs a unique `name` that is a lowercase RFC 1123 label (`http_api` is rejected). `port` is "
        "1-65535, `protocol` is exactly `TCP`, `UDP` or `SCTP`, a named `targetPort` is an IANA service "
        "name (at most 15 characters), `type` is `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`, "
        "`nodePort` is forbidden with `ClusterIP`, and selector keys and values follow the label syntax."
    ),
    bad=service("  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n", _TWO_PORTS),
    good=service(
        "  ports:\n    - name: http\n      port: 80\n      targetPort: 8080\n",
        _TWO_PORTS.replace("    - port: 9090\n", "    - name: metrics\n      port: 9090\n"),
    ),
)
