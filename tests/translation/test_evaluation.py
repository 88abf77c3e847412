"""Offline PPL evaluation with Pomerium's Rego semantics (pkg/policy/criteria, generator, authorize evaluator)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pomgate.translation.evaluation import (
    ANONYMOUS,
    THE_CLIENT_CERTIFICATE,
    THE_CLIENT_IP,
    THE_DEVICE,
    THE_USER_ID,
    Identity,
    Outcome,
    Request,
    Unknown,
    claim_lookup,
    criterion_truth,
    evaluate,
    evaluate_route,
    match_string,
    match_string_list,
    rego_equal,
    route_rules,
)
from pomgate.translation.ppl import Criterion, PolicyError, Rule, rules_of

ALICE = Identity(email="alice@example.com", user_id="u-alice")
SMITH = Identity(email="test@example.com", user_id="USER_ID", claims={"family_name": ("Smith",)})
GROUPED = Identity(email="g@example.com", user_id="user1", groups=frozenset({"group1", "group2"}))
NO_EMAIL = Identity(user_id="u-none")
UNKNOWN_ID = Identity(email="bob@example.com")
GET = Request()


def criterion(key: str, data: Any) -> Criterion:
    """The one criterion of ``allow: {and: [{key: data}]}``, parsed as PPL does."""
    (rule,) = rules_of({"allow": {"and": [{key: data}]}})
    return rule.conditionals[0].criteria[0]


def truth(key: str, data: Any, identity: Identity = ALICE, request: Request = GET) -> bool | Unknown:
    return criterion_truth(criterion(key, data), identity, request)


def decide(doc: Any, identity: Identity = ALICE, request: Request = GET) -> Outcome:
    return evaluate(rules_of(doc), identity, request)


# --------------------------------------------------------------------------- criteria, one at a time

CRITERION_CASES: list[tuple[str, Any, Identity, Request, bool | Unknown]] = [
    # accept / reject ignore their data and the caller
    ("accept", True, ANONYMOUS, GET, True),
    ("accept", False, ANONYMOUS, GET, True),
    ("reject", True, ALICE, GET, False),
    # authenticated_user: a session with a non-empty user id
    ("authenticated_user", True, ANONYMOUS, GET, False),
    ("authenticated_user", True, ALICE, GET, True),
    ("authenticated_user", True, UNKNOWN_ID, GET, True),
    ("authenticated_user", True, Identity(user_id=""), GET, False),
    # cors_preflight: OPTIONS with non-empty Access-Control-Request-Method and Origin headers
    (
        "cors_preflight",
        1,
        ANONYMOUS,
        Request("OPTIONS", headers={"Access-Control-Request-Method": "GET", "Origin": "https://a"}),
        True,
    ),
    (
        "cors_preflight",
        1,
        ANONYMOUS,
        Request("OPTIONS", headers={"access-control-request-method": "GET", "origin": "https://a"}),
        True,
    ),
    ("cors_preflight", 1, ANONYMOUS, Request("OPTIONS", headers={"Access-Control-Request-Method": "GET"}), False),
    ("cors_preflight", 1, ANONYMOUS, Request("OPTIONS"), False),
    (
        "cors_preflight",
        1,
        ANONYMOUS,
        Request("GET", headers={"Access-Control-Request-Method": "GET", "Origin": "https://a"}),
        False,
    ),
    (
        "cors_preflight",
        1,
        ANONYMOUS,
        Request("OPTIONS", headers={"Access-Control-Request-Method": "GET", "Origin": ""}),
        False,
    ),
    # email: string matcher on the (directory or user record) email; "" without a session
    ("email", "alice@example.com", ALICE, GET, True),
    ("email", {"is": "alice@example.com"}, ALICE, GET, True),
    ("email", {"is": "mallory@example.com"}, ALICE, GET, False),
    ("email", {"is": "alice@example.com"}, ANONYMOUS, GET, False),
    ("email", {"not": "mallory@example.com"}, ANONYMOUS, GET, True),
    ("email", {}, ANONYMOUS, GET, True),
    ("email", {"is": ""}, NO_EMAIL, GET, True),
    ("email", {"in": ["x@example.com", "alice@example.com"]}, ALICE, GET, True),
    ("email", {"not_in": ["x@example.com", "alice@example.com"]}, ALICE, GET, False),
    ("email", {"not_in": ["x@example.com"]}, ANONYMOUS, GET, True),
    ("email", {"starts_with": "alice@"}, ALICE, GET, True),
    ("email", {"ends_with": "@example.com"}, ALICE, GET, True),
    ("email", {"contains": "ice@ex"}, ALICE, GET, True),
    ("email", {"starts_with": "alice", "ends_with": "@example.org"}, ALICE, GET, False),
    ("email", {"starts_with": "alice", "ends_with": "@example.com"}, ALICE, GET, True),
    ("email", {"is": 5}, Identity(email="5"), GET, False),
    ("email", {"contains": 5}, Identity(email="5"), GET, False),
    ("email", ["alice@example.com"], ALICE, GET, False),  # a list shorthand compares the whole list
    # domain: split(email, "@")[1]
    ("domain", {"is": "example.com"}, SMITH, GET, True),
    ("domain", {"is": "example.com"}, ANONYMOUS, GET, False),
    ("domain", {"not": "example.org"}, ANONYMOUS, GET, False),
    ("domain", {"not": "example.org"}, Identity(email="no-at-sign"), GET, False),
    ("domain", "b", Identity(email="a@b@c"), GET, True),
    ("domain", "b@c", Identity(email="a@b@c"), GET, False),
    # user: the session's user id
    ("user", "u-alice", ALICE, GET, True),
    ("user", {"is": "u-bob"}, ALICE, GET, False),
    ("user", {}, ANONYMOUS, GET, False),
    ("user", {"not": "u-bob"}, ANONYMOUS, GET, False),
    ("user", "u-bob", UNKNOWN_ID, GET, Unknown(THE_USER_ID)),
    ("user", {}, UNKNOWN_ID, GET, True),
    ("user", {"is": 5}, UNKNOWN_ID, GET, False),
    ("user", {"not_in": []}, UNKNOWN_ID, GET, True),
    ("user", {"in": [1, 2]}, UNKNOWN_ID, GET, False),
    ("user", {"starts_with": ""}, UNKNOWN_ID, GET, True),
    ("user", {"starts_with": "", "is": "x"}, UNKNOWN_ID, GET, Unknown(THE_USER_ID)),
    # http_method / http_path
    ("http_method", {"is": "GET"}, ANONYMOUS, Request("GET"), True),
    ("http_method", {"is": "GET"}, ANONYMOUS, Request("POST"), False),
    ("http_method", {"is": "GET"}, ANONYMOUS, Request("get"), False),
    ("http_path", {"is": "/test"}, ANONYMOUS, Request(path="/test"), True),
    ("http_path", {"is": "/test"}, ANONYMOUS, Request(path="/not-test"), False),
    ("http_path", {"starts_with": "/admin/"}, ANONYMOUS, Request(path="/admin/users"), True),
    # mcp_tool: a plain HTTP request is not a tools/call
    ("mcp_tool", {"is": "list_tables"}, ALICE, Request("POST"), False),
    ("mcp_tool", {}, ALICE, GET, False),
    # SSH criteria on an HTTP request: empty user name, no public key
    ("ssh_username", {"is": "root"}, ALICE, GET, False),
    ("ssh_username", {"not": "root"}, ANONYMOUS, GET, True),
    ("ssh_username", "", ANONYMOUS, GET, True),
    ("ssh_username_matches_email", True, ANONYMOUS, GET, True),
    ("ssh_username_matches_email", True, NO_EMAIL, GET, True),
    ("ssh_username_matches_email", True, Identity(email="@example.com"), GET, True),
    ("ssh_username_matches_email", True, ALICE, GET, False),
    ("ssh_username_matches_claim", "username", Identity(claims={"username": ("",)}), GET, True),
    ("ssh_username_matches_claim", "username", Identity(claims={"username": ("alice",)}), GET, False),
    ("ssh_username_matches_claim", "username", ANONYMOUS, GET, False),
    # claim/<path>: session and user claims; shorthand is `has`
    ("claim/family_name", "Smith", SMITH, GET, True),
    ("claim/family_name", {"has": "Smith"}, SMITH, GET, True),
    ("claim/family_name", "Smith", ALICE, GET, False),
    ("claim/family_name", "Smith", ANONYMOUS, GET, False),
    ("claim/family_name", {"exclude": "Smith"}, ANONYMOUS, GET, True),
    ("claim/family_name", {"exclude": "Smith"}, SMITH, GET, False),
    ("claim/family_name", {}, ANONYMOUS, GET, True),
    ("claim/example.com/key", "value", Identity(claims={"example.com/key": ("value",)}), GET, True),
    ("claim/groups", {"is": "a"}, Identity(claims={"groups": ("a",)}), GET, True),
    ("claim/groups", {"is": "a"}, Identity(claims={"groups": ("a", "b")}), GET, False),
    ("claim/groups", {"has": "b", "exclude": "c"}, Identity(claims={"groups": ("a", "b")}), GET, True),
    ("claim/dept", "eng", Identity(claims={"dept": "eng"}), GET, True),  # type: ignore[dict-item]
    ("claim/level", 5, Identity(claims={"level": (5.0,)}), GET, True),
    ("claim/level", 5, Identity(claims={"level": ("5",)}), GET, False),
    ("claim/verified", True, Identity(claims={"verified": (1,)}), GET, False),
    ("claim/verified", True, Identity(claims={"verified": (True,)}), GET, True),
    ("claim/groups", ["a"], Identity(claims={"groups": ("a",)}), GET, False),
    # groups: directory user group ids; without a session the body fails whatever the matcher
    ("groups", {"has": "group1"}, GROUPED, GET, True),
    ("groups", {"has": "group3"}, GROUPED, GET, False),
    ("groups", {"exclude": "group3"}, GROUPED, GET, True),
    ("groups", {"exclude": "group3"}, ANONYMOUS, GET, False),
    ("groups", {"is": "group1"}, GROUPED, GET, False),
    ("groups", {"is": "g"}, Identity(groups=frozenset({"g"})), GET, True),
    # device: needs the device, except where no device state can change the body
    ("device", {"is": "dc1"}, ANONYMOUS, GET, False),
    ("device", {"approved": True}, ANONYMOUS, GET, False),
    ("device", {"type": "enclave_only"}, ANONYMOUS, GET, False),
    ("device", {"approved": False}, ANONYMOUS, GET, True),
    ("device", {"approved": 0}, ANONYMOUS, GET, True),
    ("device", {}, ANONYMOUS, GET, True),
    ("device", {}, ALICE, GET, True),
    ("device", {"approved": True}, ALICE, GET, Unknown(THE_DEVICE)),
    ("device", {"approved": False}, ALICE, GET, Unknown(THE_DEVICE)),
    ("device", {"is": "dc1"}, ALICE, GET, Unknown(THE_DEVICE)),
    # client certificates are never known offline
    ("client_certificate", {"san_email": {"is": "a@example.com"}}, ALICE, GET, Unknown(THE_CLIENT_CERTIFICATE)),
    ("invalid_client_certificate", True, ANONYMOUS, GET, Unknown(THE_CLIENT_CERTIFICATE)),
    # source_ip: CIDR containment, IPv4 and IPv6
    ("source_ip", "1.2.3.4", ANONYMOUS, Request(source_ip="1.2.3.4"), True),
    ("source_ip", "1.2.3.4", ANONYMOUS, Request(source_ip="1.2.3.5"), False),
    ("source_ip", "192.168.1.1/24", ANONYMOUS, Request(source_ip="192.168.1.200"), True),
    ("source_ip", "192.168.1.1/24", ANONYMOUS, Request(source_ip="192.168.2.1"), False),
    ("source_ip", "2001:db8::1", ANONYMOUS, Request(source_ip="2001:db8::1"), True),
    ("source_ip", "2001:db8::1", ANONYMOUS, Request(source_ip="2001:db8::2"), False),
    ("source_ip", "2001:db8::/32", ANONYMOUS, Request(source_ip="2001:db8:1:2:3:4:5:6"), True),
    ("source_ip", "2001:db8::/32", ANONYMOUS, Request(source_ip="2001:ffff:1:2:3:4:5:6"), False),
    ("source_ip", ["10.0.0.0/8", "2001:db8::/32"], ANONYMOUS, Request(source_ip="10.1.2.3"), True),
    ("source_ip", "::ffff:10.0.0.0/104", ANONYMOUS, Request(source_ip="10.9.9.9"), True),
    ("source_ip", "10.0.0.0/8", ANONYMOUS, Request(source_ip="::ffff:10.9.9.9"), True),
    ("source_ip", "::/0", ANONYMOUS, Request(source_ip="10.9.9.9"), False),
    ("source_ip", "10.0.0.0/8", ANONYMOUS, GET, Unknown(THE_CLIENT_IP)),
    ("source_ip", [], ANONYMOUS, GET, False),
    ("source_ip", ["0.0.0.0/0", "::/0"], ANONYMOUS, GET, True),
]


@pytest.mark.parametrize(("key", "data", "identity", "request_", "expected"), CRITERION_CASES)
def test_criterion_truth(key: str, data: Any, identity: Identity, request_: Request, expected: bool | Unknown) -> None:
    assert truth(key, data, identity, request_) == expected


@pytest.mark.parametrize(
    ("key", "data", "message"),
    [
        ("day_of_week", "mon", "unknown policy criterion: day_of_week"),
        ("email", {"regex": ".*"}, "unknown string matcher operator: regex"),
        ("email", {"in": "a@x"}, "in matcher requires an array of strings"),
        ("claim/groups", {"contains": "a"}, "unknown string list matcher operator: contains"),
        ("device", {"color": "red"}, "unexpected field in device criterion: color"),
        ("source_ip", "not-an-ip", "expected IP or CIDR range"),
    ],
)
def test_criteria_upstream_rejects_raise(key: str, data: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        truth(key, data, ANONYMOUS)


def test_matcher_helpers_follow_rego_equality() -> None:
    assert rego_equal(1, 1.0) and not rego_equal(True, 1) and not rego_equal("1", 1)
    assert rego_equal([1, {"a": None}], (1.0, {"a": None})) and not rego_equal({"a": 1}, {"b": 1})
    assert match_string("x", {}) and not match_string("x", {"is": "x", "not": "x"})
    assert match_string_list(["a"], {"is": "a"}) and not match_string_list("a", "a")  # a scalar is not iterated


def test_claim_lookup_tries_the_whole_path_then_nested_keys() -> None:
    claims: dict[str, Any] = {"a/b": ["whole"], "x": {"y": {"z": ["nested"]}}, "list": [{"k": "v"}]}
    assert claim_lookup(claims, "a/b") == ["whole"]
    assert claim_lookup(claims, "x/y/z") == claim_lookup(claims, "x.y.z") == ["nested"]
    assert claim_lookup(claims, "list/k") == []  # object.get on an array is undefined
    assert claim_lookup(claims, "a/b/c/d/e/f") == []
    assert claim_lookup({"": ["empty"]}, "") == ["empty"]


# --------------------------------------------------------------------------- conditionals and rules

BOOLEAN_CRITERIA = {True: {"accept": True}, False: {"reject": True}}


@pytest.mark.parametrize("values", [v for n in range(1, 4) for v in itertools.product([True, False], repeat=n)])
@pytest.mark.parametrize("operator", ["and", "or", "not", "nor"])
def test_conditionals_combine_like_upstream(operator: str, values: tuple[bool, ...]) -> None:
    combine = {
        "and": all(values),
        "or": any(values),
        "not": not any(values),  # none matches
        "nor": not all(values),  # at least one does not match
    }
    outcome = decide({"allow": {operator: [BOOLEAN_CRITERIA[value] for value in values]}}, ANONYMOUS)
    assert outcome.decision == ("allow" if combine[operator] else "deny")


@pytest.mark.parametrize("operator", ["and", "or", "not", "nor"])
def test_empty_conditional_never_matches(operator: str) -> None:
    assert decide({"allow": {operator: []}}).decision == "deny"
    assert decide([{"allow": {operator: [], "or": [{"accept": True}]}}]).decision == "allow"


def test_conditionals_of_one_rule_are_ored() -> None:
    doc = {"allow": {"and": [{"email": "alice@example.com"}], "nor": [{"http_method": {"in": ["DELETE", "PUT"]}}]}}
    assert decide(doc, ALICE, Request("DELETE")).decision == "allow"
    assert decide(doc, ANONYMOUS, Request("GET")).decision == "allow"  # nor holds: GET is not DELETE/PUT
    assert decide(doc, ANONYMOUS, Request("PUT")).decision == "deny"


def test_not_admits_anonymous_visitors() -> None:
    doc = {"allow": {"not": [{"email": "alice@example.com"}]}}
    assert decide(doc, ANONYMOUS).decision == "allow"
    assert decide(doc, ALICE).decision == "deny"
    assert decide(doc, SMITH).decision == "allow"
    # the same holds for session criteria whose body fails without a session
    assert decide({"allow": {"nor": [{"authenticated_user": True}]}}, ANONYMOUS).decision == "allow"
    assert decide({"allow": {"not": [{"groups": {"exclude": "x"}}]}}, ANONYMOUS).decision == "allow"


def test_deny_wins_and_no_allow_denies() -> None:
    doc = [{"allow": {"or": [{"authenticated_user": True}]}}, {"deny": {"or": [{"email": "alice@example.com"}]}}]
    assert decide(doc, ALICE).decision == "deny"
    assert decide(doc, SMITH).decision == "allow"
    assert decide({"deny": {"or": [{"reject": True}]}}, ALICE) == Outcome("deny", "no allow rule matches", None)
    assert decide([], ALICE).decision == "deny"


# --------------------------------------------------------------------------- depends

DEVICE_DENY = [{"allow": {"or": [{"authenticated_user": True}]}}, {"deny": {"or": [{"device": {"approved": False}}]}}]


def test_unknown_deny_makes_an_allowed_request_depend() -> None:
    outcome = decide(DEVICE_DENY, ALICE)
    assert (outcome.decision, outcome.rule_index, outcome.depends_on) == ("depends", 1, (THE_DEVICE,))
    assert outcome.deciding.startswith("deny rule 2 (or: device not approved)")
    assert "depends on the device" in outcome.deciding


def test_unknowns_that_cannot_change_the_outcome_do_not_matter() -> None:
    assert decide(DEVICE_DENY, ANONYMOUS).decision == "deny"  # nobody allows anonymous: the device is moot
    either = {"allow": {"or": [{"device": {"approved": True}}, {"email": "alice@example.com"}]}}
    assert decide(either, ALICE).decision == "allow"
    assert decide(either, SMITH).depends_on == (THE_DEVICE,)
    blocked = [either, {"deny": {"or": [{"accept": True}]}}]
    assert decide(blocked, SMITH).decision == "deny"
    both = {"allow": {"and": [{"source_ip": "10.0.0.0/8"}, {"email": "alice@example.com"}]}}
    assert decide(both, SMITH).decision == "deny"
    assert decide(both, ALICE).depends_on == (THE_CLIENT_IP,)


def test_depends_lists_every_relevant_unknown_sorted() -> None:
    doc = [
        {"allow": {"or": [{"user": "u-bob"}, {"client_certificate": {"san_dns": "a"}}]}},
        {"deny": {"or": [{"source_ip": "10.0.0.0/8"}]}},
    ]
    outcome = decide(doc, UNKNOWN_ID)
    assert outcome.decision == "depends"
    assert outcome.depends_on == tuple(sorted({THE_USER_ID, THE_CLIENT_CERTIFICATE, THE_CLIENT_IP}))
    assert outcome.rule_index == 0
    assert decide(doc, UNKNOWN_ID, Request(source_ip="10.1.1.1")).decision == "deny"
    assert decide(doc, Identity(user_id="u-bob"), Request(source_ip="192.0.2.1")).decision == "allow"


# --------------------------------------------------------------------------- words


def test_deciding_words_name_the_rule_and_conditional() -> None:
    doc = [
        {"allow": {"or": [{"authenticated_user": True}]}},
        {"deny": {"or": [{"domain": "evil.example"}, {"email": "mallory@example.com"}]}},
    ]
    mallory = Identity(email="mallory@example.com")
    assert decide(doc, mallory) == Outcome("deny", "deny rule 2 (or: email is mallory@example.com)", 1)
    assert decide(doc, ALICE) == Outcome("allow", "allow rule 1 (or: any signed-in user)", 0)
    nor = decide({"allow": {"nor": [{"accept": True}, {"http_method": "DELETE"}]}}, ALICE)
    assert nor.deciding == "allow rule 1 (nor: method is DELETE)"


def test_identity_describe() -> None:
    assert ANONYMOUS.describe() == "anonymous"
    described = Identity(email="alice@example.com", groups=frozenset({"b", "a"})).describe()
    assert described.startswith("alice@example.com") and "a, b" in described
    assert "u-7" in Identity(user_id="u-7").describe()


# --------------------------------------------------------------------------- route-level options (ToPPL)


def test_legacy_options_follow_to_ppl() -> None:
    assert evaluate_route({"allow_public_unauthenticated_access": True}, ANONYMOUS).decision == "allow"
    any_user = {"allow_any_authenticated_user": True}
    assert evaluate_route(any_user, ANONYMOUS).decision == "deny"
    assert evaluate_route(any_user, UNKNOWN_ID).decision == "allow"
    users = {"allowed_users": ["alice@example.com", "u-carol"]}
    assert evaluate_route(users, ALICE).decision == "allow"  # by email
    assert evaluate_route(users, Identity(email="carol@x", user_id="u-carol")).decision == "allow"  # by id
    assert evaluate_route(users, Identity(email="dave@x", user_id="u-dave")).decision == "deny"
    assert evaluate_route(users, Identity(email="dave@x")).depends_on == (THE_USER_ID,)
    domains = {"allowed_domains": ["example.com"]}
    assert evaluate_route(domains, SMITH).decision == "allow"
    assert evaluate_route(domains, Identity(email="a@example.org")).decision == "deny"
    claims = {"allowed_idp_claims": {"family_name": ["Smith", "Jones"]}}
    assert evaluate_route(claims, SMITH).decision == "allow"
    assert evaluate_route(claims, ALICE).decision == "deny"
    preflight = Request("OPTIONS", headers={"Origin": "https://a", "Access-Control-Request-Method": "PUT"})
    assert evaluate_route({"cors_allow_preflight": True}, ANONYMOUS, preflight).decision == "allow"
    assert evaluate_route({"cors_allow_preflight": True}, ANONYMOUS).decision == "deny"


def test_route_rules_shape() -> None:
    assert route_rules({}) == [Rule("allow", ())]
    policy = {"allow": {"or": [{"email": "a@x"}]}}
    assert route_rules({"policy": policy}) == rules_of(policy)
    with_list = route_rules({"allowed_users": ["a@x"], "policy": {"deny": {"or": [{"accept": True}]}}})
    assert [rule.action for rule in with_list] == ["allow", "deny"]
    assert evaluate(with_list, Identity(email="a@x")).decision == "deny"
    assert evaluate_route({}, ALICE).decision == "deny"
    with pytest.raises(PolicyError):
        route_rules({"policy": {"permit": {}}})
    with pytest.raises(PolicyError):
        route_rules({"policy": {"allow": {"or": [{"time_of_day": {}}]}}})


# --------------------------------------------------------------------------- properties

CRITERION_POOL: list[dict[str, Any]] = [
    {"accept": True},
    {"reject": True},
    {"authenticated_user": True},
    {"email": "alice@example.com"},
    {"email": {"not": "alice@example.com"}},
    {"domain": "example.com"},
    {"user": "u-alice"},
    {"groups": {"has": "group1"}},
    {"claim/family_name": {"exclude": "Smith"}},
    {"http_method": {"in": ["GET", "HEAD"]}},
    {"device": {"approved": True}},
    {"source_ip": "10.0.0.0/8"},
    {"invalid_client_certificate": True},
]
IDENTITIES = [ANONYMOUS, ALICE, SMITH, GROUPED, NO_EMAIL, UNKNOWN_ID]
conditional_docs = st.dictionaries(
    st.sampled_from(["and", "or", "not", "nor"]), st.lists(st.sampled_from(CRITERION_POOL), max_size=3), max_size=2
)
rule_docs = st.lists(st.tuples(st.sampled_from(["allow", "deny"]), conditional_docs), max_size=5)
requests = st.builds(
    Request, method=st.sampled_from(["GET", "POST"]), source_ip=st.sampled_from([None, "10.1.2.3", "192.0.2.1"])
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _rules(docs: list[tuple[str, dict[str, Any]]]) -> list[Rule]:
    return rules_of([{action: body} for action, body in docs])


@FAST
@given(rule_docs, st.sampled_from(IDENTITIES), requests)
def test_a_matching_deny_rule_always_wins(docs: list[tuple[str, dict[str, Any]]], who: Identity, req: Request) -> None:
    rules = [*_rules(docs), *rules_of({"deny": {"or": [{"accept": True}]}})]
    outcome = evaluate(rules, who, req)
    assert outcome.decision == "deny"
    assert outcome.rule_index is None or rules[outcome.rule_index].action == "deny"


@FAST
@given(rule_docs, st.sampled_from(IDENTITIES), requests, st.randoms(use_true_random=False))
def test_rule_order_does_not_change_the_decision(
    docs: list[tuple[str, dict[str, Any]]], who: Identity, req: Request, random: Any
) -> None:
    rules = _rules(docs)
    shuffled = list(rules)
    random.shuffle(shuffled)
    first, second = evaluate(rules, who, req), evaluate(shuffled, who, req)
    assert (first.decision, first.depends_on) == (second.decision, second.depends_on)


@FAST
@given(rule_docs, st.sampled_from(IDENTITIES))
def test_knowing_the_ip_resolves_or_narrows_a_depends(docs: list[tuple[str, dict[str, Any]]], who: Identity) -> None:
    rules = _rules(docs)
    unknown = evaluate(rules, who, Request(source_ip=None))
    for ip in ("10.1.2.3", "192.0.2.1"):
        known = evaluate(rules, who, Request(source_ip=ip))
        assert THE_CLIENT_IP not in known.depends_on
        if unknown.decision != "depends":
            assert known.decision == unknown.decision  # a decided verdict never hinged on the IP
        elif THE_CLIENT_IP not in unknown.depends_on:
            assert known.decision == "depends"
