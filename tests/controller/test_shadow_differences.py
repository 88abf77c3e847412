"""Shadow mode's differences: what differs is named, and a value that may come from a Secret never shows."""

from __future__ import annotations

from pomgate.controller.shadow import differences

ROUTE = {"id": "r1", "from": "https://app.example.com", "to": ["http://web.default.svc.cluster.local:80"]}


def test_a_differing_header_from_a_secret_is_shown_as_a_digest_not_its_value() -> None:
    ours = [{**ROUTE, "set_request_headers": {"X-Api-Key": "s3cr3t-from-a-secret"}}]
    theirs = [{**ROUTE, "set_request_headers": {"X-Api-Key": "an-older-secret"}}]
    (found,) = differences(ours, theirs, [], [])
    assert found.text.startswith("set_request_headers: pomgate <sha256:")
    assert "s3cr3t" not in found.text and "older-secret" not in found.text


def test_a_plain_field_is_shown_as_it_is() -> None:
    (found,) = differences([{**ROUTE, "timeout": "30s"}], [{**ROUTE, "timeout": "10s"}], [], [])
    assert found.text == 'timeout: pomgate "30s", record "10s"'
