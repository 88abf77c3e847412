"""k8s/decode: a field has the wrong JSON type, so the API server cannot decode the object."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/decode",
    severity=Severity.ERROR,
    summary="A field has the wrong type (a string where a number belongs, a scalar where a map belongs)",
    explanation=(
        "The API server decodes manifests into typed Go structs and does not convert between types: "
        '`number: "80"` (a string), `port: 80` (must be a map with `number` or `name`) or a list where a '
        'map belongs fail with `Ingress in version "v1" cannot be handled as a Ingress: json: cannot '
        "unmarshal ...` (HTTP 400) and nothing is created."
    ),
    bad=ingress("                  number: 80\n", '                  number: "80"\n'),
    good=ingress(),
)
