"""k8s/label: a label key or value breaks the label syntax."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/label",
    severity=Severity.ERROR,
    summary="A label key or value breaks the label syntax",
    explanation=(
        "Label keys are qualified names: an optional lowercase DNS subdomain prefix and `/`, then a name of "
        "at most 63 characters made of letters, digits, `-`, `_` and `.` that starts and ends with a letter "
        "or digit; keys are case-sensitive. Label values are empty or follow the same rule as the name part "
        "(at most 63 characters), so spaces, `/`, `:` and long values such as URLs or commit messages are "
        "rejected (`metadata.labels: Invalid value: ...`). Put free text in an annotation instead."
    ),
    bad=ingress("  name: web\n", '  name: web\n  labels:\n    app.kubernetes.io/name: "web app"\n'),
    good=ingress("  name: web\n", '  name: web\n  labels:\n    app.kubernetes.io/name: "web-app"\n'),
)
