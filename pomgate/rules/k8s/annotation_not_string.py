"""k8s/annotation-not-string: an annotation value is a YAML bool or number, not a string."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

_ANNOTATED = "  name: web\n  annotations:\n    ingress.pomerium.io/pass_identity_headers: {}\n"

RULE = Rule(
    id="k8s/annotation-not-string",
    severity=Severity.ERROR,
    summary="An annotation value is an unquoted bool or number",
    explanation=(
        "Annotation values are strings. kubectl reads YAML 1.1, so an unquoted `true`, `yes`, `on`, `30` or "
        "`0.5` is a bool or number, and kubectl 1.17+ refuses the whole object before sending it "
        "(`json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.annotations of type string`); "
        "older kubectl silently dropped every annotation of the object. Quote the value. pomgate checks the "
        "rest of the object with the value read as text, but renders no routes for it."
    ),
    bad=ingress("  name: web\n", _ANNOTATED.format("true")),
    good=ingress("  name: web\n", _ANNOTATED.format('"true"')),
)
