"""k8s/ingress-host: a rule host is not a valid DNS name."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/ingress-host",
    severity=Severity.ERROR,
    summary="`spec.rules[].host` is not a lowercase DNS name (or is an IP address)",
    explanation=(
        "A rule host must be a lowercase RFC 1123 subdomain: no uppercase, `_`, port (`:443`), scheme "
        "(`https://`), path or trailing dot. A wildcard is allowed only as the whole first label "
        '(`"*.example.com"`; `*`, `a.*.example.com` and `*a.example.com` are rejected), and an IP address '
        "is rejected (`must be a DNS name, not an IP address`). Leave `host` out to match every host."
    ),
    bad=ingress("    - host: app.example.com\n", "    - host: App.Example.com\n"),
    good=ingress(),
)
