"""annotation/value: an annotation value does not fit the route field it sets."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/timeout: "30"
    ingress.pomerium.io/allow_websockets: "yes"
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/timeout: "30s"
    ingress.pomerium.io/allow_websockets: "true"
"""

RULE = Rule(
    id="annotation/value",
    severity=Severity.ERROR,
    summary="An annotation value has the wrong type or shape for its route field",
    explanation=(
        "After YAML parsing, the controller decodes route-option and allow-list annotations strictly into "
        "Pomerium's protobuf route (protobuf-JSON rules). Wrong types fail: `yes`/`on` are strings, not "
        "booleans; a duration needs a string with a unit (`30s`, not `30`); a list annotation given a bare "
        "string; a number or `key: value` text where a string belongs; unknown keys inside objects such as "
        "`outlier_detection`; an unknown `load_balancing_policy`; `.inf`/`.nan` or non-string map keys that "
        "cannot become JSON. The Ingress fails with a `proto:` or `json:` error (`UpdateError` event, none "
        "of its routes applied)."
    ),
    bad=BAD,
    good=GOOD,
)
