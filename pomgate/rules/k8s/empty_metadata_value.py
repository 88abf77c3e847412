"""k8s/empty-metadata-value: an annotation or label has no value (null)."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/empty-metadata-value",
    severity=Severity.WARNING,
    summary="An annotation or label value is null (`key:`, `~` or `null`)",
    explanation=(
        "A key with nothing after it, `~` or `null` is a YAML null. The API server and kubectl 1.33+ store "
        "it as an empty string, but client-side `kubectl apply` up to 1.32 silently dropped every label "
        'or annotation of such an object. Write `""` when an empty value is meant, or remove the key.'
    ),
    bad=ingress("  name: web\n", "  name: web\n  labels:\n    team:\n"),
    good=ingress("  name: web\n", '  name: web\n  labels:\n    team: "platform"\n'),
)
