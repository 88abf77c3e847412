"""k8s/annotation-key: an annotation key is not a qualified name."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/annotation-key",
    severity=Severity.ERROR,
    summary="An annotation key is not a valid qualified name",
    explanation=(
        "Annotation keys are checked like label keys after lower-casing the whole key: an optional DNS "
        "subdomain prefix and one `/`, then a name of at most 63 letters, digits, `-`, `_` and `.` that "
        "starts and ends with a letter or digit. Uppercase letters and `_` are fine "
        "(`ingress.pomerium.io/allowed_users`), but spaces, `:`, a second `/` or a trailing `.` make "
        'Kubernetes reject the object (`metadata.annotations: Invalid value: "<key>": ...`).'
    ),
    bad=ingress(
        "  name: web\n",
        "  name: web\n  annotations:\n    ingress.pomerium.io//allowed_domains: '[\"example.com\"]'\n",
    ),
    good=ingress(
        "  name: web\n",
        "  name: web\n  annotations:\n    ingress.pomerium.io/allowed_domains: '[\"example.com\"]'\n",
    ),
)
