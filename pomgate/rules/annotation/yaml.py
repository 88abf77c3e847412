"""annotation/yaml: an annotation value is not valid YAML."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/allowed_users: "[alice@example.com, bob@example.com"
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/allowed_users: "[alice@example.com, bob@example.com]"
"""

RULE = Rule(
    id="annotation/yaml",
    severity=Severity.ERROR,
    summary="An annotation value cannot be parsed as YAML",
    explanation=(
        "The controller parses the value of every route-option and allow-list annotation as a YAML document "
        "(go-yaml v3) before decoding it, even though the annotation itself is a string in the manifest. A "
        "value with an unclosed bracket or quote, or one that starts with a character YAML reserves (`@`, "
        "`*`, `%`, a backtick), or nested more than 200 levels, fails with `annotations: <name>: yaml: ...`: "
        "the whole Ingress gets an `UpdateError` event and none of its routes are applied. Quote such a value "
        "inside the string (`'\"@platform\"'`). The `policy` annotation reports the same kind of problem as "
        "`policy/invalid`."
    ),
    bad=BAD,
    good=GOOD,
)
