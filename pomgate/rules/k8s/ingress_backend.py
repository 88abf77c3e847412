"""k8s/ingress-backend: a backend Kubernetes rejects."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/ingress-backend",
    severity=Severity.ERROR,
    summary="A backend without service or resource, with both, or with a bad service name or port",
    explanation=(
        "Each backend (of a path or `spec.defaultBackend`) needs exactly one of `service` and `resource`. A "
        "service backend needs `name`, a DNS-1035 label (lowercase, starts with a letter, no dots, at most "
        "63 characters), and exactly one of `port.number` (1-65535) and `port.name`. A port name must be an "
        "IANA service name: at most 15 lowercase letters, digits and `-`, with at least one letter, so a "
        "Service port named `http_api` or `very-long-port-name` cannot be referenced by name."
    ),
    bad=ingress("                  number: 80\n", "                  number: 80\n                  name: http\n"),
    good=ingress(),
)
