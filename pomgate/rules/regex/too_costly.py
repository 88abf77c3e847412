"""regex/too-costly: a regular expression, or an Ingress's regexes together, cost too much to compile."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/regex_rewrite_pattern: "^/(\\\\pL{1000})$"
    ingress.pomerium.io/regex_rewrite_substitution: "/\\\\1"
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/regex_rewrite_pattern: "^/(\\\\pL+)$"
    ingress.pomerium.io/regex_rewrite_substitution: "/\\\\1"
"""

RULE = Rule(
    id="regex/too-costly",
    severity=Severity.ERROR,
    summary="A regex, or all regexes of one Ingress, cost too much to compile",
    explanation=(
        "RE2 runs in linear time, but compiling a regex can still be slow: a Unicode class such as `\\PL` "
        "under `(?i)` takes about 0.1 ms to build, so a 60 KB path regex of them takes seconds, and a counted "
        "repetition of a large class (`\\pL{1000}`) makes a program larger than the 8 MiB RE2 and Envoy allow "
        "one regex. pomgate bounds what it compiles, in `check` and in the controller alike, so one Ingress "
        "cannot stall the others: a regex whose length, counting 64 for each Unicode class (`\\p`, `\\P`), "
        "exceeds 16,384 is not compiled; one RE2 refuses for its size is reported; and once one Ingress's "
        "regexes have taken 1 s together (`--translation-budget` in the controller), its remaining regexes "
        "are not compiled. Each case fails the Ingress (in the controller with an `UpdateError` event, its "
        "last good routes stay). Use fewer Unicode classes and smaller repetitions, or several simple paths."
    ),
    bad=BAD,
    good=GOOD,
)
