"""regex/re2: a regular expression that RE2 (Envoy) cannot compile."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/regex_rewrite_pattern: "^/(?!internal/)(.*)$"
    ingress.pomerium.io/regex_rewrite_substitution: "/\\\\1"
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/regex_rewrite_pattern: "^/api/(.*)$"
    ingress.pomerium.io/regex_rewrite_substitution: "/\\\\1"
"""

RULE = Rule(
    id="regex/re2",
    severity=Severity.ERROR,
    summary="A path regex or rewrite pattern is not valid RE2 syntax",
    explanation=(
        "Envoy compiles the route `regex` (an `ImplementationSpecific` path with `ingress.pomerium.io/"
        'path_regex: "true"`), `regex_rewrite_pattern` and `host_path_regex_rewrite_pattern` with RE2, '
        "which has no lookahead or lookbehind, no backreferences and no possessive quantifiers. The "
        "controller passes the text through unchecked, and the configuration is expected to be rejected "
        "when Envoy validates it, so the Ingress' routes never take effect (the exact failure depends on "
        "the Pomerium build). pomgate compiles every such pattern with RE2 itself and says when Python or "
        "PCRE would accept what RE2 rejects."
    ),
    bad=BAD,
    good=GOOD,
)
