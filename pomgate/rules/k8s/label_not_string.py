"""k8s/label-not-string: a label value is a YAML bool or number, not a string."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/label-not-string",
    severity=Severity.ERROR,
    summary="A label value is an unquoted bool or number",
    explanation=(
        "Label values are strings. An unquoted `2`, `1.0`, `true` or `no` is a number or bool for kubectl's "
        "YAML 1.1 reader, and kubectl 1.17+ refuses the object (`json: cannot unmarshal number into Go "
        "struct field ObjectMeta.metadata.labels of type string`) before anything reaches the cluster. "
        "Quote the value."
    ),
    bad=ingress("  name: web\n", "  name: web\n  labels:\n    release: 2\n"),
    good=ingress("  name: web\n", '  name: web\n  labels:\n    release: "2"\n'),
)
