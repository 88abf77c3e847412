"""k8s/ingress-tls: a TLS host or secretName Kubernetes rejects."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

_TLS = "  tls:\n    - hosts: [app.example.com]\n      secretName: {}\n  rules:\n"

RULE = Rule(
    id="k8s/ingress-tls",
    severity=Severity.ERROR,
    summary="A `spec.tls` host is not a DNS name, or `secretName` is not a Secret name",
    explanation=(
        "`spec.tls[].hosts` follow the rule host syntax (lowercase RFC 1123 subdomain, or a `*.` wildcard "
        "as the first label). `secretName` must be a valid Secret name: the Secret is always read from the "
        "Ingress's own namespace, so `namespace/name` is rejected (`spec.tls[0].secretName: Invalid value: "
        '"default/web-tls": a lowercase RFC 1123 subdomain ...`), as are uppercase letters and `_`.'
    ),
    bad=ingress("  rules:\n", _TLS.format("default/web-tls")),
    good=ingress("  rules:\n", _TLS.format("web-tls")),
)
