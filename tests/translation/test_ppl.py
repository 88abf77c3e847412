"""PPL validation with the open-source compiler's verdicts (../shared/reference/policy-language.md)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pomgate.translation.ppl import (
    ENTERPRISE_ONLY_CRITERIA,
    OSS_CRITERIA,
    Conditional,
    Criterion,
    PolicyError,
    Rule,
    allow_list_rule,
    describe,
    grants_public_access,
    is_empty,
    is_ip_or_cidr,
    parse_authorized_key,
    rules_of,
    validate_policy,
    validate_policy_structure,
)

STRUCT = "invalid rules in policy: "
GEN = "error generating criterion rules: "

# Keys generated with ssh-keygen for these tests (public halves only).
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJjrm7bZoaYnUBAJea/LAD1gvsoVKtwsCoJfV5zl3xZS me@x"
RSA = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCq9I4YDKdT3TMOgLAOkCsZ/z1Q6t0JAEfkIBVyCJ4dFnlbPBEe4/FGoOlakSHGTEB9qKs+208v"
    "wlE5FiS1Qz+9fy350rFDLdGLxh2xjyTzBRVALVNX2WGBWKwgaZaPait/fNwsAhItuMDNA4nlWJYfX+S77k/QWvgvn7xJ+ikBQw== me@x"
)
ECDSA_256 = (
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBB2OJFl4TtRymdxvhqrPrIMavla+8uZ56wYkuzc6"
    "GkPfSM1lpxmCssbrqBN6RBUDeGJrp9Io3z7gwUK7mGoDuO4= me@x"
)
ECDSA_384 = (
    "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBC9iO5/p4hxOVuZ0d01uQ4w2meUmd74kZS/9I399"
    "6X8qoZPICYUCHCaLGIbJmvjBLN/S9dmCrFIZv/hYQQe4qEgIoSzAa6warcQt+yhUNrn7BZFo0R65zD1/2flM+vEGJQ== me@x"
)
ECDSA_521 = (
    "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBABmfUWAvz7HLm4CMSWLboDqGkQZZGQhM6w4WCci"
    "v23DV9KR+lBL4VWh2BEiSijGvV/ucC50PrGz2MDOimOp1FNabQFCllDHcwyatw8A9jVXPiaddKaZxgarXJQZsV9tNvuzZcpNsvrNq02Ck9cSYr2Y"
    "4Uk4kLMctKFG3lXksUih5+FIUA== me@x"
)
DSA = (
    "ssh-dss AAAAB3NzaC1kc3MAAACBAI+TWSHvI8xILQj0iZDBoGE2q55hMwep9nhJIyt13oAVNPQyoa6eitsQPoca02WZOvEmc4fTNXJDxNyyDeii"
    "xGOzY1HUyWyNpWRf0GhER8f6vd1nyitH9aisnEl1t3k+5CrHrT6ETVw4vr6DMvouRNqkkJFxeVq0Gr6WTKPoSCLPAAAAFQDr5wa6rZnPT4+z7gZD"
    "e8wx0s6viQAAAIBNb+1X5HEFFGGIr8s9htNetQsfw8vq5sh+a+2PYXmpwm/NHvz7iv+VYFtn5QJLrPH7suSbc8BUDgT7OBi6XVbIDkZrEPhaCOKp"
    "02u1w8sjGyTwc7URR5aBYh3InJfH5u5mqmQx8o11BYAUfpnGSkBogv6iBpXvlfHR5JNajFDvnQAAAIAEACChnIvAjZWk6qQmTCE3gZ0buLs8flH7"
    "O/SiBdR++Y5qpKwdhhbdBKKDalH0fL/fEepAq/f+QCpkkb7wLrqeIFjRKH3Aj0BRSB/UcYfBZ3B1/lKaRt5QRFaq+XoOZUKsvhlLjuPJlwCioQvJ"
    "nL8pjNcdVdQC8xSqJEv7Wfh0xg== me@x"
)
ED25519_CERT = (
    "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIDo7AdFNpwSxvikQjYG+gFd9xSZ3"
    "+VQwqNOAHu5489bKAAAAIJjrm7bZoaYnUBAJea/LAD1gvsoVKtwsCoJfV5zl3xZSAAAAAAAAAAAAAAABAAAAA2lkMQAAAAkAAAAFYWxpY2UAAAAA"
    "awrZOAAAAABs6ruCAAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAW"
    "cGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVk"
    "MjU1MTkAAAAgIFfnLX0L7LpR5wGIUv7o70hpXZFfAhqxH7vuUmsWRr8AAABTAAAAC3NzaC1lZDI1NTE5AAAAQHzJm/dPvBRsKThLrJkN4IkfLipT"
    "0XyXsiEUxvUAgnpXpJuPaVeqB710NcYX/EwGNVzwcRuGAZ2+1gNWsbtbZws= me@x"
)

FINGERPRINT = hashlib.sha256(b"cert").hexdigest()
FINGERPRINT_COLONS = ":".join(f"{b:02X}" for b in hashlib.sha256(b"cert").digest())
SPKI = base64.b64encode(hashlib.sha256(b"spki").digest()).decode()
BAD_SPKI = "certificate SPKI hash must be a base64-encoded SHA-256 hash (was {})"
SPKI_31_BYTES = base64.b64encode(hashlib.sha256(b"spki").digest()[:31]).decode()


def error_of(doc: Any) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        validate_policy(doc)
    return info.value


def message_of(doc: Any) -> str:
    return str(error_of(doc))


def criterion(name: str, data: Any) -> dict[str, Any]:
    """A one-criterion allow policy."""
    return {"allow": {"and": [{name: data}]}}


def wire(*fields: bytes) -> bytes:
    return b"".join(len(f).to_bytes(4, "big") + f for f in fields)


def key_line(blob: bytes, key_type: str = "ssh-ed25519") -> str:
    return f"{key_type} {base64.b64encode(blob).decode()} comment"


def blob_of(line: str) -> bytes:
    return base64.b64decode(line.split()[1])


# --------------------------------------------------------------------------- section 7 examples


@pytest.mark.parametrize(
    "doc",
    [
        [{"allow": {"and": [{"email": {"is": "user@yourdomain.com"}}]}}],  # 1
        {"allow": {"or": [{"domain": {"is": "pomerium.com"}}, {"claim/groups": "admin"}]}},  # 2
        {"allow": {"and": [{"email": "a@x.com"}], "nor": [{"http_method": {"in": ["DELETE", "PUT"]}}]}},  # 3
        {"allow": {"or": [{"source_ip": ["10.0.0.0/8", "192.168.1.1"]}]}},  # 9
        {"allow": {}},  # 12
        [],  # 12
        {},
    ],
)
def test_valid_examples(doc: Any) -> None:
    validate_policy(doc)
    validate_policy_structure(doc)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (  # 4
            {"allow": {"maybe": [{"email": "a"}]}},
            STRUCT + 'unsupported conditional "maybe", only and, or, not, nor and action are allowed',
        ),
        ({"permit": {"and": [{"accept": True}]}}, STRUCT + 'invalid action in rule: unsupported action: "permit"'),  # 5
        (  # 6
            {"allow": {"and": [{"email": "a", "user": "b"}]}},
            STRUCT + 'invalid criteria in "and"): each criteria may only contain a single key and value',
        ),
        ({"allow": {"and": [{"day_of_week": "mon-fri"}]}}, "unknown policy criterion: day_of_week"),  # 7
        (  # 8
            {"allow": {"and": [{"email": {"regex": ".*@x.com"}}]}},
            GEN + "unknown string matcher operator: regex",
        ),
        ({"allow": {"or": [{"email": {"in": "a@x.com"}}]}}, GEN + "in matcher requires an array of strings"),  # 10
        (  # 13
            {"allow": {"and": {"email": "a"}}},
            STRUCT + 'invalid criteria in "and"): unsupported type for criteria: parser.Object',
        ),
    ],
)
def test_invalid_examples(doc: Any, message: str) -> None:
    assert message_of(doc) == message


def test_example_12_grants_nothing() -> None:
    assert is_empty(rules_of({"allow": {}}))
    assert is_empty(rules_of([]))
    assert not is_empty(rules_of({"allow": {"or": [{"email": "a"}]}}))


def test_eof_error_can_be_raised_by_the_caller() -> None:
    err = PolicyError("EOF")
    assert str(err) == "EOF"
    assert err.path == () and err.criterion is None and err.suggestion is None and not err.enterprise_only
    assert isinstance(err, ValueError)


# --------------------------------------------------------------------------- section 2 structure


@pytest.mark.parametrize(
    ("doc", "type_name"),
    [
        (True, "parser.Boolean"),
        ("x", "parser.String"),
        (None, "parser.Null"),
        (1, "parser.Number"),
        (1.5, "parser.Number"),
    ],
)
def test_scalar_top_level(doc: Any, type_name: str) -> None:
    err = error_of(doc)
    assert str(err) == f"{STRUCT}unsupported type for rule: {type_name}"
    assert err.path == ()
    with pytest.raises(PolicyError, match="unsupported type for rule"):
        validate_policy_structure(doc)


@pytest.mark.parametrize(
    ("item", "type_name"),
    [
        ("x", "parser.String"),
        (3, "parser.Number"),
        (None, "parser.Null"),
        ([], "parser.Array"),
        (False, "parser.Boolean"),
    ],
)
def test_list_item_not_object(item: Any, type_name: str) -> None:
    err = error_of([{"allow": {}}, item])
    assert str(err) == f"{STRUCT}unsupported type for rules array: {type_name}"
    assert err.path == (1,)


def test_unknown_action() -> None:
    err = error_of([{"allwo": {"or": [{"accept": True}]}}])
    assert str(err) == f'{STRUCT}invalid action in rule: unsupported action: "allwo"'
    assert err.path == (0, "allwo")
    assert err.suggestion == "allow"
    assert "allow" not in str(err).replace('"allwo"', "")


def test_action_is_case_sensitive() -> None:
    err = error_of({"Allow": {}})
    assert str(err) == f'{STRUCT}invalid action in rule: unsupported action: "Allow"'
    assert err.suggestion == "allow"


def test_unknown_action_without_close_match() -> None:
    assert error_of({"permit": {}}).suggestion is None


def test_action_name_is_go_quoted() -> None:
    assert message_of({'a"b\n\x00\u00a0é': {}}) == (
        f'{STRUCT}invalid action in rule: unsupported action: "a\\"b\\n\\x00\\u00a0é"'
    )


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ([{"accept": True}], "parser.Array"),
        (None, "parser.Null"),
        ("x", "parser.String"),
        (1, "parser.Number"),
        (True, "parser.Boolean"),
    ],
)
def test_action_value_not_object(value: Any, type_name: str) -> None:
    err = error_of({"deny": value})
    assert str(err) == f"{STRUCT}invalid value for action in rule, expected Object, got {type_name}"
    assert err.path == ("deny",)


def test_unknown_conditional() -> None:
    err = error_of([{}, {"allow": {"maybe": [{"email": "a"}]}}])
    assert err.path == (1, "allow", "maybe")
    assert err.suggestion is None
    assert error_of({"allow": {"ors": []}}).suggestion == "or"
    assert error_of({"allow": {"AND": []}}).suggestion == "and"


def test_action_key_inside_rule_is_tolerated() -> None:
    validate_policy({"allow": {"action": "whatever", "or": [{"email": "a"}]}})
    validate_policy({"deny": {"action": {"nested": [1, 2]}}})


@pytest.mark.parametrize("operator", ["and", "or", "not", "nor"])
@pytest.mark.parametrize(
    ("value", "type_name"),
    [({"email": "a"}, "parser.Object"), ("x", "parser.String"), (None, "parser.Null"), (2, "parser.Number")],
)
def test_conditional_value_not_list(operator: str, value: Any, type_name: str) -> None:
    err = error_of({"allow": {operator: value}})
    assert str(err) == f'{STRUCT}invalid criteria in "{operator}"): unsupported type for criteria: {type_name}'
    assert err.path == ("allow", operator)


@pytest.mark.parametrize(
    ("item", "type_name"),
    [("email", "parser.String"), (1, "parser.Number"), (None, "parser.Null"), ([{"a": 1}], "parser.Array")],
)
def test_criteria_item_not_object(item: Any, type_name: str) -> None:
    err = error_of({"deny": {"nor": [{"email": "a"}, item]}})
    assert str(err) == f'{STRUCT}invalid criteria in "nor"): unsupported type for criteria array: {type_name}'
    assert err.path == ("deny", "nor", 1)


@pytest.mark.parametrize("item", [{}, {"email": "a", "user": "b"}, {"a": 1, "b": 2, "c": 3}])
def test_criterion_must_have_one_key(item: dict[str, Any]) -> None:
    err = error_of({"allow": {"or": [item]}})
    assert str(err) == f'{STRUCT}invalid criteria in "or"): each criteria may only contain a single key and value'
    assert err.path == ("allow", "or", 0)


def test_bad_criterion_list_reported_before_unknown_conditional() -> None:
    doc = {"allow": {"maybe": [], "and": {"email": "a"}}}
    assert message_of(doc) == f'{STRUCT}invalid criteria in "and"): unsupported type for criteria: parser.Object'
    doc = {"allow": {"aaa": [], "nor": "x"}}
    assert message_of(doc) == f'{STRUCT}invalid criteria in "nor"): unsupported type for criteria: parser.String'


def test_conditionals_checked_in_and_or_not_nor_order() -> None:
    doc = {"allow": {"nor": "x", "not": "x", "or": "x"}}
    assert message_of(doc).startswith(f'{STRUCT}invalid criteria in "or")')


def test_several_unknown_keys_reported_in_sorted_order() -> None:
    assert message_of({"allow": {"zeta": [], "beta": []}}).startswith(f'{STRUCT}unsupported conditional "beta"')
    assert message_of({"zz": {}, "permit": {}}) == f'{STRUCT}invalid action in rule: unsupported action: "permit"'


def test_structure_errors_win_over_generation_errors() -> None:
    doc = [{"allow": {"and": [{"bogus": 1}]}}, {"deny": {"or": "x"}}]
    assert message_of(doc) == f'{STRUCT}invalid criteria in "or"): unsupported type for criteria: parser.String'


def test_structure_only_check_ignores_criteria() -> None:
    doc = {"allow": {"and": [{"day_of_week": "mon"}, {"email": {"regex": "x"}}]}}
    validate_policy_structure(doc)
    with pytest.raises(PolicyError, match="unknown policy criterion: day_of_week"):
        validate_policy(doc)


# --------------------------------------------------------------------------- section 3 generation order


def test_allow_rules_are_generated_before_deny_rules() -> None:
    assert message_of({"deny": {"and": [{"bad1": 1}]}, "allow": {"or": [{"bad2": 1}]}}).endswith("bad2")
    assert message_of([{"deny": {"and": [{"bad1": 1}]}}, {"allow": {"and": [{"bad2": 1}]}}]).endswith("bad2")


def test_within_a_rule_and_or_not_nor_then_list_order() -> None:
    doc = {"allow": {"nor": [{"x4": 1}], "or": [{"x2": 1}], "and": [{"email": "a"}, {"x1": 1}, {"x0": 1}]}}
    err = error_of(doc)
    assert str(err) == "unknown policy criterion: x1"
    assert err.path == ("allow", "and", 1, "x1")
    assert err.criterion == "x1"
    assert message_of({"allow": {"nor": [{"x4": 1}], "not": [{"x3": 1}]}}) == "unknown policy criterion: x3"


def test_first_generation_failure_wins_between_data_and_name_errors() -> None:
    doc = {"allow": {"or": [{"email": {"in": "x"}}, {"nope": 1}]}}
    err = error_of(doc)
    assert str(err) == GEN + "in matcher requires an array of strings"
    assert err.path == ("allow", "or", 0, "email", "in")
    assert err.criterion == "email"


def test_rules_in_later_list_items_are_checked() -> None:
    doc = [{"allow": {"or": [{"accept": True}]}}, {"allow": {"or": [{"emial": "a"}]}}]
    err = error_of(doc)
    assert str(err) == "unknown policy criterion: emial"
    assert err.path == (1, "allow", "or", 0, "emial")
    assert err.suggestion == "email"


# --------------------------------------------------------------------------- section 4 criteria

ANYTHING = [True, False, None, 0, "x", [1, "a"], {"k": "v"}]


@pytest.mark.parametrize(
    "name",
    [
        "accept",
        "reject",
        "authenticated_user",
        "cors_preflight",
        "invalid_client_certificate",
        "ssh_username_matches_email",
    ],
)
@pytest.mark.parametrize("data", ANYTHING)
def test_criteria_accepting_anything(name: str, data: Any) -> None:
    validate_policy(criterion(name, data))
    validate_policy(criterion(f"{name}/ignored/sub", data))


def test_registered_criteria() -> None:
    assert {
        "accept",
        "reject",
        "authenticated_user",
        "cors_preflight",
        "invalid_client_certificate",
        "email",
        "domain",
        "user",
        "http_method",
        "http_path",
        "mcp_tool",
        "ssh_username",
        "claim",
        "groups",
        "client_certificate",
        "device",
        "source_ip",
        "ssh_publickey",
        "ssh_ca",
        "ssh_username_matches_email",
        "ssh_username_matches_claim",
    } == OSS_CRITERIA
    assert not OSS_CRITERIA & ENTERPRISE_ONLY_CRITERIA


@pytest.mark.parametrize("name", ["date", "day_of_week", "time_of_day", "record", "pomerium_routes"])
def test_enterprise_only_criteria_are_unknown(name: str) -> None:
    err = error_of(criterion(name, {"after": "2024-01-01"}))
    assert str(err) == f"unknown policy criterion: {name}"
    assert err.enterprise_only
    assert err.suggestion is None
    assert err.criterion == name


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("emial", "email"),
        ("Email", "email"),
        ("group", "groups"),
        ("claims", "claim"),
        ("sourceip", "source_ip"),
        ("http_methods", "http_method"),
        ("totally_unrelated", None),
        ("", None),
    ],
)
def test_unknown_criterion_suggestions(name: str, suggestion: str | None) -> None:
    err = error_of(criterion(name, 1))
    assert str(err) == f"unknown policy criterion: {name}"
    assert err.suggestion == suggestion
    assert not err.enterprise_only


def test_criterion_name_is_split_at_first_slash() -> None:
    assert message_of(criterion("/groups", "a")) == "unknown policy criterion: "
    assert message_of(criterion("claims/groups", "a")) == "unknown policy criterion: claims"
    rule = rules_of(criterion("claim/a/b.c", "x"))[0]
    assert rule.conditionals[0].criteria[0] == Criterion("claim", "a/b.c", "x")


def test_sub_paths_on_other_criteria_are_ignored() -> None:
    validate_policy(criterion("email/x", "a"))
    validate_policy(criterion("claim", "admin"))  # missing claim name: compiles, never matches
    validate_policy(criterion("claim/", "admin"))


@pytest.mark.parametrize("name", ["email", "domain", "user", "http_method", "http_path", "mcp_tool", "ssh_username"])
def test_string_matcher_criteria(name: str) -> None:
    validate_policy(criterion(name, "a"))
    validate_policy(criterion(name, {"starts_with": "a", "ends_with": "z"}))
    assert message_of(criterion(name, {"regex": "a"})) == GEN + "unknown string matcher operator: regex"
    assert message_of(criterion(name, {"not_in": "a"})) == GEN + "not_in matcher requires an array of strings"


@pytest.mark.parametrize("name", ["claim/groups", "groups"])
def test_string_list_matcher_criteria(name: str) -> None:
    validate_policy(criterion(name, "admin"))
    validate_policy(criterion(name, {"has": "a", "is": "b", "exclude": "c"}))
    err = error_of(criterion(name, {"contains": "a"}))
    assert str(err) == GEN + "unknown string list matcher operator: contains"
    assert err.path == ("allow", "and", 0, name, "contains")


def test_ssh_username_matches_claim() -> None:
    validate_policy(criterion("ssh_username_matches_claim", "preferred_username"))
    assert message_of(criterion("ssh_username_matches_claim", 5)) == GEN + "expected string value, got: parser.Number"
    assert message_of(criterion("ssh_username_matches_claim", None)) == GEN + "expected string value, got: parser.Null"


# --------------------------------------------------------------------------- source_ip


@pytest.mark.parametrize(
    "value",
    ["10.0.0.0/8", "192.168.1.1", "10.1.2.3/8", "::1", "2001:db8::/32", "::ffff:1.2.3.4", "0.0.0.0/0", "::/0"],
)
def test_source_ip_valid(value: str) -> None:
    validate_policy(criterion("source_ip", value))
    validate_policy(criterion("source_ip", [value, "127.0.0.1"]))


@pytest.mark.parametrize(
    "value",
    ["x", "", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "fe80::1%eth0", "010.0.0.1", "10.0.0.0/255.0.0.0",
     "1.2.3", "10.0.0.0/8 "],
)  # fmt: skip
def test_source_ip_invalid(value: str) -> None:
    err = error_of(criterion("source_ip", ["127.0.0.1", value]))
    assert str(err) == f'{GEN}expected IP or CIDR range, got: "{value}"'
    assert err.path == ("allow", "and", 0, "source_ip", 1)
    assert err.criterion == "source_ip"


def test_source_ip_types() -> None:
    assert (
        message_of(criterion("source_ip", {"a": 1})) == GEN + "expected string or array of strings, got: parser.Object"
    )
    assert message_of(criterion("source_ip", 10)) == GEN + "expected string or array of strings, got: parser.Number"
    assert message_of(criterion("source_ip", ["10.0.0.1", 10])) == GEN + "expected string value, got: parser.Number"
    validate_policy(criterion("source_ip", []))


def test_is_ip_or_cidr() -> None:
    assert is_ip_or_cidr("10.0.0.0/08")
    assert not is_ip_or_cidr("10.0.0.0/٣")  # non-ASCII digit


# --------------------------------------------------------------------------- ssh_publickey / ssh_ca


@pytest.mark.parametrize("name", ["ssh_publickey", "ssh_ca"])
@pytest.mark.parametrize("key", [ED25519, RSA, ECDSA_256, ECDSA_384, ECDSA_521, DSA, ED25519_CERT])
def test_ssh_keys_valid(name: str, key: str) -> None:
    validate_policy(criterion(name, key))
    validate_policy(criterion(name, [ED25519, key]))


@pytest.mark.parametrize(
    "text",
    [
        ED25519,
        'no-pty,command="echo a b",from="10.0.0.1" ' + ED25519,
        "# comment\n\n" + ED25519 + "\n",
        "garbage line\n" + ED25519,
        "  \t" + ED25519 + "\r\n",
        ED25519.rsplit(" ", 1)[0],  # no comment
        ED25519.replace("ssh-ed25519", "whatever"),  # the type field is not compared (as in Go's x/crypto/ssh)
    ],
)
def test_authorized_key_formats(text: str) -> None:
    assert parse_authorized_key(text)


ED25519_BLOB = blob_of(ED25519)
RSA_BLOB = blob_of(RSA)
P256_BLOB = blob_of(ECDSA_256)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment",
        "ssh-ed25519",
        "AAAAC3NzaC1lZDI1NTE5AAAAIJjrm7bZoaYnUBAJea/LAD1gvsoVKtwsCoJfV5zl3xZS",  # no type field
        "ssh-ed25519 not-base64!",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJjrm7bZoaYnUBAJea/LAD1gvsoVKtwsCoJfV5zl3xZ",  # bad padding
        key_line(ED25519_BLOB[:-1]),  # truncated
        key_line(ED25519_BLOB + b"\x00"),  # trailing junk
        key_line(wire(b"ssh-ed25519", b"\x01" * 31)),  # wrong key size
        key_line(wire(b"ssh-foo", b"\x01" * 32)),  # unknown algorithm
        key_line(wire(b"ssh-rsa", b"\x01\x00\x00\x00", RSA_BLOB[-129:])),  # exponent too large
        key_line(wire(b"ssh-rsa", b"\x02", b"\x01" * 64)),  # exponent too small
        key_line(wire(b"ssh-rsa", b"\x01\x00\x00", b"\x01" * 64)),  # even exponent
        key_line(P256_BLOB[:-1] + bytes([P256_BLOB[-1] ^ 1])),  # point not on the curve
        key_line(wire(b"ecdsa-sha2-nistp256", b"nistp999", P256_BLOB[-65:])),  # unknown curve
        'no-pty,command="unterminated ' + ED25519,
        ED25519_CERT.replace("AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAx", "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAy"),  # cert-v02
    ],
)
def test_authorized_key_rejected(text: str) -> None:
    assert not parse_authorized_key(text)
    err = error_of(criterion("ssh_ca", [ED25519, text]))
    assert str(err) == GEN + "ssh: no key found"
    assert err.path == ("allow", "and", 0, "ssh_ca", 1)


def test_truncated_certificate_rejected() -> None:
    blob = blob_of(ED25519_CERT)
    assert not parse_authorized_key(key_line(blob[:-10]))
    assert parse_authorized_key(key_line(blob))


def test_coordinates_must_be_reduced() -> None:
    point = blob_of(ECDSA_521)[-133:]
    x, y = int.from_bytes(point[1:67], "big"), int.from_bytes(point[67:], "big")
    prime = 2**521 - 1
    for bad_x, bad_y in ((x, y + prime), (x + prime, y)):
        unreduced = b"\x04" + bad_x.to_bytes(66, "big") + bad_y.to_bytes(66, "big")
        assert not parse_authorized_key(key_line(wire(b"ecdsa-sha2-nistp521", b"nistp521", unreduced)))
    assert parse_authorized_key(key_line(wire(b"ecdsa-sha2-nistp521", b"nistp521", point)))


def certificate(
    *,
    principals: bytes = wire(b"alice"),
    extensions: bytes = wire(b"permit-pty", b"", b"permit-user-rc", b""),
    signature: bytes = wire(b"ssh-ed25519", b"\x00" * 64),
    signature_key: bytes = ED25519_BLOB,
) -> str:
    blob = (
        wire(b"ssh-ed25519-cert-v01@openssh.com", b"nonce", b"\x01" * 32)
        + (1).to_bytes(8, "big")
        + (1).to_bytes(4, "big")
        + wire(b"key-id", principals)
        + (0).to_bytes(8, "big")
        + (2**64 - 1).to_bytes(8, "big")
        + wire(b"", extensions, b"", signature_key, signature)
    )
    return key_line(blob, "ssh-ed25519-cert-v01@openssh.com")


def test_certificate_fields() -> None:
    assert parse_authorized_key(certificate())
    assert parse_authorized_key(
        certificate(signature=wire(b"sk-ssh-ed25519@openssh.com", b"s", b"\x01\x00\x00\x00\x01"))
    )
    assert not parse_authorized_key(certificate(signature=wire(b"sk-ssh-ed25519@openssh.com", b"s")))
    assert not parse_authorized_key(certificate(signature=wire(b"ssh-ed25519")))
    assert not parse_authorized_key(certificate(principals=b"\x00\x00\x00\x09alice"))
    assert not parse_authorized_key(certificate(extensions=wire(b"permit-user-rc", b"", b"permit-pty", b"")))
    assert not parse_authorized_key(certificate(extensions=wire(b"permit-pty", b"", b"permit-pty", b"")))
    assert not parse_authorized_key(certificate(signature_key=ED25519_BLOB[:-1]))


def test_security_key_types() -> None:
    assert parse_authorized_key(key_line(wire(b"sk-ssh-ed25519@openssh.com", b"\x01" * 32, b"ssh:")))
    assert not parse_authorized_key(key_line(wire(b"sk-ssh-ed25519@openssh.com", b"\x01" * 32)))
    point = P256_BLOB[-65:]
    assert parse_authorized_key(key_line(wire(b"sk-ecdsa-sha2-nistp256@openssh.com", b"nistp256", point, b"ssh:")))
    assert not parse_authorized_key(key_line(wire(b"sk-ecdsa-sha2-nistp256@openssh.com", b"nistp384", point, b"s")))


def test_ssh_key_data_types() -> None:
    assert message_of(criterion("ssh_publickey", {"a": 1})) == (
        GEN + "expected string or array of strings, got: parser.Object"
    )
    assert message_of(criterion("ssh_publickey", [True])) == GEN + "expected string value, got: parser.Boolean"


# --------------------------------------------------------------------------- 5.1 string matcher


@pytest.mark.parametrize(
    "data",
    [
        "a@x.com",
        ["a", "b"],  # compares with a list: compiles
        3,
        None,
        {},
        {"is": "a"},
        {"not": "a"},
        {"contains": "a"},
        {"starts_with": "a"},
        {"ends_with": "a"},
        {"in": ["a", "b"]},
        {"in": []},
        {"not_in": ["a"]},
        {"is": 1, "contains": True},  # value types are not checked
        {"starts_with": "a", "ends_with": "b", "not_in": ["c"]},
    ],
)
def test_string_matcher_valid(data: Any) -> None:
    validate_policy(criterion("email", data))


@pytest.mark.parametrize(
    ("data", "message", "suggestion"),
    [
        ({"regex": ".*"}, "unknown string matcher operator: regex", None),
        ({"equals": "a"}, "unknown string matcher operator: equals", None),
        ({"start_with": "a"}, "unknown string matcher operator: start_with", "starts_with"),
        ({"in": "a"}, "in matcher requires an array of strings", None),
        ({"in": {"a": 1}}, "in matcher requires an array of strings", None),
        ({"not_in": None}, "not_in matcher requires an array of strings", None),
        ({"is": "a", "regex": "b", "in": "c"}, "in matcher requires an array of strings", None),  # sorted keys
    ],
)
def test_string_matcher_invalid(data: Any, message: str, suggestion: str | None) -> None:
    err = error_of(criterion("http_path", data))
    assert str(err) == GEN + message
    assert err.suggestion == suggestion


# --------------------------------------------------------------------------- 5.3 certificate matcher


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"fingerprint": FINGERPRINT},
        {"fingerprint": FINGERPRINT_COLONS},
        {"fingerprint": [FINGERPRINT, FINGERPRINT_COLONS]},
        {"fingerprint": []},
        {"spki_hash": SPKI},
        {"spki_hash": [SPKI]},
        {"san_email": "a@x.com", "san_dns": {"ends_with": ".x.com"}, "san_uri": {"in": ["spiffe://a"]}},
    ],
)
def test_certificate_matcher_valid(data: Any) -> None:
    validate_policy(criterion("client_certificate", data))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("x", "expected object for certificate matcher, got: parser.String"),
        ([], "expected object for certificate matcher, got: parser.Array"),
        ({"subject": "x"}, "unsupported certificate matcher condition: subject"),
        ({"fingerprint": 1}, "certificate fingerprint condition expects a string or array of strings"),
        ({"fingerprint": [FINGERPRINT, 1]}, "certificate fingerprint must be a string (was 1)"),
        ({"fingerprint": [True]}, "certificate fingerprint must be a string (was true)"),
        ({"fingerprint": ""}, "certificate fingerprint must not be empty"),
        ({"fingerprint": [""]}, "certificate fingerprint must not be empty"),
        ({"fingerprint": FINGERPRINT.upper()}, f"unsupported certificate fingerprint format ({FINGERPRINT.upper()})"),
        ({"fingerprint": FINGERPRINT[:-1]}, f"unsupported certificate fingerprint format ({FINGERPRINT[:-1]})"),
        (
            {"fingerprint": FINGERPRINT_COLONS.lower()},
            f"unsupported certificate fingerprint format ({FINGERPRINT_COLONS.lower()})",
        ),
        ({"fingerprint": FINGERPRINT + "\n"}, f"unsupported certificate fingerprint format ({FINGERPRINT}\n)"),
        ({"spki_hash": {"a": 1}}, "certificate SPKI hash condition expects a string or array of strings"),
        ({"spki_hash": [1.5]}, "certificate SPKI hash must be a string (was 1.5)"),
        ({"spki_hash": ""}, "certificate SPKI hash must not be empty"),
        ({"spki_hash": "abc"}, BAD_SPKI.format("abc")),
        ({"spki_hash": SPKI.rstrip("=")}, BAD_SPKI.format(SPKI.rstrip("="))),
        ({"spki_hash": SPKI_31_BYTES}, BAD_SPKI.format(SPKI_31_BYTES)),
        ({"san_email": {"regex": "x"}}, "unknown string matcher operator: regex"),
        ({"san_dns": {"in": "x"}}, "in matcher requires an array of strings"),
    ],
)  # fmt: skip
def test_certificate_matcher_invalid(data: Any, message: str) -> None:
    err = error_of(criterion("client_certificate", data))
    assert str(err) == GEN + message
    assert err.criterion == "client_certificate"


def test_certificate_matcher_error_paths_and_suggestions() -> None:
    err = error_of(criterion("client_certificate", {"fingerprints": FINGERPRINT}))
    assert err.suggestion == "fingerprint"
    assert err.path == ("allow", "and", 0, "client_certificate", "fingerprints")
    err = error_of(criterion("client_certificate", {"fingerprint": [FINGERPRINT, "zz"]}))
    assert err.path == ("allow", "and", 0, "client_certificate", "fingerprint", 1)


def test_spki_hash_url_safe_alphabet_rejected() -> None:
    digest = next(d for i in range(1000) if b"+" in base64.b64encode(d := hashlib.sha256(str(i).encode()).digest()))
    url_safe = base64.urlsafe_b64encode(digest).decode()
    validate_policy(criterion("client_certificate", {"spki_hash": base64.b64encode(digest).decode()}))
    with pytest.raises(PolicyError, match="must be a base64-encoded SHA-256 hash"):
        validate_policy(criterion("client_certificate", {"spki_hash": url_safe}))


# --------------------------------------------------------------------------- 5.4 device matcher


@pytest.mark.parametrize(
    "data",
    [{}, {"approved": True}, {"approved": 0}, {"approved": None}, {"is": "dev-1"}, {"type": "enclave_only"},
     {"approved": "yes", "is": "d", "type": "any"}],
)  # fmt: skip
def test_device_matcher_valid(data: Any) -> None:
    validate_policy(criterion("device", data))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (True, "expected object for device criterion, got: parser.Boolean"),
        ("any", "expected object for device criterion, got: parser.String"),
        ({"is": 1}, "expected string for device criterion is operator, got parser.Number"),
        ({"type": ["any"]}, "expected string for device criterion type operator, got parser.Array"),
        ({"typ": "any"}, "unexpected field in device criterion: typ"),
        ({"approved": True, "owner": "x"}, "unexpected field in device criterion: owner"),
    ],
)
def test_device_matcher_invalid(data: Any, message: str) -> None:
    assert message_of(criterion("device", data)) == GEN + message


def test_device_field_suggestion() -> None:
    assert error_of(criterion("device", {"typ": "any"})).suggestion == "type"


# --------------------------------------------------------------------------- rules_of / allow_list_rule


def test_rules_of_orders_allow_before_deny_and_keeps_document_order() -> None:
    doc = [
        {"deny": {"or": [{"source_ip": "10.0.0.0/8"}]}, "allow": {"nor": [{"user": "u"}], "and": [{"email": "a"}]}},
        {"allow": {"or": []}},
    ]
    rules = rules_of(doc)
    assert [r.action for r in rules] == ["allow", "deny", "allow"]
    assert [c.operator for c in rules[0].conditionals] == ["and", "nor"]
    assert rules[0].conditionals[0].criteria[0].path == (0, "allow", "and", 0, "email")
    assert rules[1] == Rule("deny", (Conditional("or", (Criterion("source_ip", None, "10.0.0.0/8"),)),))
    assert not rules[2].can_match


def test_allow_list_rule_order() -> None:
    rule = allow_list_rule(
        public=True,
        cors_preflight=True,
        any_authenticated=True,
        domains=["x.com"],
        claims={"groups": ["admin", "ops"], "dept": ["eng"]},
        users=["a@x.com"],
    )
    assert rule is not None
    assert rule.action == "allow"
    (conditional,) = rule.conditionals
    assert conditional.operator == "or"
    assert [(c.key, c.data) for c in conditional.criteria] == [
        ("accept", True),
        ("cors_preflight", True),
        ("authenticated_user", True),
        ("domain", {"is": "x.com"}),
        ("claim/dept", "eng"),
        ("claim/groups", "admin"),
        ("claim/groups", "ops"),
        ("user", {"is": "a@x.com"}),
        ("email", {"is": "a@x.com"}),
    ]
    assert grants_public_access([rule])


def test_allow_list_rule_empty() -> None:
    args: dict[str, Any] = {"public": False, "cors_preflight": False, "any_authenticated": False}
    assert allow_list_rule(**args, domains=[], claims={}, users=[]) is None
    rule = allow_list_rule(**args, domains=[], claims={"groups": []}, users=["u"])
    assert rule is not None
    assert not grants_public_access([rule])
    assert describe([rule]) == 'allow if user is "u" or email is "u"'


# --------------------------------------------------------------------------- semantics helpers


@pytest.mark.parametrize(
    ("doc", "public"),
    [
        ({"allow": {"or": [{"email": "a"}, {"accept": True}]}}, True),
        ({"allow": {"or": [{"accept": False}]}}, True),  # accept matches whatever its data
        ({"allow": {"and": [{"accept": True}, {"accept": 1}]}}, True),
        ({"allow": {"and": [{"accept": True}, {"email": "a"}]}}, False),
        ({"allow": {"not": [{"reject": True}]}}, True),
        ({"allow": {"nor": [{"email": "a"}, {"reject": True}]}}, True),
        ({"allow": {"not": [{"accept": True}]}}, False),
        ({"allow": {"and": []}}, False),
        ({"deny": {"or": [{"accept": True}]}}, False),
        ({"allow": {"or": [{"authenticated_user": True}]}}, False),
        ([{"allow": {"or": [{"email": "a"}]}}, {"allow": {"and": [{"accept": True}]}}], True),
    ],
)
def test_grants_public_access(doc: Any, public: bool) -> None:
    assert grants_public_access(rules_of(doc)) is public


def test_is_empty() -> None:
    assert is_empty([])
    assert is_empty(rules_of({"deny": {"or": [{"accept": True}]}}))
    assert is_empty(rules_of({"allow": {"and": [], "or": []}}))
    assert not is_empty(rules_of({"allow": {"not": [{"email": "a"}]}}))


# --------------------------------------------------------------------------- describe


def test_describe_example() -> None:
    doc = {
        "allow": {"or": [{"email": "a@x.com"}, {"domain": {"is": "x.com"}}]},
        "deny": {"or": [{"source_ip": ["10.0.0.0/8"]}]},
    }
    assert describe(doc) == 'allow if email is "a@x.com" or domain is "x.com"; deny if source_ip in [10.0.0.0/8]'
    assert describe(rules_of(doc)) == describe(doc)


@pytest.mark.parametrize(
    ("doc", "text"),
    [
        ([], "no rules (grants nothing)"),
        ({"allow": {}}, "allow never (no conditions)"),
        ({"allow": {"or": [{"accept": True}]}}, "allow if everyone"),
        (
            {"allow": {"and": [{"email": {"ends_with": "@x.com", "not_in": ["b@x.com"]}}, {"claim/groups": "admin"}]}},
            'allow if email ends with "@x.com" and not in ["b@x.com"] and claim groups has "admin"',
        ),
        (
            {"allow": {"and": [{"authenticated_user": True}, {"groups": {"exclude": "g"}}], "nor": [{"user": "u"}]}},
            'allow if (any authenticated user and groups excludes "g") or not user is "u"',
        ),
        (
            {"deny": {"not": [{"http_method": "GET"}, {"http_method": "HEAD"}]}},
            'deny if not (http_method is "GET" or http_method is "HEAD")',
        ),
        (
            {"deny": {"nor": [{"device": {"approved": True}}, {"reject": 1}]}},
            "deny if not (device approved and nobody)",
        ),
        ({"allow": {"or": [{"ssh_publickey": [ED25519, RSA]}]}}, "allow if ssh_publickey is one of 2 keys"),
        (
            {"allow": {"or": [{"client_certificate": {"fingerprint": "ab", "san_dns": "a.x"}}]}},
            'allow if client certificate fingerprint in [ab] and san_dns is "a.x"',
        ),
        ({"allow": {"or": [{"email": {}}]}}, "allow if email is anything"),
        ({"allow": {"or": [{"day_of_week": "mon"}]}}, 'allow if day_of_week "mon"'),
    ],
)
def test_describe(doc: Any, text: str) -> None:
    assert describe(doc) == text


def test_describe_rejects_structurally_invalid_documents() -> None:
    with pytest.raises(PolicyError):
        describe({"allow": []})


# --------------------------------------------------------------------------- properties

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=25,
)
CRITERION_NAMES = st.sampled_from(sorted(OSS_CRITERIA | ENTERPRISE_ONLY_CRITERIA)) | st.text(max_size=8)
OPERATOR_KEYS = st.sampled_from(
    ["is", "not", "in", "not_in", "contains", "has", "exclude", "fingerprint", "spki_hash", "san_dns", "approved",
     "type", "x"]
)  # fmt: skip
CRITERION_DATA = (
    JSON_VALUES
    | st.dictionaries(OPERATOR_KEYS, JSON_VALUES, max_size=3)
    | st.sampled_from([ED25519, ECDSA_256, ED25519_CERT, FINGERPRINT, SPKI, "10.0.0.0/8"])
    | st.binary(max_size=80).map(lambda b: "ssh-ed25519 " + base64.b64encode(b).decode())
)
CRITERIA = st.lists(st.dictionaries(CRITERION_NAMES, CRITERION_DATA, min_size=1, max_size=1), max_size=3)
RULE_BODIES = st.dictionaries(st.sampled_from(["and", "or", "not", "nor", "action"]), CRITERIA, max_size=3)
NEAR_VALID = st.dictionaries(st.sampled_from(["allow", "deny"]), RULE_BODIES, max_size=2)
DOCUMENTS = JSON_VALUES | NEAR_VALID | st.lists(NEAR_VALID, max_size=3)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_any_document_validates_or_raises_policy_error(doc: Any) -> None:
    try:
        validate_policy(doc)
    except PolicyError as err:
        assert str(err)
        assert isinstance(err.path, tuple)
        full_error: PolicyError | None = err
    else:
        full_error = None
    try:
        validate_policy_structure(doc)
    except PolicyError as structural:
        assert full_error is not None and str(full_error) == str(structural)  # structure is checked first
    else:
        assert full_error is None or not str(full_error).startswith("invalid rules in policy: ")
        assert isinstance(describe(doc), str)
        rules = rules_of(doc)
        assert isinstance(grants_public_access(rules), bool)
        assert is_empty(rules) is not any(rule.action == "allow" and rule.can_match for rule in rules)


@given(st.text(max_size=200))
def test_any_authorized_keys_text_is_handled(text: str) -> None:
    assert parse_authorized_key(text) in (True, False)
