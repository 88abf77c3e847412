"""Offline evaluation of Pomerium Policy Language with the semantics of Pomerium's generated Rego.

Pure: rules, an ``Identity`` and a ``Request`` in, an ``Outcome`` out. Each criterion follows the Rego
body upstream generates for it (``pkg/policy/criteria``), conditionals follow ``merge_with_and`` /
``merge_with_or`` / ``invert_criterion_result`` and the verdict follows the authorize evaluator
(allowed iff some allow rule matches and no deny rule matches; deny wins).

Upstream facts worth knowing when reading the results:

* A criterion that needs a session yields ``false`` for anonymous visitors and ``not``/``nor`` invert
  that to ``true``: ``allow: {not: [{email: alice@x}]}`` admits anonymous visitors.
* Criteria whose body needs no session can match anonymous visitors: ``email`` and ``claim`` read an
  empty email and empty claims from the missing session, so ``email: {not: x}``, ``email: {}`` and
  ``claim/c: {exclude: v}`` match them; ``device: {}`` and ``device: {approved: false}`` too;
  ``ssh_username_matches_email`` compares the empty SSH user name of an HTTP request with the part of the
  (empty) email before ``@``.
* ``domain`` is ``split(email, "@")[1]``: no ``@`` never matches, ``a@b@c`` has domain ``b``.
* ``groups`` matches the directory user's group ids only (group names are not looked at).
* ``contains``/``starts_with``/``ends_with`` with a non-string operand are Rego type errors; here they
  never match (a Rego engine evaluating without type checks leaves them undefined).

Inputs that cannot be known offline make a criterion ``Unknown``: the device (``device`` with
constraints, for signed-in users), the client certificate (``client_certificate``,
``invalid_client_certificate``), the IdP user id when ``Identity.user_id`` is None (``user``) and the
client's IP address when ``Request.source_ip`` is None (``source_ip``). Unknowns combine with Kleene
logic; the outcome is ``depends`` only when they can change the verdict.

A ``Request`` is a plain HTTP request: its SSH inputs are empty (``ssh_username`` compares ``""``,
``ssh_publickey``/``ssh_ca`` never match) and it carries no MCP JSON-RPC call (``mcp_tool`` never
matches). Not modelled: Pomerium's own endpoints (``/.pomerium/...``, ``/.well-known/pomerium``, ``/ping``,
``/healthz``), which never reach a route's policy, and the ``deny invalid_client_certificate`` rule
Pomerium adds when downstream mTLS is configured (a global setting not visible in route fields).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from pomgate.translation.ppl import (
    LIST_OPERATOR_PHRASES,
    STRING_OPERATOR_PHRASES,
    Conditional,
    Criterion,
    PolicyError,
    Rule,
    allow_list_rule,
    rules_of,
    validate_policy,
)

Decision: TypeAlias = Literal["allow", "deny", "depends"]

THE_DEVICE: Final = "the device"
THE_CLIENT_CERTIFICATE: Final = "the client certificate"
THE_USER_ID: Final = "the IdP user id"
THE_CLIENT_IP: Final = "the client's IP address"


# --------------------------------------------------------------------------- public model


@dataclass(frozen=True)
class Identity:
    """Who sends the request. Closed world: what is not given is absent (no groups, no claims), except user_id.

    ``groups`` are the directory user's group ids (what upstream's ``groups`` criterion compares).
    ``claims`` maps a claim name to its values; a scalar is taken as a one-value list (Pomerium stores
    every IdP claim as a list). A signed-in identity is assumed to have a directory user record.
    """

    signed_in: bool = True
    email: str = ""
    user_id: str | None = None
    groups: frozenset[str] = frozenset()
    claims: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def describe(self) -> str:
        """Short words for the identity, e.g. ``anonymous`` or ``alice@example.com (groups admins)``."""
        if not self.signed_in:
            return "anonymous"
        name = self.email or (f"user {self.user_id}" if self.user_id else "a signed-in user without email")
        details: list[str] = []
        if self.user_id and self.email:
            details.append(f"user id {self.user_id}")
        if self.groups:
            details.append("groups " + ", ".join(sorted(self.groups)))
        if self.claims:
            shown = (
                f"{claim}={','.join(_plain(v) for v in _claim_values(self.claims[claim]))}" for claim in self.claims
            )
            details.append("claims " + "; ".join(sorted(shown)))
        return f"{name} ({'; '.join(details)})" if details else name


ANONYMOUS: Final[Identity] = Identity(signed_in=False)


@dataclass(frozen=True)
class Request:
    """The HTTP request being authorised. Header names are case-insensitive."""

    method: str = "GET"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    source_ip: str | None = None


@dataclass(frozen=True)
class Unknown:
    """A truth value that hinges on an input not known offline; ``what`` names it (``the device``)."""

    what: str


Truth: TypeAlias = bool | Unknown


@dataclass(frozen=True)
class Outcome:
    """Pomerium's verdict: ``decision``, the words and index of the deciding rule, and what it depends on."""

    decision: Decision
    deciding: str
    rule_index: int | None
    depends_on: tuple[str, ...] = ()


_PLAIN_GET: Final[Request] = Request()

# --------------------------------------------------------------------------- internal truth values

# Internal three-valued truth: True, False, or the (non-empty) set of unknown inputs it hinges on.
_Tri: TypeAlias = bool | frozenset[str]


def _negate(value: _Tri) -> _Tri:
    return (not value) if isinstance(value, bool) else value


def _all_of(values: Iterable[_Tri]) -> _Tri:
    """Kleene AND (true for no values)."""
    unknown: set[str] = set()
    for value in values:
        if value is False:
            return False
        if not isinstance(value, bool):
            unknown |= value
    return frozenset(unknown) if unknown else True


def _any_of(values: Iterable[_Tri]) -> _Tri:
    """Kleene OR (false for no values)."""
    unknown: set[str] = set()
    for value in values:
        if value is True:
            return True
        if not isinstance(value, bool):
            unknown |= value
    return frozenset(unknown) if unknown else False


# --------------------------------------------------------------------------- Rego value helpers


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def rego_equal(left: Any, right: Any) -> bool:
    """Rego's ``==`` on JSON values: types must agree, numbers compare by value (``1 == 1.0``)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(rego_equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(rego_equal(left[key], right[key]) for key in left)
    return False


def _claim_values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


class _Undefined(Exception):
    """A Rego expression is undefined (a builtin failed): the enclosing body does not hold."""


def _object_get(container: Any, key: str, default: Any) -> Any:
    """Rego's ``object.get``; undefined (an error) when ``container`` is not an object."""
    if not isinstance(container, Mapping):
        raise _Undefined
    return container.get(key, default)


def claim_lookup(claims: Mapping[str, Any], path: str) -> Any:
    """Upstream's ``object_get(all_claims, path, [])``: the whole path as a key first, else up to 5 nested keys."""
    if path in claims:
        return claims[path]
    segments = path.replace(".", "/").split("/")
    if 2 <= len(segments) <= 5:
        try:
            current: Any = claims
            for segment in segments[:-1]:
                current = _object_get(current, segment, {})
            return _object_get(current, segments[-1], [])
        except _Undefined:
            pass
    return []


def _elements(collection: Any) -> list[Any]:
    """What ``collection[_]`` iterates in Rego (nothing for scalars)."""
    if isinstance(collection, list | tuple):
        return list(collection)
    if isinstance(collection, Mapping):
        return list(collection.values())
    return []


def _count(collection: Any) -> int | None:
    """Rego's ``count`` (None when undefined)."""
    if isinstance(collection, str | list | tuple | Mapping | frozenset | set):
        return len(collection)
    return None


# --------------------------------------------------------------------------- matchers

_STRING_OPERATORS: Final = frozenset({"is", "not", "contains", "starts_with", "ends_with", "in", "not_in"})
_LIST_OPERATORS: Final = frozenset({"has", "is", "exclude"})
_GENERATION_PREFIX: Final = "error generating criterion rules: "


def _string_operators(data: Any) -> dict[str, Any]:
    """The operator object of a string matcher (a non-object is ``is``); checks it as upstream's generator does."""
    operators = data if isinstance(data, dict) else {"is": data}
    for operator, operand in operators.items():
        if operator not in _STRING_OPERATORS:
            raise PolicyError(f"{_GENERATION_PREFIX}unknown string matcher operator: {operator}")
        if operator in ("in", "not_in") and not isinstance(operand, list):
            raise PolicyError(f"{_GENERATION_PREFIX}{operator} matcher requires an array of strings")
    return operators


def match_string(value: Any, data: Any) -> bool:
    """Upstream's string matcher on a known value: every operator must hold (``{}`` always holds)."""
    return all(_string_operator_holds(value, op, operand) for op, operand in _string_operators(data).items())


def _string_operator_holds(value: Any, operator: str, operand: Any) -> bool:
    if operator == "is":
        return rego_equal(value, operand)
    if operator == "not":
        return not rego_equal(value, operand)
    if operator == "in":
        return any(rego_equal(value, item) for item in operand)
    if operator == "not_in":
        return not any(rego_equal(value, item) for item in operand)
    if not isinstance(value, str) or not isinstance(operand, str):
        return False  # a Rego type error: the expression is undefined
    if operator == "contains":
        return operand in value
    if operator == "starts_with":
        return value.startswith(operand)
    return value.endswith(operand)


def _string_operator_constant(operator: str, operand: Any) -> bool | None:
    """The operator's result for every non-empty string, or None when it varies."""
    if operator == "is":
        return False if not isinstance(operand, str) or operand == "" else None
    if operator == "not":
        return True if not isinstance(operand, str) or operand == "" else None
    if operator in ("in", "not_in"):
        if any(isinstance(item, str) and item for item in operand):
            return None
        return operator == "not_in"
    if not isinstance(operand, str):
        return False
    return True if operand == "" else None


def _match_unknown_string(data: Any, what: str) -> _Tri:
    """A string matcher on an unknown non-empty string: constant when the operators decide, else unknown."""
    results = [_string_operator_constant(op, operand) for op, operand in _string_operators(data).items()]
    if False in results:
        return False
    if all(result is True for result in results):
        return True
    return frozenset({what})


def match_string_list(values: Any, data: Any) -> bool:
    """Upstream's string list matcher (``has``, ``is`` = exactly one element, ``exclude``; non-object = ``has``)."""
    operators = data if isinstance(data, dict) else {"has": data}
    holds = True
    for operator, operand in operators.items():
        if operator not in _LIST_OPERATORS:
            raise PolicyError(f"{_GENERATION_PREFIX}unknown string list matcher operator: {operator}")
        has = any(rego_equal(item, operand) for item in _elements(values))
        if operator == "has":
            holds = holds and has
        elif operator == "is":
            holds = holds and _count(values) == 1 and has
        else:
            holds = holds and not has
    return holds


# --------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class _Facts:
    """What the criteria read, derived once per evaluation (upstream's input and databroker records)."""

    identity: Identity
    request: Request
    email: str
    claims: dict[str, list[Any]]
    headers: dict[str, str]

    @property
    def signed_in(self) -> bool:
        return self.identity.signed_in


def _facts(identity: Identity, request: Request) -> _Facts:
    claims = {name: _claim_values(values) for name, values in identity.claims.items()} if identity.signed_in else {}
    return _Facts(
        identity=identity,
        request=request,
        email=identity.email if identity.signed_in else "",
        claims=claims,
        headers={name.lower(): value for name, value in request.headers.items()},
    )


def _accept(_criterion: Criterion, _facts: _Facts) -> _Tri:
    return True


def _reject(_criterion: Criterion, _facts: _Facts) -> _Tri:
    return False


def _authenticated_user(_criterion: Criterion, facts: _Facts) -> _Tri:
    return facts.signed_in and facts.identity.user_id != ""


def _cors_preflight(_criterion: Criterion, facts: _Facts) -> _Tri:
    return (
        facts.request.method == "OPTIONS"
        and bool(facts.headers.get("access-control-request-method"))
        and bool(facts.headers.get("origin"))
    )


def _client_certificate(criterion: Criterion, _facts: _Facts) -> _Tri:
    if not isinstance(criterion.data, dict):
        raise PolicyError(f"{_GENERATION_PREFIX}expected object for certificate matcher")
    return frozenset({THE_CLIENT_CERTIFICATE})


def _invalid_client_certificate(_criterion: Criterion, _facts: _Facts) -> _Tri:
    return frozenset({THE_CLIENT_CERTIFICATE})


def _email(criterion: Criterion, facts: _Facts) -> _Tri:
    return match_string(facts.email, criterion.data)  # anonymous: the email of a missing session is ""


def _domain(criterion: Criterion, facts: _Facts) -> _Tri:
    _string_operators(criterion.data)
    parts = facts.email.split("@")
    return len(parts) > 1 and match_string(parts[1], criterion.data)


def _user(criterion: Criterion, facts: _Facts) -> _Tri:
    if not facts.signed_in:
        _string_operators(criterion.data)
        return False
    if facts.identity.user_id is None:
        return _match_unknown_string(criterion.data, THE_USER_ID)
    return match_string(facts.identity.user_id, criterion.data)


def _http_method(criterion: Criterion, facts: _Facts) -> _Tri:
    return match_string(facts.request.method, criterion.data)


def _http_path(criterion: Criterion, facts: _Facts) -> _Tri:
    return match_string(facts.request.path, criterion.data)


def _mcp_tool(criterion: Criterion, _facts: _Facts) -> _Tri:
    _string_operators(criterion.data)
    return False  # a plain HTTP request is not an MCP tools/call


def _ssh_username(criterion: Criterion, _facts: _Facts) -> _Tri:
    return match_string("", criterion.data)  # an HTTP request has an empty SSH user name


def _ssh_key(criterion: Criterion, _facts: _Facts) -> _Tri:
    return False  # an HTTP request has no SSH public key


def _ssh_username_matches_email(_criterion: Criterion, facts: _Facts) -> _Tri:
    return facts.email.split("@")[0] == ""


def _ssh_username_matches_claim(criterion: Criterion, facts: _Facts) -> _Tri:
    if not isinstance(criterion.data, str):
        raise PolicyError(f"{_GENERATION_PREFIX}expected string value")
    return any(rego_equal("", item) for item in _elements(claim_lookup(facts.claims, criterion.data)))


def _claim(criterion: Criterion, facts: _Facts) -> _Tri:
    return match_string_list(claim_lookup(facts.claims, criterion.sub_path or ""), criterion.data)


def _groups(criterion: Criterion, facts: _Facts) -> _Tri:
    if not facts.signed_in:  # no session: no directory user, the body fails whatever the matcher
        match_string_list([], criterion.data)
        return False
    return match_string_list(sorted(facts.identity.groups), criterion.data)


def _is_falsy(value: Any) -> bool:
    return value is None or value is False or value == "" or (_is_number(value) and (value == 0 or value != value))


def _device(criterion: Criterion, facts: _Facts) -> _Tri:
    data = criterion.data
    if not isinstance(data, dict):
        raise PolicyError(f"{_GENERATION_PREFIX}expected object for device criterion")
    for key in data:
        if key not in ("approved", "is", "type"):
            raise PolicyError(f"{_GENERATION_PREFIX}unexpected field in device criterion: {key}")
    if not data:
        return True  # no constraint: the body holds with or without a device
    if facts.signed_in:
        return frozenset({THE_DEVICE})
    # no session, so no device credential or enrollment: only "not approved" holds
    return "is" not in data and "type" not in data and ("approved" not in data or _is_falsy(data["approved"]))


def _parse_network(text: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if not isinstance(text, str):
        raise PolicyError(f"{_GENERATION_PREFIX}expected string value")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise PolicyError(f"{_GENERATION_PREFIX}expected IP or CIDR range, got: {json.dumps(text)}") from None
    mapped = network.network_address.ipv4_mapped if isinstance(network, ipaddress.IPv6Network) else None
    if mapped is not None and network.prefixlen >= 96:  # Go compares IPv4-mapped ranges as IPv4
        return ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")
    return network


def _source_ip(criterion: Criterion, facts: _Facts) -> _Tri:
    items = criterion.data if isinstance(criterion.data, list) else [criterion.data]
    networks = [_parse_network(item) for item in items]
    source = facts.request.source_ip
    if source is None:
        if not networks:
            return False
        if {network.version for network in networks if network.prefixlen == 0} == {4, 6}:
            return True
        return frozenset({THE_CLIENT_IP})
    try:
        address = ipaddress.ip_address(source.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in networks)


_CRITERIA: Final[dict[str, Callable[[Criterion, _Facts], _Tri]]] = {
    "accept": _accept,
    "reject": _reject,
    "authenticated_user": _authenticated_user,
    "cors_preflight": _cors_preflight,
    "client_certificate": _client_certificate,
    "invalid_client_certificate": _invalid_client_certificate,
    "email": _email,
    "domain": _domain,
    "user": _user,
    "http_method": _http_method,
    "http_path": _http_path,
    "mcp_tool": _mcp_tool,
    "ssh_username": _ssh_username,
    "ssh_publickey": _ssh_key,
    "ssh_ca": _ssh_key,
    "ssh_username_matches_email": _ssh_username_matches_email,
    "ssh_username_matches_claim": _ssh_username_matches_claim,
    "claim": _claim,
    "groups": _groups,
    "device": _device,
    "source_ip": _source_ip,
}


def _criterion_tri(criterion: Criterion, facts: _Facts) -> _Tri:
    handler = _CRITERIA.get(criterion.name)
    if handler is None:
        raise PolicyError(f"unknown policy criterion: {criterion.name}", path=criterion.path, criterion=criterion.name)
    return handler(criterion, facts)


def criterion_truth(criterion: Criterion, identity: Identity, request: Request) -> bool | Unknown:
    """Whether one criterion holds; ``Unknown(what)`` when it hinges on an input not known offline.

    ``what`` joins several unknown inputs with ``" and "`` (never happens for a single criterion today).
    Raises ``PolicyError`` for a criterion upstream's generator would reject.
    """
    value = _criterion_tri(criterion, _facts(identity, request))
    return value if isinstance(value, bool) else Unknown(" and ".join(sorted(value)))


# --------------------------------------------------------------------------- conditionals and rules


@dataclass(frozen=True)
class _ConditionalResult:
    conditional: Conditional
    truth: _Tri
    criteria: tuple[_Tri, ...]


@dataclass(frozen=True)
class _RuleResult:
    index: int
    rule: Rule
    truth: _Tri
    conditionals: tuple[_ConditionalResult, ...]


def _evaluate_conditional(conditional: Conditional, facts: _Facts) -> _ConditionalResult:
    values = tuple(_criterion_tri(criterion, facts) for criterion in conditional.criteria)
    if conditional.operator == "and":
        truth = _all_of(values)
    elif conditional.operator == "or":
        truth = _any_of(values)
    elif conditional.operator == "not":  # none matches
        truth = _all_of(_negate(value) for value in values)
    else:  # nor: at least one does not match
        truth = _any_of(_negate(value) for value in values)
    return _ConditionalResult(conditional, truth, values)


def _evaluate_rule(index: int, rule: Rule, facts: _Facts) -> _RuleResult:
    results = tuple(
        _evaluate_conditional(conditional, facts) for conditional in rule.conditionals if conditional.criteria
    )
    return _RuleResult(index, rule, _any_of(result.truth for result in results), results)


# --------------------------------------------------------------------------- words

_FIXED_WORDS: Final = {
    "accept": "everyone",
    "reject": "nobody",
    "authenticated_user": "any signed-in user",
    "cors_preflight": "a CORS preflight request",
    "invalid_client_certificate": "an invalid client certificate",
    "ssh_username_matches_email": "the SSH user name matches the email",
}
_SUBJECT_WORDS: Final = {
    "email": "email",
    "domain": "domain",
    "user": "user id",
    "http_method": "method",
    "http_path": "path",
    "mcp_tool": "MCP tool",
    "ssh_username": "SSH user name",
}


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_plain(item) for item in value) + "]"
    return json.dumps(value, sort_keys=True, default=str)


def _matcher_words(data: Any, words: Mapping[str, str], shorthand: str) -> str:
    operators = data if isinstance(data, dict) else {shorthand: data}
    if not operators:
        return "is anything"
    return " and ".join(f"{words.get(str(op), str(op))} {_plain(operand)}" for op, operand in operators.items())


def criterion_words(criterion: Criterion) -> str:
    """A criterion in words, e.g. ``email is alice@example.com`` or ``any signed-in user``."""
    name, data = criterion.name, criterion.data
    if name in _FIXED_WORDS:
        return _FIXED_WORDS[name]
    if name in _SUBJECT_WORDS:
        return f"{_SUBJECT_WORDS[name]} {_matcher_words(data, STRING_OPERATOR_PHRASES, 'is')}"
    if name == "claim":
        return f"claim {criterion.sub_path or ''} {_matcher_words(data, LIST_OPERATOR_PHRASES, 'has')}"
    if name == "groups":
        return f"groups {_matcher_words(data, LIST_OPERATOR_PHRASES, 'has')}"
    if name == "source_ip":
        return f"client IP in {_plain(data if isinstance(data, list) else [data])}"
    if name == "ssh_username_matches_claim":
        return f"the SSH user name is a value of claim {_plain(data)}"
    if name in ("ssh_publickey", "ssh_ca"):
        count = len(data) if isinstance(data, list) else 1
        return f"SSH {'public key' if name == 'ssh_publickey' else 'certificate authority'} is one of {count}"
    if name == "device" and isinstance(data, dict):
        if not data:
            return "any device state"
        parts = []
        for key, value in data.items():
            if key == "approved":
                parts.append("approved" if not _is_falsy(value) else "not approved")
            else:
                parts.append(f"{'id' if key == 'is' else key} {_plain(value)}")
        return "device " + " and ".join(parts)
    return f"{criterion.key} {_plain(data)}"


def _conditional_words(result: _ConditionalResult) -> str:
    """The conditional, naming the criteria that made it hold (or the undecided ones).

    ``not: a or b`` reads "not (a or b)" and ``nor: a and b`` reads "not (a and b)", as PPL defines them.
    """
    pairs = list(zip(result.conditional.criteria, result.criteria, strict=True))
    operator = result.conditional.operator
    if result.truth is True and operator == "or":
        pairs = [next(pair for pair in pairs if pair[1] is True)]
    elif result.truth is True and operator == "nor":
        pairs = [next(pair for pair in pairs if pair[1] is False)]
    elif not isinstance(result.truth, bool) and operator in ("or", "nor"):
        pairs = [pair for pair in pairs if not isinstance(pair[1], bool)]
    texts = [criterion_words(criterion) for criterion, _ in pairs]
    joiner = " and " if operator in ("and", "nor") else " or "
    body = joiner.join(texts)
    if operator in ("not", "nor") and len(texts) > 1:
        body = f"({body})"
    return f"{operator}: {body}"


def _rule_words(result: _RuleResult) -> str:
    """E.g. ``deny rule 2 (or: email is mallory@example.com)``; positions count from 1 over all rules."""
    wanted = result.truth
    decisive = next(c for c in result.conditionals if c.truth is True) if wanted is True else None
    if decisive is None:
        undecided = [c for c in result.conditionals if not isinstance(c.truth, bool)]
        conditions = "; ".join(_conditional_words(c) for c in undecided)
    else:
        conditions = _conditional_words(decisive)
    return f"{result.rule.action} rule {result.index + 1} ({conditions})"


# --------------------------------------------------------------------------- verdict


def evaluate(rules: Sequence[Rule], identity: Identity, request: Request = _PLAIN_GET) -> Outcome:
    """Pomerium's verdict for one request, three-valued (``depends`` when offline unknowns can change it).

    Raises ``PolicyError`` for a criterion upstream's generator would reject (unknown name, bad matcher).
    """
    facts = _facts(identity, request)
    results = [_evaluate_rule(index, rule, facts) for index, rule in enumerate(rules)]
    allows = [result for result in results if result.rule.action == "allow"]
    denies = [result for result in results if result.rule.action == "deny"]
    allow = _any_of(result.truth for result in allows)
    deny = _any_of(result.truth for result in denies)
    if deny is True:
        decisive = next(result for result in denies if result.truth is True)
        return Outcome("deny", _rule_words(decisive), decisive.index)
    if allow is False:
        return Outcome("deny", "no allow rule matches", None)
    if allow is True and deny is False:
        decisive = next(result for result in allows if result.truth is True)
        return Outcome("allow", _rule_words(decisive), decisive.index)
    undecided = [result for result in denies if not isinstance(result.truth, bool)]
    if allow is not True:
        undecided += [result for result in allows if not isinstance(result.truth, bool)]
    undecided.sort(key=lambda result: result.index)
    unknowns = {what for result in undecided if not isinstance(result.truth, bool) for what in result.truth}
    words = "; ".join(f"{_rule_words(result)} depends on {_and_list(result.truth)}" for result in undecided)
    return Outcome("depends", words, undecided[0].index, tuple(sorted(unknowns)))


def _and_list(value: _Tri) -> str:
    items = sorted(value) if not isinstance(value, bool) else []
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def route_rules(fields: Mapping[str, Any]) -> list[Rule]:
    """The PPL rules Pomerium evaluates for a route's fields: the allow-list rule (if any, as ToPPL builds it) followed
    by the policy's rules. Raises PolicyError for an unreadable policy.

    As upstream's ``ToPPL``: the allow-list rule is left out when it is empty and a policy exists; with neither, the
    empty allow rule stays (it never matches).
    """
    claims = fields.get("allowed_idp_claims") or {}
    allow_list = allow_list_rule(
        public=fields.get("allow_public_unauthenticated_access") is True,
        cors_preflight=fields.get("cors_allow_preflight") is True,
        any_authenticated=fields.get("allow_any_authenticated_user") is True,
        domains=list(fields.get("allowed_domains") or ()),
        claims={name: _claim_values(values) for name, values in claims.items()},
        users=list(fields.get("allowed_users") or ()),
    )
    policy = fields.get("policy")
    rules: list[Rule] = []
    if allow_list is not None:
        rules.append(allow_list)
    elif policy is None:
        rules.append(Rule("allow", ()))
    if policy is not None:
        validate_policy(policy)
        rules.extend(rules_of(policy))
    return rules


def evaluate_route(fields: Mapping[str, Any], identity: Identity, request: Request = _PLAIN_GET) -> Outcome:
    """``route_rules`` + ``evaluate``."""
    return evaluate(route_rules(fields), identity, request)
