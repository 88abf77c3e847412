"""Who gains and who loses access when a route's policy changes, as classes of identities and requests.

Both policies are evaluated (`pomgate.translation.evaluation`) for every identity and request that
can tell them apart. Those are derived from the literals of the two policies: each email, domain,
user id, group, claim value, method, path and source address they name, patterns built from their
``starts_with``/``ends_with``/``contains`` operands, plus "anyone else", "signed in without an email"
and "anonymous". Every criterion only compares its input with those literals, so two inputs that
agree on every literal's test get the same verdict from both policies: the grid of representatives
is exact (up to `GRID_LIMIT` points; beyond it the answer says it is partial).

The change is then described by *classes*: the largest boxes of the grid ("any signed-in user",
"users at gmail.com", "users in group contractors", "DELETE requests to /admin"). A class that gains
access is admitted by the new policy as a whole and holds someone the old one did not admit (members
who were admitted already may be in it: "any signed-in user" after "users at example.com"); a class
that loses access is admitted by the new policy nowhere and holds someone the old one admitted.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pomgate.translation.evaluation import ANONYMOUS, Identity, Outcome, Request, evaluate
from pomgate.translation.ppl import Criterion, Rule

#: Most grid points one comparison evaluates; past it the grid is thinned and the answer marked partial.
GRID_LIMIT: Final = 20_000
#: Most literal groups (or values of one claim) given a dimension of their own.
_MEMBERSHIP_LIMIT: Final = 6
_FILLER: Final = "zq"
_RANK: Final = {"deny": 0, "depends": 1, "allow": 2}

_EMAIL_CRITERIA: Final = frozenset({"email", "domain"})
_STRING_OPERATORS: Final = ("is", "not", "contains", "starts_with", "ends_with")
_LIST_OPERATORS: Final = ("in", "not_in")


# ---------------------------------------------------------------- the answer


@dataclass(frozen=True)
class AccessClass:
    """A set of identities and requests, described in words and as data."""

    words: str
    #: ``signed_in`` (True/False/None = either), and per dimension the chosen value (absent: any value).
    data: dict[str, Any]
    #: One concrete identity and request of the class that changes verdict.
    witness_identity: Identity
    witness_request: Request
    #: The inputs the verdict depends on for some of the class ("the device"), when not exact.
    depends_on: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The class as JSON data."""
        out = {
            "description": self.words,
            **self.data,
            "witness": witness_json(self.witness_identity, self.witness_request),
        }
        if self.depends_on:
            out["depends_on"] = list(self.depends_on)
        return out


@dataclass
class AccessChange:
    """How access to one route changes."""

    gained: list[AccessClass] = field(default_factory=list)
    lost: list[AccessClass] = field(default_factory=list)
    #: Anonymous requests that get in now and did not before (for some path or method).
    became_public: bool = False
    #: Someone got in before; nobody does now.
    admits_nobody: bool = False
    #: Deny rules of the old policy that the new one no longer has (in words).
    deny_removed: list[str] = field(default_factory=list)
    #: The grid was thinned: the classes are right but may not be all of them.
    partial: bool = False

    @property
    def unchanged(self) -> bool:
        return not (self.gained or self.lost)


def witness_json(identity: Identity, request: Request) -> dict[str, Any]:
    """An identity and request as data (for JSON outputs and tests)."""
    who: dict[str, Any] = {"signed_in": identity.signed_in}
    if identity.signed_in:
        who["email"] = identity.email
        if identity.user_id is not None:
            who["user_id"] = identity.user_id
        if identity.groups:
            who["groups"] = sorted(identity.groups)
        if identity.claims:
            who["claims"] = {name: list(values) for name, values in sorted(identity.claims.items())}
    what: dict[str, Any] = {"method": request.method, "path": request.path}
    if request.headers:
        what["headers"] = dict(request.headers)
    if request.source_ip is not None:
        what["source_ip"] = request.source_ip
    return {"identity": who, "request": what}


# ---------------------------------------------------------------- literals of the policies


def _criteria(rules: Iterable[Rule]) -> Iterator[Criterion]:
    for rule in rules:
        for conditional in rule.conditionals:
            yield from conditional.criteria


def _matcher_operands(data: Any) -> Iterator[tuple[str, Any]]:
    """(operator, operand) pairs of a string matcher (a bare value is ``is``)."""
    if not isinstance(data, dict):
        yield "is", data
        return
    for operator, operand in data.items():
        if operator in _LIST_OPERATORS and isinstance(operand, list):
            yield from ((operator, item) for item in operand)
        else:
            yield str(operator), operand


def _list_operands(data: Any) -> Iterator[Any]:
    """The operands of a string-list matcher (a bare value is ``has``)."""
    if not isinstance(data, dict):
        yield data
        return
    yield from data.values()


@dataclass
class _Literals:
    """Per input, the (operator, operand) pairs the policies test it with."""

    email: list[tuple[str, str]] = field(default_factory=list)
    domain: list[tuple[str, str]] = field(default_factory=list)
    user: list[tuple[str, str]] = field(default_factory=list)
    method: list[tuple[str, str]] = field(default_factory=list)
    path: list[tuple[str, str]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    claims: dict[str, list[Any]] = field(default_factory=dict)
    addresses: list[str] = field(default_factory=list)
    preflight: bool = False
    identity_matters: bool = False


def _collect(rules: Iterable[Rule]) -> _Literals:
    found = _Literals()
    string_inputs = {
        "email": found.email,
        "domain": found.domain,
        "user": found.user,
        "http_method": found.method,
        "http_path": found.path,
    }
    for criterion in _criteria(rules):
        name = criterion.name
        if name in string_inputs:
            target = string_inputs[name]
            for operator, operand in _matcher_operands(criterion.data):
                if isinstance(operand, str) and (operator, operand) not in target:
                    target.append((operator, operand))
        elif name == "groups":
            for operand in _list_operands(criterion.data):
                if isinstance(operand, str) and operand not in found.groups:
                    found.groups.append(operand)
        elif name == "claim":
            values = found.claims.setdefault(criterion.sub_path or "", [])
            for operand in _list_operands(criterion.data):
                if operand not in values:
                    values.append(operand)
        elif name == "source_ip":
            items = criterion.data if isinstance(criterion.data, list) else [criterion.data]
            found.addresses.extend(item for item in items if isinstance(item, str))
        elif name == "cors_preflight":
            found.preflight = True
        if name not in ("accept", "reject", "http_method", "http_path", "cors_preflight", "source_ip"):
            found.identity_matters = True
    return found


def _string_witnesses(pairs: Sequence[tuple[str, str]], fallback: str) -> list[str]:
    """Strings that realise every combination of the tests: each operand, patterns around it, a stranger."""
    exact = [operand for operator, operand in pairs if operator in ("is", "not", "in", "not_in")]
    prefixes = [operand for operator, operand in pairs if operator == "starts_with"]
    suffixes = [operand for operator, operand in pairs if operator == "ends_with"]
    infixes = [operand for operator, operand in pairs if operator == "contains"]
    found = [*exact]
    found += [prefix + _FILLER for prefix in prefixes]
    found += [_FILLER + suffix for suffix in suffixes]
    found += [_FILLER + infix + _FILLER for infix in infixes]
    found += [prefix + suffix for prefix in prefixes for suffix in suffixes]
    found += [prefix + _FILLER + suffix for prefix in prefixes for suffix in suffixes]
    found += [prefix + infix + _FILLER for prefix in prefixes for infix in infixes]
    found += [_FILLER + infix + suffix for suffix in suffixes for infix in infixes]
    found += [fallback, ""]
    return list(dict.fromkeys(found))


def _email_witnesses(literals: _Literals) -> list[str]:
    """Addresses for every combination of the email and domain tests."""
    emails = _string_witnesses(literals.email, f"someone@{_FILLER}.example")
    domains = [d for d in _string_witnesses(literals.domain, "") if d]
    found = list(emails)
    found += [f"someone@{domain}" for domain in domains]
    locals_ = [text for text in emails if text and "@" not in text]
    found += [f"{local}@{domain}" for local in locals_ for domain in domains]
    found += [f"{text}{domain}" for text in emails if text.endswith("@") for domain in domains]
    return list(dict.fromkeys(found))


def _address_witnesses(addresses: Sequence[str]) -> list[str]:
    """One address inside each network named, and one outside all of them (both families)."""
    networks = []
    for text in addresses:
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            continue
    found = [str(network.network_address) for network in networks]
    found += [str(network.broadcast_address) for network in networks]
    for candidate in ("192.0.2.77", "198.51.100.77", "203.0.113.77", "2001:db8::77", "2001:db8:ffff::77"):
        address = ipaddress.ip_address(candidate)
        if not any(address in network for network in networks if network.version == address.version):
            found.append(candidate)
    return list(dict.fromkeys(found)) or ["192.0.2.77"]


# ---------------------------------------------------------------- the grid


@dataclass(frozen=True)
class _Dimension:
    """One input: its values and how a value is described and applied."""

    name: str
    values: tuple[Any, ...]
    identity: bool  # a property of the user (absent for anonymous visitors)
    #: Per value, every candidate no test tells apart from it (itself first): "DELETE or PUT requests".
    aliases: tuple[tuple[Any, ...], ...] = ()

    def alike(self, index: int) -> tuple[Any, ...]:
        """The value at ``index`` and the candidates it stands for."""
        return self.aliases[index] if self.aliases else (self.values[index],)


def _dedupe(values: Sequence[Any], signature: Callable[[Any], Any]) -> tuple[tuple[Any, ...], ...]:
    """The values grouped by signature, each group led by its first value (literal forms come first)."""
    seen: dict[Any, list[Any]] = {}
    for value in values:
        seen.setdefault(signature(value), []).append(value)
    return tuple(tuple(group) for group in seen.values())


def _string_dimension(name: str, groups: tuple[tuple[Any, ...], ...], identity: bool) -> _Dimension:
    kept = tuple(group for group in groups if group[0] != "" or name in ("email", "user_id"))
    return _Dimension(name, tuple(group[0] for group in kept), identity, kept)


def _dimensions(rules: Sequence[Rule], literals: _Literals) -> list[_Dimension]:
    """The inputs the policies test, each with one value per distinguishable case."""
    from pomgate.translation.evaluation import criterion_truth

    criteria = list(_criteria(rules))

    def tests(names: frozenset[str]) -> list[Criterion]:
        return [criterion for criterion in criteria if criterion.name in names]

    def signature_by(
        relevant: list[Criterion], make: Callable[[Any], tuple[Identity, Request]]
    ) -> Callable[[Any], Any]:
        def signature(value: Any) -> Any:
            identity, request = make(value)
            return tuple(repr(criterion_truth(criterion, identity, request)) for criterion in relevant)

        return signature

    dimensions: list[_Dimension] = []
    if literals.email or literals.domain:
        relevant = tests(_EMAIL_CRITERIA)
        groups = _dedupe(_email_witnesses(literals), signature_by(relevant, lambda v: (Identity(email=v), Request())))
        dimensions.append(_string_dimension("email", groups, True))
    if literals.user:
        relevant = tests(frozenset({"user"}))
        groups = _dedupe(
            _string_witnesses(literals.user, f"{_FILLER}-user-id"),
            signature_by(relevant, lambda v: (Identity(user_id=v), Request())),
        )
        dimensions.append(_string_dimension("user_id", groups, True))
    for group in literals.groups[:_MEMBERSHIP_LIMIT]:
        dimensions.append(_Dimension(f"group:{group}", (False, True), True))
    if literals.groups:
        dimensions.append(_Dimension("group:*", (False, True), True))
    for claim, operands in sorted(literals.claims.items()):
        for index, _operand in enumerate(operands[:_MEMBERSHIP_LIMIT]):
            dimensions.append(_Dimension(f"claim:{claim}:{index}", (False, True), True))
        dimensions.append(_Dimension(f"claim:{claim}:*", (False, True), True))
    if literals.method or literals.preflight:
        extra = [("is", "OPTIONS")] if literals.preflight else []
        relevant = tests(frozenset({"http_method", "cors_preflight"}))
        groups = _dedupe(
            [*_string_witnesses([*literals.method, *extra], "PATCH"), "GET"],
            signature_by(relevant, lambda v: (Identity(), Request(method=v))),
        )
        dimensions.append(_string_dimension("method", groups, False))
    if literals.path:
        relevant = tests(frozenset({"http_path"}))
        groups = _dedupe(
            [*_string_witnesses(literals.path, f"/{_FILLER}"), "/"],
            signature_by(relevant, lambda v: (Identity(), Request(path=v))),
        )
        dimensions.append(_string_dimension("path", groups, False))
    if literals.preflight:
        dimensions.append(_Dimension("preflight", (False, True), False))
    if literals.addresses:
        relevant = tests(frozenset({"source_ip"}))
        groups = _dedupe(
            _address_witnesses(literals.addresses),
            signature_by(relevant, lambda v: (Identity(), Request(source_ip=v))),
        )
        dimensions.append(_Dimension("source_ip", tuple(group[0] for group in groups), False, groups))
    return dimensions


_PREFLIGHT_HEADERS: Final = {"Access-Control-Request-Method": "GET", "Origin": "https://elsewhere.example"}


def _point_inputs(
    dimensions: Sequence[_Dimension], literals: _Literals, signed_in: bool, values: Sequence[Any]
) -> tuple[Identity, Request]:
    """The identity and request of one grid point (identity values are ignored for anonymous visitors)."""
    chosen = {dimension.name: value for dimension, value in zip(dimensions, values, strict=True)}
    request = Request(
        method=chosen.get("method", "GET"),
        path=chosen.get("path", "/"),
        headers=dict(_PREFLIGHT_HEADERS) if chosen.get("preflight") else {},
        source_ip=chosen.get("source_ip", "192.0.2.77"),
    )
    if not signed_in:
        return ANONYMOUS, request
    groups = {group for group in literals.groups[:_MEMBERSHIP_LIMIT] if chosen.get(f"group:{group}")}
    if chosen.get("group:*"):
        groups.add(f"{_FILLER}-other-group")
    claims: dict[str, tuple[Any, ...]] = {}
    for claim, operands in literals.claims.items():
        held = [
            operand
            for index, operand in enumerate(operands[:_MEMBERSHIP_LIMIT])
            if chosen.get(f"claim:{claim}:{index}")
        ]
        if chosen.get(f"claim:{claim}:*"):
            held.append(f"{_FILLER}-other-value")
        if held:
            claims[claim] = tuple(held)
    identity = Identity(
        email=chosen.get("email", f"someone@{_FILLER}.example"),
        user_id=chosen.get("user_id", f"{_FILLER}-user-id"),
        groups=frozenset(groups),
        claims=claims,
    )
    return identity, request


# A grid point: (signed_in, value index per dimension); anonymous points have index 0 for identity dimensions.
_Point = tuple[bool, tuple[int, ...]]
_ANY: Final = -1


@dataclass
class _Grid:
    dimensions: list[_Dimension]
    literals: _Literals
    old: dict[_Point, Outcome]
    new: dict[_Point, Outcome]
    partial: bool

    def inputs(self, point: _Point) -> tuple[Identity, Request]:
        signed_in, indexes = point
        values = [dimension.values[index] for dimension, index in zip(self.dimensions, indexes, strict=True)]
        return _point_inputs(self.dimensions, self.literals, signed_in, values)


def _points(dimensions: Sequence[_Dimension]) -> tuple[list[_Point], bool]:
    """Every grid point (anonymous ones vary only request inputs), thinned past GRID_LIMIT."""
    ranges = [range(len(dimension.values)) for dimension in dimensions]
    request_ranges = [r if not d.identity else range(1) for d, r in zip(dimensions, ranges, strict=True)]
    signed = itertools.product(*ranges)
    anonymous = itertools.product(*request_ranges)
    points: list[_Point] = [(False, indexes) for indexes in anonymous]
    for indexes in signed:
        if len(points) >= GRID_LIMIT:
            return points, True
        points.append((True, indexes))
    return points, False


def _grid(old_rules: Sequence[Rule], new_rules: Sequence[Rule]) -> _Grid:
    literals = _collect([*old_rules, *new_rules])
    dimensions = _dimensions([*old_rules, *new_rules], literals)
    while True:
        size = 1
        for dimension in dimensions:
            size *= len(dimension.values)
        if size <= GRID_LIMIT or not any(len(d.values) > 2 for d in dimensions):
            break
        widest = max(dimensions, key=lambda d: len(d.values))  # thin the widest input to keep the grid bounded
        keep = len(widest.values) // 2 + 1
        dimensions[dimensions.index(widest)] = _Dimension(
            widest.name, widest.values[:keep], widest.identity, widest.aliases[:keep]
        )
    points, partial = _points(dimensions)
    grid = _Grid(dimensions, literals, {}, {}, partial or size > GRID_LIMIT)
    for point in points:
        identity, request = grid.inputs(point)
        grid.old[point] = evaluate(old_rules, identity, request)
        grid.new[point] = evaluate(new_rules, identity, request)
    return grid


# ---------------------------------------------------------------- classes: the largest boxes


def _box_points(grid: _Grid, signed_in: bool | None, box: Sequence[int]) -> Iterator[_Point]:
    """The grid points of a box (``signed_in`` None: both anonymous and signed-in)."""
    for who in (False, True) if signed_in is None else (signed_in,):
        choices = []
        for dimension, index in zip(grid.dimensions, box, strict=True):
            if dimension.identity and not who:
                choices.append(range(1))
            elif index == _ANY:
                choices.append(range(len(dimension.values)))
            else:
                choices.append(range(index, index + 1))
        for indexes in itertools.product(*choices):
            point = (who, indexes)
            if point in grid.new:
                yield point


def _grow(grid: _Grid, start: _Point, inside: Callable[[_Point], bool]) -> tuple[bool | None, tuple[int, ...]]:
    """The box around ``start`` grown one input at a time while every point stays ``inside``."""
    signed_in: bool | None = start[0]
    box = list(start[1])
    if not start[0]:
        box = [_ANY if dimension.identity else index for dimension, index in zip(grid.dimensions, box, strict=True)]
    order = sorted(range(len(box)), key=lambda i: (grid.dimensions[i].identity, grid.dimensions[i].name == "email"))
    for position in order:
        if box[position] == _ANY:
            continue
        trial = list(box)
        trial[position] = _ANY
        if all(inside(point) for point in _box_points(grid, signed_in, trial)):
            box = trial
    if signed_in and all(
        index == _ANY for dimension, index in zip(grid.dimensions, box, strict=True) if dimension.identity
    ):
        if all(inside(point) for point in _box_points(grid, None, box)):
            signed_in = None
    elif signed_in is False and all(inside(point) for point in _box_points(grid, None, box)):
        signed_in = None
        box = [_ANY if dimension.identity else index for dimension, index in zip(grid.dimensions, box, strict=True)]
    return signed_in, tuple(box)


def _classes(
    grid: _Grid, changed: set[_Point], inside: Callable[[_Point], bool]
) -> list[tuple[bool | None, tuple[int, ...]]]:
    """Boxes that cover ``changed``: each grown as far as ``inside`` allows, fewest first."""
    boxes: list[tuple[bool | None, tuple[int, ...]]] = []
    uncovered = set(changed)
    for point in sorted(changed, key=lambda p: (p[0], p[1])):
        if point not in uncovered:
            continue
        box = _grow(grid, point, inside)
        if box not in boxes:
            boxes.append(box)
        uncovered -= set(_box_points(grid, box[0], box[1]))
    return boxes


# ---------------------------------------------------------------- words


_TESTS: Final[dict[str, Callable[[str, str], bool]]] = {
    "starts_with": str.startswith,
    "ends_with": str.endswith,
    "contains": lambda value, operand: operand in value,
}


def _satisfied(value: str | None, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The positive tests (is/in, patterns) ``value`` passes; ``not``/``not_in`` count as their ``is``."""
    if value is None:
        return []
    passed = []
    for operator, operand in pairs:
        if operator in ("is", "in", "not", "not_in") and value == operand:
            passed.append(("is", operand))
        elif operator in _TESTS and _TESTS[operator](value, operand):
            passed.append((operator, operand))
    return list(dict.fromkeys(passed))


_PATTERNS: Final = {"starts_with": "starting with", "ends_with": "ending with", "contains": "containing"}


def _bare(name: str, operator: str, operand: str) -> str:
    """One test in words, for lists: ``alice@example.com``, ``users at example.com``, ``starting with '/api'``."""
    if name == "domain":
        return f"users at {operand}" if operator == "is" else f"users at domains {_PATTERNS[operator]} {operand!r}"
    if operator == "is":
        return repr(operand) if name == "user_id" else operand
    prefix = "emails " if name == "email" else ""
    return f"{prefix}{_PATTERNS[operator]} {operand!r}"


def _tests_passed(literals: _Literals, name: str, value: str, *, words: bool = False) -> list[tuple[str, str, str]]:
    """(input, operator, operand) of each literal test ``value`` passes (an email's domain tests too).

    With ``words``, an address that is a literal itself is just that address.
    """
    if name == "email":
        exact = [("email", op, x) for op, x in _satisfied(value, literals.email) if op == "is"]
        if exact and words:
            return exact[:1]
        domain = value.split("@")[1] if "@" in value else None
        return [
            *(("domain", op, x) for op, x in _satisfied(domain, literals.domain)),
            *(("email", op, x) for op, x in _satisfied(value, literals.email)),
        ]
    pairs = {"user_id": literals.user, "method": literals.method, "path": literals.path}[name]
    return [(name, op, x) for op, x in _satisfied(value, pairs)]


def _group_words(
    literals: _Literals, name: str, group: Sequence[str], known: frozenset[tuple[str, str, str]] = frozenset()
) -> str:
    """What the candidates of one value pass beyond the tests ``known``, in words ("" when nothing)."""
    if list(group) == [""] and name == "email":
        return "users without an email address"
    alternatives = []
    for value in group:
        tests = [test for test in _tests_passed(literals, name, value, words=not known) if test not in known]
        if tests:
            alternatives.append(" with ".join(_bare(*test) for test in tests))
    return " or ".join(dict.fromkeys(alternatives))


def _dimension_words(literals: _Literals, dimension: _Dimension, index: int) -> str:
    """A value of a string input in words: the tests it passes, and the narrower cases it excludes.

    Among {``admin@example.com``, domain ``example.com``}, ``zq@example.com`` is "users at example.com
    other than admin@example.com"; a value passing no test is "users other than ..." ("users not at
    ..." for domains only).
    """
    name = dimension.name
    value = dimension.values[index]
    words = _group_words(literals, name, dimension.alike(index))
    passed = frozenset(test for item in dimension.alike(index) for test in _tests_passed(literals, name, item))
    narrower = [
        _group_words(literals, name, dimension.alike(other), passed)
        for other in range(len(dimension.values))
        if other != index
        and dimension.values[other] != ""
        and {test for item in dimension.alike(other) for test in _tests_passed(literals, name, item)} > passed
    ]
    narrower = [text for text in dict.fromkeys(narrower) if text]
    if name == "email":
        if not narrower:
            return words or "any user"
        if not words and all(text.startswith("users at ") for text in narrower):
            return "users not at " + ", ".join(text.removeprefix("users at ") for text in narrower)
        return f"{words or 'users'} other than {', '.join(narrower)}"
    if name == "user_id":
        if not narrower:
            return f"with user id {words}" if words else "with any user id"
        return f"with a user id {words + ' but ' if words else ''}other than {', '.join(narrower)}"
    if name == "method":
        if words and not narrower:
            return f"{words} requests"
        return f"requests with methods {words + ' but ' if words else ''}other than {', '.join(narrower) or value}"
    if not narrower:
        return f"requests to {words}" if words else "requests to any path"
    return f"requests to paths {words + ' but ' if words else ''}other than {', '.join(narrower)}"


_QUALIFIERS: Final = ("in ", "with ", "not in ", "without ")


def _box_words(grid: _Grid, signed_in: bool | None, box: Sequence[int]) -> tuple[str, dict[str, Any]]:
    """A box in words ("users at gmail.com in group contractors, for DELETE requests") and as data."""
    literals = grid.literals
    subjects: list[str] = []
    qualifiers: list[str] = []
    request_parts: list[str] = []
    data: dict[str, Any] = {"signed_in": signed_in}
    for dimension, index in zip(grid.dimensions, box, strict=True):
        if index == _ANY or (dimension.identity and not signed_in):
            continue
        value = dimension.values[index]
        name = dimension.name
        if name == "email":
            subjects.append(_dimension_words(literals, dimension, index))
            data[name] = value
        elif name == "user_id":
            qualifiers.append(_dimension_words(literals, dimension, index))
            data[name] = value
        elif name.startswith("group:"):
            group = name.split(":", 1)[1]
            label = "some other group" if group == "*" else f"group {group}"
            qualifiers.append(f"in {label}" if value else f"not in {label}")
            data.setdefault("groups", {})[group] = value
        elif name.startswith("claim:"):
            _prefix, claim, position = name.split(":", 2)
            operand = "another value" if position == "*" else json.dumps(literals.claims[claim][int(position)])
            qualifiers.append(f"with claim {claim}={operand}" if value else f"without claim {claim}={operand}")
            data.setdefault("claims", {}).setdefault(claim, {})[operand] = value
        elif name == "preflight":
            request_parts.append("CORS preflight requests" if value else "requests that are not CORS preflights")
            data["preflight"] = value
        elif name == "source_ip":
            inside = [text for text in literals.addresses if _contains(text, value)]
            request_parts.append(f"from {', '.join(inside)}" if inside else "from other addresses")
            data["source_ip"] = value
        else:
            request_parts.append(_dimension_words(literals, dimension, index))
            data[name] = value
    qualifiers.sort(key=lambda text: next(i for i, q in enumerate(_QUALIFIERS) if text.startswith(q)))
    if signed_in is None:
        subject = "anyone, signed in or not"
    elif not signed_in:
        subject = "anonymous visitors"
    elif not subjects and not qualifiers:
        subject = "any signed-in user"
    else:
        subject = " ".join([subjects[0] if subjects else "users", *qualifiers])
    words = subject if not request_parts else f"{subject}, for {' and '.join(request_parts)}"
    return words, data


def _contains(network: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network.strip(), strict=False)
    except (ValueError, TypeError):
        return False


def _described(
    grid: _Grid, boxes: Sequence[tuple[bool | None, tuple[int, ...]]], changed: set[_Point]
) -> list[AccessClass]:
    found = []
    for signed_in, box in boxes:
        members = list(_box_points(grid, signed_in, box))
        witness = next((point for point in members if point in changed), members[0])
        identity, request = grid.inputs(witness)
        unknown = sorted(
            {what for point in members for what in (*grid.old[point].depends_on, *grid.new[point].depends_on)}
        )
        words, data = _box_words(grid, signed_in, box)
        if unknown:
            words += f" (depending on {', '.join(unknown)})"
        found.append(AccessClass(words, data, identity, request, tuple(unknown)))
    return found


# ---------------------------------------------------------------- the comparison


def _rule_key(rule: Rule) -> str:
    return json.dumps(
        [rule.action, [[c.operator, [[k.key, k.data] for k in c.criteria]] for c in rule.conditionals]],
        sort_keys=True,
        default=str,
    )


def _deny_words(rule: Rule) -> str:
    from pomgate.translation.ppl import describe

    try:
        return describe([rule])
    except (TypeError, ValueError):
        return "a deny rule"


def compare_access(old_rules: Sequence[Rule], new_rules: Sequence[Rule]) -> AccessChange:
    """Who gains and who loses access from ``old_rules`` to ``new_rules`` (both as `route_rules` gives them)."""
    key = ("\n".join(map(_rule_key, old_rules)), "\n".join(map(_rule_key, new_rules)))
    cached = _CACHE.get(key)
    if cached is None:  # many routes share a policy (one Ingress, several paths; one team's template)
        cached = _CACHE[key] = _compare(old_rules, new_rules)
        if len(_CACHE) > _CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]
    return cached


_CACHE: dict[tuple[str, str], AccessChange] = {}
_CACHE_SIZE: Final = 4096


def _compare(old_rules: Sequence[Rule], new_rules: Sequence[Rule]) -> AccessChange:
    grid = _grid(old_rules, new_rules)
    change = AccessChange(partial=grid.partial)

    def rank(outcomes: Mapping[_Point, Outcome], point: _Point) -> int:
        return _RANK[outcomes[point].decision]

    gained = {p for p in grid.new if rank(grid.new, p) > rank(grid.old, p)}
    lost = {p for p in grid.new if rank(grid.new, p) < rank(grid.old, p)}
    if gained:
        boxes = _classes(grid, gained, lambda point: grid.new[point].decision != "deny")
        change.gained = _described(grid, boxes, gained)
        change.became_public = any(not signed_in for signed_in, _ in gained)
    if lost:
        boxes = _classes(grid, lost, lambda point: grid.new[point].decision != "allow")
        change.lost = _described(grid, boxes, lost)
        change.admits_nobody = all(o.decision == "deny" for o in grid.new.values()) and any(
            o.decision != "deny" for o in grid.old.values()
        )
    if gained:
        kept = {_rule_key(rule) for rule in new_rules if rule.action == "deny"}
        change.deny_removed = [
            _deny_words(rule) for rule in old_rules if rule.action == "deny" and _rule_key(rule) not in kept
        ]
    return change
