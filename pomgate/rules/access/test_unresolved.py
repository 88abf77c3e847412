"""access/test-unresolved: an access test that cannot be judged offline, or whose URL no route serves."""

from __future__ import annotations

from pomgate.access.runner import UNRESOLVED
from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id=UNRESOLVED,
    severity=Severity.WARNING,
    summary="An access test whose URL no route serves, or whose decision depends on what is known only live",
    explanation=(
        "A test is unresolved when no route serves its URL (a typo in the host or path, a removed Ingress, or "
        "an Ingress that fails translation: the finding names it and its error), or when the route's policy "
        "decides by something pomgate cannot know before merge: the device, the client certificate, the "
        "client's address (give `from:`), or the IdP user id (give `user:` in `as:`). Expect `not-found` for a "
        "URL that must not be served."
    ),
    bad=(
        "# the policy allows `device: {approved: true}`\n"
        "- as: {email: alice@example.com}\n"
        "  request: https://admin.example.com/\n"
        "  expect: allow\n"
    ),
    good=(
        "# a URL that must not be served at all\n"
        "- as: anonymous\n"
        "  request: https://old-admin.example.com/\n"
        "  expect: not-found\n"
    ),
)
