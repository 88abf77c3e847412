"""k8s/namespace-name: metadata.namespace is not a DNS-1123 label."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import INGRESS, SERVICE

BAD = INGRESS.replace("  name: web\n", "  name: web\n  namespace: team.web\n", 1) + SERVICE.replace(
    "  name: web\n", "  name: web\n  namespace: team.web\n"
)
GOOD = BAD.replace("team.web", "team-web")

RULE = Rule(
    id="k8s/namespace-name",
    severity=Severity.ERROR,
    summary="`metadata.namespace` is not a valid namespace name",
    explanation=(
        "A namespace name is a lowercase RFC 1123 label: letters, digits and `-`, at most 63 characters, "
        "starting and ending with a letter or digit, and no dots (`metadata.namespace: Invalid value: "
        '"team.web": must not contain dots`). Every object in such a namespace is rejected.'
    ),
    bad=BAD,
    good=GOOD,
)
