"""pomgate's policy evaluator agrees with a real Rego engine running the Rego Pomerium generates.

Issue 16: cross-checked against a real policy engine, not against itself. Every case renders the policy
as upstream's generator does (``rego_generator``), evaluates it with regopy for an identity and a request,
and compares the verdict (allow and not deny) with ``evaluate``. Only cases where ``evaluate`` decides
(allow/deny) are compared; the random part only builds inputs ``evaluate`` can know and asserts that it
always decides.
"""

from __future__ import annotations

import ipaddress
import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

pytest.importorskip("regopy", reason="regopy (a test dependency) is not installed; the Rego cross-check needs it")

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pomgate.translation.evaluation import ANONYMOUS, Identity, Request, evaluate, route_rules
from pomgate.translation.ppl import Conditional, Criterion, Rule, allow_list_rule, rules_of
from pomgate.translation.rego import render_rego, rule_names
from tests.policy_rego.rego_generator import (
    NET_MODULE,
    RegoVerdict,
    canonical_header_key,
    compiled_policy,
    rego_decision,
    rego_verdicts,
)

Case = tuple[Any, Sequence[Rule], Identity, Request]  # (policy as written, its rules, identity, request)

# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Disagreement:
    policy: Any
    identity: Identity
    request: Request
    evaluated: str
    rego: RegoVerdict

    def __str__(self) -> str:
        policy = yaml.safe_dump(self.policy, sort_keys=False, default_flow_style=None).rstrip()
        return (
            f"policy:\n{policy}\nidentity: {self.identity!r}\nrequest: {self.request!r}\n"
            f"evaluate: {self.evaluated}; Rego: allow={self.rego.allow} {list(self.rego.allow_reasons)}, "
            f"deny={self.rego.deny} {list(self.rego.deny_reasons)}"
        )


def disagreements(cases: Iterable[Case]) -> tuple[int, list[Disagreement]]:
    """How many cases ``evaluate`` decides (allow/deny), and those where Rego's verdict differs."""
    decided = []
    for policy, rules, identity, request in cases:
        outcome = evaluate(rules, identity, request)
        if outcome.decision != "depends":
            decided.append((policy, rules, identity, request, outcome))
    verdicts = rego_verdicts([(rules, identity, request) for _, rules, identity, request, _ in decided])
    found = [
        Disagreement(policy, identity, request, f"{outcome.decision} ({outcome.deciding})", verdict)
        for (policy, _, identity, request, outcome), verdict in zip(decided, verdicts, strict=True)
        if verdict.granted != (outcome.decision == "allow")
    ]
    return len(decided), found


def check_all(cases: Iterable[Case], minimum_compared: int) -> None:
    """Fail listing the disagreements, or when fewer than ``minimum_compared`` cases were decided."""
    compared, found = disagreements(cases)
    if found:
        shown = "\n\n".join(str(d) for d in found[:5])
        pytest.fail(f"{len(found)} of {compared} decided cases disagree with Rego, e.g.:\n\n{shown}")
    assert compared >= minimum_compared


# --------------------------------------------------------------------------- the harness itself


CIDR_CASES = [
    ("10.0.0.0/8", "10.1.2.3"),
    ("10.0.0.0/8", "11.0.0.1"),
    ("10.1.2.3/32", "10.1.2.3"),
    ("10.1.2.3/32", "10.1.2.4"),
    ("192.168.1.1/32", "10.0.0.1"),
    ("192.168.1.1/32", "192.168.1.1"),
    ("10.1.2.99/24", "10.1.2.200"),
    ("10.1.2.99/24", "9.1.2.200"),
    ("100.64.0.0/10", "100.127.255.255"),
    ("100.64.0.0/10", "100.128.0.0"),
    ("100.64.0.0/10", "99.64.0.0"),
    ("10.1.2.99/23", "10.1.3.1"),
    ("10.1.2.99/23", "10.1.4.1"),
    ("0.0.0.0/0", "203.0.113.9"),
    ("0.0.0.0/0", "2001:db8::1"),
    ("192.168.1.128/25", "192.168.1.127"),
    ("192.168.1.128/25", "192.168.1.255"),
    ("2001:db8::/32", "2001:db8:ffff::1"),
    ("2001:db8::/32", "2001:db9::1"),
    ("2001:db8::/33", "2001:db8:8000::1"),
    ("2001:db8::/33", "2001:db8:7fff::1"),
    ("2001:db8::/32", "3001:db8::1"),
    ("2001:db8::/32", "2001:db8::"),
    ("2001:db8::1/128", "2001:0db8:0000:0000:0000:0000:0000:0001"),
    ("::/0", "::1"),
    ("::/0", "10.0.0.1"),
    ("fe80::/10", "FEBF::1"),
    ("fe80::/10", "fec0::1"),
    ("1:2:3:4:5:6:7:8/128", "1:2:3:4:5:6:7:8"),
    ("1:2:3:4:5:6:7::/112", "1:2:3:4:5:6:7:abcd"),
    ("10.0.0.0/8", "not-an-ip"),
    ("10.0.0.0/8", ""),
    ("10.0.0.0/8", "010.0.0.1"),
    ("10.0.0.0/8", "10.0.0.256"),
    ("2001:db8::/32", "2001:db8::zz"),
    ("2001:db8::/32", "2001:db8:1:2:3:4:5:6:7"),
]


def _python_contains(cidr: str, address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if address.split(".")[0].startswith("0") and len(address.split(".")[0]) > 1:
        return False  # Go rejects IPv4 octets with leading zeros
    network = ipaddress.ip_network(cidr, strict=False)
    return ip.version == network.version and ip in network


def test_cidr_stand_in_matches_python_ipaddress() -> None:
    """The Rego stand-in for net.cidr_contains_matches agrees with Python's ipaddress on the harness's literals."""
    import regopy

    interpreter = regopy.Interpreter()
    interpreter.add_module("net", NET_MODULE)
    for cidr, address in CIDR_CASES:
        interpreter.set_input({"cidrs": [cidr], "address": address})
        output = interpreter.query("n := count(data.net.cidr_contains_matches(input.cidrs, input.address))")
        assert output.ok(), str(output)
        assert (output[0]["n"] > 0) == _python_contains(cidr, address), (cidr, address)


def test_header_keys_are_canonicalised_like_go() -> None:
    assert canonical_header_key("access-control-request-method") == "Access-Control-Request-Method"
    assert canonical_header_key("ORIGIN") == "Origin"
    assert canonical_header_key("x_forwarded-for") == "X_forwarded-For"
    assert canonical_header_key("bad key") == "bad key"


def _upstream_to_ppl_example() -> list[Rule]:
    """The rules of upstream's ``TestPolicy_ToPPL`` (config/policy_ppl_test.go): the allow-list fields of the
    route and its two sub-policies merged into one ``or`` (domains, claims, users), then the PPL rule."""
    merged = allow_list_rule(
        public=True,
        cors_preflight=True,
        any_authenticated=True,
        domains=["a.example.com", "b.example.com", "c.example.com", "d.example.com", "e.example.com"],
        claims={"family_name": ["Smith", "Jones"], "given_name": ["John"], "timezone": ["EST"]},
        users=["user1", "user2", "user3", "user4", "user5"],
    )
    assert merged is not None
    return [merged, Rule("allow", (Conditional("or", (Criterion("user", None, {"is": "user6"}),)),))]


def test_generated_module_has_upstream_structure() -> None:
    """Rule names and order are those of the complete module upstream's test expects for the same policy."""
    text = render_rego(_upstream_to_ppl_example())
    users = [name for index in range(5) for name in (f"user_{index}", f"email_{index}")]
    expected = [
        "allow",
        "deny",
        "accept_0",
        "cors_preflight_0",
        "authenticated_user_0",
        *(f"domain_{index}" for index in range(5)),
        *(f"claim_{index}" for index in range(4)),
        *users,
        "or_0",
        "user_5",
        "or_1",
        "allow",
        "invert_criterion_result",
        "normalize_criterion_result",
        "object_union",
        "merge_with_and",
        "merge_with_or",
        "get_session",
        "get_user",
        "get_directory_user",
        "get_user_email",
        "object_get",
    ]
    assert rule_names(text) == expected
    assert text.startswith("package pomerium.policy\n\nimport rego.v1\n\ndefault allow := [false, set()]\n")
    assert "results := [or_0, or_1]" in text
    assert "deny :=" not in text.replace("default deny :=", "")
    assert 'rule_path := "given_name"' in text
    assert 'count([true | some v; v = values[_0]; v == "EST"]) > 0' in text


def test_upstream_example_grants_as_evaluate_says() -> None:
    rules = _upstream_to_ppl_example()
    anonymous_delete = (ANONYMOUS, Request(method="DELETE", source_ip="10.0.0.1"))
    user6 = (Identity(email="z@z.example", user_id="user6"), Request(source_ip="10.0.0.1"))
    for identity, request in (anonymous_delete, user6):
        assert rego_decision(rules, identity, request) is True
        assert evaluate(rules, identity, request).decision == "allow"
    without_accept = [Rule("allow", (Conditional("or", rules[0].conditionals[0].criteria[1:]),)), rules[1]]
    assert rego_decision(without_accept, *user6) is True
    assert rego_decision(without_accept, *anonymous_delete) is False
    assert rego_decision(without_accept, Identity(email="q@c.example.com", user_id="q"), Request()) is True


def test_compiled_module_is_reused() -> None:
    rules = rules_of({"allow": {"or": [{"email": "reuse@example.com"}]}})
    rego_decision(rules, ANONYMOUS, Request())
    first = compiled_policy(render_rego(rules))
    rego_decision(rules, Identity(email="reuse@example.com", user_id="u"), Request())
    assert compiled_policy(render_rego(rules)) is first


# --------------------------------------------------------------------------- hand-picked cases


def _ssh_public_key() -> str:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


SSH_KEY = _ssh_public_key()
FINGERPRINT = "ab" * 32

HAND_PICKED_POLICIES: list[Any] = [
    {"allow": {"and": [{"accept": True}]}},
    {"allow": {"and": [{"reject": True}]}},
    {"allow": {"or": [{"authenticated_user": True}]}},
    {"allow": {"or": [{"email": "alice@example.com"}]}},
    {"allow": {"or": [{"email": {"not": "alice@example.com"}}]}},
    {"allow": {"or": [{"email": {"contains": "@corp."}}]}},
    {"allow": {"or": [{"email": {"starts_with": "ali", "ends_with": ".com"}}]}},
    {"allow": {"or": [{"email": {"in": ["alice@example.com", "bob@corp.example.org"]}}]}},
    {"allow": {"or": [{"email": {"not_in": ["alice@example.com", ""]}}]}},
    {"allow": {"or": [{"email": {}}]}},
    {"allow": {"or": [{"email": ["alice@example.com"]}]}},
    {"allow": {"or": [{"email": {"contains": 1}}]}},
    {"allow": {"or": [{"domain": "example.com"}]}},
    {"allow": {"or": [{"domain": {"ends_with": "example.org"}}]}},
    {"allow": {"or": [{"domain": {"not": "example.com"}}]}},
    {"allow": {"or": [{"domain": "y"}]}},
    {"allow": {"or": [{"user": "u-alice"}]}},
    {"allow": {"or": [{"user": {"in": ["u-bob", ""]}}]}},
    {"allow": {"or": [{"user": {"not": "u-alice"}}]}},
    {"allow": {"or": [{"claim/groups": "admins"}]}},
    {"allow": {"or": [{"claim/groups": {"is": "admins"}}]}},
    {"allow": {"or": [{"claim/groups": {"exclude": "admins"}}]}},
    {"allow": {"or": [{"claim/level": 3}]}},
    {"allow": {"or": [{"claim/level": "3"}]}},
    {"allow": {"or": [{"claim/verified": True}]}},
    {"allow": {"or": [{"claim/verified": 1}]}},
    {"allow": {"or": [{"claim/org.team": "infra"}]}},
    {"allow": {"or": [{"claim/nested/team": "infra"}]}},
    {"allow": {"or": [{"claim": "admins"}]}},
    {"allow": {"or": [{"groups": "g-admins"}]}},
    {"allow": {"or": [{"groups": {"is": "g-admins"}}]}},
    {"allow": {"or": [{"groups": {"exclude": "g-admins"}}]}},
    {"allow": {"or": [{"groups": "admins"}]}},
    {"allow": {"or": [{"http_method": "GET"}]}},
    {"allow": {"or": [{"http_method": {"in": ["POST", "DELETE"]}}]}},
    {"allow": {"or": [{"http_path": {"starts_with": "/admin"}}]}},
    {"allow": {"or": [{"http_path": {"is": "/"}}]}},
    {"allow": {"or": [{"cors_preflight": True}]}},
    {"allow": {"or": [{"source_ip": "10.0.0.0/8"}]}},
    {"allow": {"or": [{"source_ip": ["192.168.1.1", "2001:db8::/32"]}]}},
    {"allow": {"or": [{"mcp_tool": "search"}]}},
    {"allow": {"or": [{"ssh_username": ""}]}},
    {"allow": {"or": [{"ssh_username": {"not": ""}}]}},
    {"allow": {"or": [{"ssh_username_matches_email": True}]}},
    {"allow": {"or": [{"ssh_username_matches_claim": "groups"}]}},
    {"allow": {"or": [{"ssh_publickey": SSH_KEY}]}},
    {"allow": {"or": [{"ssh_ca": [SSH_KEY]}]}},
    {"allow": {"or": [{"device": {}}]}},
    {"allow": {"or": [{"device": {"approved": False}}]}},
    {"allow": {"or": [{"device": {"approved": True, "type": "enclave_only"}}]}},
    {"allow": {"and": [{"reject": True}, {"invalid_client_certificate": True}]}},
    {"allow": {"or": [{"accept": True}, {"client_certificate": {"fingerprint": FINGERPRINT}}]}},
    {"allow": {"and": [{"domain": "example.com"}, {"http_method": "GET"}]}},
    {"allow": {"not": [{"email": "alice@example.com"}, {"http_method": "DELETE"}]}},
    {"allow": {"nor": [{"authenticated_user": True}, {"http_path": {"starts_with": "/admin"}}]}},
    {"allow": {"and": [{"authenticated_user": True}], "nor": [{"http_method": {"in": ["DELETE", "PUT"]}}]}},
    {"allow": {"and": []}},
    {"allow": {"and": [], "or": [{"groups": "g-admins"}]}},
    {"allow": {"or": [{"accept": True}]}, "deny": {"or": [{"email": {"ends_with": "@corp.example.org"}}]}},
    {"allow": {"or": [{"authenticated_user": True}]}, "deny": {"not": [{"source_ip": "10.0.0.0/8"}]}},
    {"deny": {"or": [{"accept": True}]}},
    [
        {"allow": {"or": [{"domain": "example.com"}]}},
        {"allow": {"and": [{"claim/groups": "admins"}, {"http_path": {"starts_with": "/admin"}}]}},
        {"deny": {"nor": [{"http_method": "GET"}, {"groups": {"exclude": "g-admins"}}]}},
    ],
]

HAND_PICKED_IDENTITIES = [
    ANONYMOUS,
    Identity(
        email="alice@example.com",
        user_id="u-alice",
        groups=frozenset({"g-admins"}),
        claims={
            "groups": ("admins", "dev"),
            "level": (3,),
            "verified": (True,),
            "org.team": ("infra",),
            "nested": ({"team": "infra"},),
        },
    ),
    Identity(email="bob@corp.example.org", user_id="u-bob", claims={"level": ("3",), "verified": (1,)}),
    Identity(email="", user_id="u-noemail", groups=frozenset({"g-dev"})),
    Identity(email="x@y@example.com", user_id="u-odd", claims={"groups": ("",)}),
    Identity(email="Alice@Example.com", user_id=""),
    Identity(email="carol@example.com", user_id=None, claims={"groups": "admins"}),  # type: ignore[dict-item]  # a scalar
]

HAND_PICKED_REQUESTS = [
    Request(source_ip="10.1.2.3"),
    Request(method="DELETE", path="/admin/users", source_ip="192.168.1.1"),
    Request(method="OPTIONS", headers={"origin": "https://a.example", "access-control-request-method": "PUT"}),
    Request(method="OPTIONS", headers={"Origin": "", "Access-Control-Request-Method": "PUT"}, source_ip="10.0.0.1"),
    Request(method="POST", path="/api", source_ip="2001:db8::7"),
]


def test_hand_picked_policies_agree_with_rego() -> None:
    cases = (
        (policy, rules_of(policy), identity, request)
        for policy, identity, request in itertools.product(
            HAND_PICKED_POLICIES, HAND_PICKED_IDENTITIES, HAND_PICKED_REQUESTS
        )
    )
    check_all(cases, minimum_compared=len(HAND_PICKED_POLICIES) * 20)


HAND_PICKED_ROUTES: list[dict[str, Any]] = [
    {},
    {"allow_public_unauthenticated_access": True},
    {"allow_any_authenticated_user": True},
    {"cors_allow_preflight": True, "allowed_domains": ["example.com"]},
    {"allowed_users": ["u-bob", "alice@example.com"]},
    {"allowed_idp_claims": {"groups": ["admins"], "level": [3]}},
    {"allowed_domains": ["corp.example.org"], "policy": {"deny": {"or": [{"http_method": "DELETE"}]}}},
    {"policy": {"allow": {"or": [{"groups": "g-dev"}]}}},
    {"allowed_users": ["carol@example.com"], "policy": [{"allow": {"and": [{"http_path": "/"}]}}]},
    {"allow_public_unauthenticated_access": True, "policy": {"deny": {"not": [{"authenticated_user": True}]}}},
]


def test_legacy_allow_list_routes_agree_with_rego() -> None:
    """The allow-list options as ``route_rules`` turns them into PPL, plus a route's policy."""
    cases = (
        (fields, route_rules(fields), identity, request)
        for fields, identity, request in itertools.product(
            HAND_PICKED_ROUTES, HAND_PICKED_IDENTITIES, HAND_PICKED_REQUESTS
        )
    )
    check_all(cases, minimum_compared=len(HAND_PICKED_ROUTES) * 20)


# --------------------------------------------------------------------------- random policies

EMAILS = ["alice@example.com", "bob@example.com", "carol@corp.example.org", "dave@other.net", "", "x@y@example.com"]
DOMAINS = ["example.com", "corp.example.org", "other.net", "y", ""]
USER_IDS = ["u-alice", "u-bob", "u-carol", ""]
GROUPS = ["g-admins", "g-dev", "g-ops"]
CLAIM_NAMES = ["groups", "dept", "org.team", "level"]
CLAIM_VALUES: list[Any] = ["admins", "eng", "ops", "", "1", 1, True]
METHODS = ["GET", "POST", "DELETE", "OPTIONS", "get"]
PATHS = ["/", "/admin", "/admin/users", "/api/v1", ""]
SOURCE_IPS = ["10.1.2.3", "10.200.0.1", "192.168.1.1", "127.0.0.1", "2001:db8::1", "2001:db9::1"]
SOURCE_RANGES = ["10.0.0.0/8", "10.1.0.0/16", "192.168.1.1", "127.0.0.1/32", "2001:db8::/32", "0.0.0.0/0", "::/0"]
FRAGMENTS = ["", "a", "@", ".com", "/admin", "example", "G", "ad", "/"]

STRING_OPERATORS = ["is", "not", "contains", "starts_with", "ends_with", "in", "not_in"]
LIST_OPERATORS = ["has", "is", "exclude"]


class PolicyFactory:
    """Random PPL documents, identities and requests over one small literal alphabet."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def _pick(self, items: Sequence[Any]) -> Any:
        return self.random.choice(items)

    def _subset(self, items: Sequence[Any], most: int) -> list[Any]:
        return self.random.sample(list(items), self.random.randint(0, min(most, len(items))))

    def string_matcher(self, alphabet: Sequence[Any]) -> Any:
        roll = self.random.random()
        if roll < 0.3:
            return self._pick(alphabet)
        if roll < 0.35:
            return {}
        matcher: dict[str, Any] = {}
        for operator in self.random.sample(STRING_OPERATORS, self.random.randint(1, 2)):
            if operator in ("in", "not_in"):
                matcher[operator] = self._subset(alphabet, 3)
            elif operator in ("is", "not"):
                matcher[operator] = self._pick(alphabet)
            else:
                matcher[operator] = self._pick([*FRAGMENTS, *(a for a in alphabet if isinstance(a, str))])
        return matcher

    def list_matcher(self, alphabet: Sequence[Any]) -> Any:
        if self.random.random() < 0.35:
            return self._pick(alphabet)
        return {operator: self._pick(alphabet) for operator in self._subset(LIST_OPERATORS, 2) or ["has"]}

    def criterion(self) -> dict[str, Any]:
        name = self._pick(
            [
                "accept",
                "reject",
                "authenticated_user",
                "email",
                "email",
                "domain",
                "domain",
                "user",
                "claim",
                "claim",
                "groups",
                "groups",
                "http_method",
                "http_path",
                "cors_preflight",
                "source_ip",
                "ssh_username",
                "ssh_username_matches_email",
                "ssh_username_matches_claim",
                "mcp_tool",
            ]
        )
        if name in ("accept", "reject", "authenticated_user", "cors_preflight", "ssh_username_matches_email"):
            return {name: True}
        if name == "email":
            return {name: self.string_matcher(EMAILS)}
        if name == "domain":
            return {name: self.string_matcher(DOMAINS)}
        if name == "user":
            return {name: self.string_matcher(USER_IDS)}
        if name == "http_method":
            return {name: self.string_matcher(METHODS)}
        if name == "http_path":
            return {name: self.string_matcher(PATHS)}
        if name in ("ssh_username", "mcp_tool"):
            return {name: self.string_matcher(["", "alice", "search"])}
        if name == "claim":
            return {f"claim/{self._pick(CLAIM_NAMES)}": self.list_matcher(CLAIM_VALUES)}
        if name == "groups":
            return {name: self.list_matcher(GROUPS)}
        if name == "ssh_username_matches_claim":
            return {name: self._pick(CLAIM_NAMES)}
        ranges = self._subset(SOURCE_RANGES, 3)
        return {name: ranges[0] if len(ranges) == 1 and self.random.random() < 0.5 else ranges}

    def rule_body(self) -> dict[str, Any]:
        operators = self._subset(["and", "or", "not", "nor"], 3) or ["or"]
        return {operator: [self.criterion() for _ in range(self.random.randint(0, 3))] for operator in operators}

    def policy(self) -> Any:
        rule_objects = []
        for _ in range(self.random.randint(1, 2)):
            actions = self._pick([["allow"], ["allow"], ["allow", "deny"], ["deny"]])
            rule_objects.append({action: self.rule_body() for action in actions})
        return rule_objects[0] if len(rule_objects) == 1 else rule_objects

    def identity(self) -> Identity:
        if self.random.random() < 0.15:
            return ANONYMOUS
        claims = {name: tuple(self._subset(CLAIM_VALUES, 2)) for name in self._subset(CLAIM_NAMES, 3)}
        return Identity(
            email=self._pick(EMAILS),
            user_id=self._pick(USER_IDS),
            groups=frozenset(self._subset(GROUPS, 2)),
            claims=claims,
        )

    def request(self) -> Request:
        headers = {}
        for name in self._subset(["Origin", "access-control-request-method"], 2):
            headers[self._pick([name, name.upper(), name.lower()])] = self._pick(["", "x"])
        return Request(
            method=self._pick(METHODS), path=self._pick(PATHS), headers=headers, source_ip=self._pick(SOURCE_IPS)
        )


RANDOM_POLICIES = 200  # compiling one costs about 25 ms, one evaluation about 2.5 ms
INPUTS_PER_POLICY = 16


def test_random_policies_agree_with_rego() -> None:
    """Seeded random policies x identities x requests: ``evaluate`` always decides and Rego agrees every time."""
    factory = PolicyFactory(seed=16)
    undecided: list[str] = []
    allowed = 0
    cases = []
    for _ in range(RANDOM_POLICIES):
        policy = factory.policy()
        rules = rules_of(policy)
        for _ in range(INPUTS_PER_POLICY):
            identity, request = factory.identity(), factory.request()
            decision = evaluate(rules, identity, request).decision
            if decision == "depends":
                undecided.append(f"{policy!r} {identity!r} {request!r}")
            allowed += decision == "allow"
            cases.append((policy, rules, identity, request))
    assert not undecided, f"evaluate said 'depends' for inputs it can know, e.g. {undecided[0]}"
    assert len(cases) // 5 < allowed < len(cases) * 4 // 5  # both verdicts are well represented
    check_all(cases, minimum_compared=RANDOM_POLICIES * INPUTS_PER_POLICY)
