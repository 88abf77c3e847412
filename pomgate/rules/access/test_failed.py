"""access/test-failed: an access test of the repository expects another decision than the routes give."""

from __future__ import annotations

from pomgate.access.runner import FAILED
from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id=FAILED,
    severity=Severity.ERROR,
    summary="An access test in .pomgate/access.yaml expects another decision than the routes give",
    explanation=(
        "Access tests state who may open which URL (`as:`, `request:`, `expect: allow|deny|not-found`). "
        "pomgate finds the route Pomerium would pick for the URL and evaluates its policy, with Pomerium's own "
        "semantics, for that identity and request. The finding sits on the test's line and says which route "
        "and which rule decided. Fix the Ingress if the test is right, or the test if the change of access is "
        "intended (the pull-request report lists every test whose outcome a change flips)."
    ),
    bad=(
        "# .pomgate/access.yaml (the route's policy allows only the domain example.com)\n"
        "- as: {email: contractor@gmail.com}\n"
        "  request: GET https://grafana.example.com/\n"
        "  expect: allow\n"
    ),
    good=(
        "- as: {email: alice@example.com}\n"
        "  request: GET https://grafana.example.com/\n"
        "  expect: allow\n"
        "- as: {email: contractor@gmail.com}\n"
        "  request: GET https://grafana.example.com/\n"
        "  expect: deny\n"
    ),
)
