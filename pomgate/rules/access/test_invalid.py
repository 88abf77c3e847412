"""access/test-invalid: an item of the access-test file that is not a valid test."""

from __future__ import annotations

from pomgate.access.runner import INVALID
from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id=INVALID,
    severity=Severity.ERROR,
    summary="An item of .pomgate/access.yaml that is not a valid access test",
    explanation=(
        "Each item needs `as:` (`anonymous`, an email, or a mapping with `email`, `user`, `groups`, `claims`), "
        "`request:` (an optional method and an https://, tcp+https:// or udp+https:// URL) and `expect:` "
        "(`allow`, `deny` or `not-found`); `name`, `headers`, `from` (the client's IP address) and "
        "`environment` are optional. An invalid item is reported at its line and not run."
    ),
    bad="- as: alice\n  request: grafana.example.com\n  expect: yes\n",
    good="- as: alice@example.com\n  request: GET https://grafana.example.com/\n  expect: allow\n",
)
