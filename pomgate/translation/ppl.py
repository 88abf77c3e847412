"""Pomerium Policy Language (PPL) with the open-source compiler's verdicts (policy-language.md).

The input is an already decoded JSON-compatible document (``dict`` with ``str`` keys, ``list``,
``str``, ``int``, ``float``, ``bool``, ``None``). Checking happens in upstream's two stages:

1. structure (section 2): actions, conditionals, one-key criterion objects; errors carry the
   ``invalid rules in policy: `` prefix;
2. rule generation (sections 3-5): every criterion must be registered in the open-source compiler
   and accept its data; allow rules are walked before deny rules and the first failure wins.

Where upstream's order is not deterministic (Go map iteration over several bad keys of one object),
keys are checked in sorted order. ``PolicyError`` messages are upstream's text without the
``couldn't parse policy: `` prefix the caller adds; extra help (suggestion, Enterprise-only) is kept
in attributes so that ``str(err)`` stays exactly upstream's text.

Besides validation the module offers a normalised view (``rules_of``), the legacy allow-list
annotations as one rule (``allow_list_rule``), a one-line summary (``describe``) and two
conservative semantic helpers (``grants_public_access``, ``is_empty``).
"""

from __future__ import annotations

import base64
import binascii
import decimal
import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

PathElement: TypeAlias = str | int
DocumentPath: TypeAlias = tuple[PathElement, ...]
ActionName: TypeAlias = Literal["allow", "deny"]
ConditionalOperator: TypeAlias = Literal["and", "or", "not", "nor"]

ACTIONS: Final[tuple[ActionName, ...]] = ("allow", "deny")
CONDITIONAL_OPERATORS: Final[tuple[ConditionalOperator, ...]] = ("and", "or", "not", "nor")
_CONDITIONAL_KEY_ORDER: Final = (*CONDITIONAL_OPERATORS, "action")
_CONDITIONAL_KEYS: Final = frozenset(_CONDITIONAL_KEY_ORDER)

STRING_MATCHER_CRITERIA: Final = frozenset(
    {"email", "domain", "user", "http_method", "http_path", "mcp_tool", "ssh_username"}
)
STRING_LIST_MATCHER_CRITERIA: Final = frozenset({"claim", "groups"})
ANY_DATA_CRITERIA: Final = frozenset(
    {
        "accept",
        "reject",
        "authenticated_user",
        "cors_preflight",
        "invalid_client_certificate",
        "ssh_username_matches_email",
    }
)
SSH_KEY_CRITERIA: Final = frozenset({"ssh_publickey", "ssh_ca"})
ENTERPRISE_ONLY_CRITERIA: Final = frozenset({"date", "day_of_week", "time_of_day", "record", "pomerium_routes"})

_STRUCTURE_PREFIX: Final = "invalid rules in policy: "
_GENERATION_PREFIX: Final = "error generating criterion rules: "

_STRING_MATCHER_OPERATORS: Final = ("is", "not", "contains", "starts_with", "ends_with", "in", "not_in")
_STRING_MATCHER_LIST_OPERATORS: Final = frozenset({"in", "not_in"})
_STRING_LIST_MATCHER_OPERATORS: Final = ("has", "is", "exclude")
_CERTIFICATE_SAN_CONDITIONS: Final = frozenset({"san_email", "san_dns", "san_uri"})
_CERTIFICATE_CONDITIONS: Final = ("fingerprint", "spki_hash", "san_email", "san_dns", "san_uri")
_DEVICE_FIELDS: Final = ("approved", "is", "type")

_FINGERPRINT_LOWER_HEX: Final = re.compile(r"[0-9a-f]{64}")
_FINGERPRINT_COLON_PAIRS: Final = re.compile(r"[0-9A-F]{2}(?::[0-9A-F]{2}){31}")
_SUGGESTION_CUTOFF: Final = 0.7


# --------------------------------------------------------------------------- errors


class PolicyError(ValueError):
    """A policy upstream would reject; ``str(err)`` is upstream's message (without ``couldn't parse policy: ``).

    ``path`` locates the offending node in the document (e.g. ``(0, 'allow', 'and', 2, 'email')``),
    ``criterion`` names the criterion involved, ``suggestion`` is the closest valid name for an unknown
    criterion/conditional/action/operator (never part of the message) and ``enterprise_only`` marks
    criteria that exist only in Pomerium Enterprise/Zero.
    """

    def __init__(
        self,
        message: str,
        *,
        path: DocumentPath = (),
        criterion: str | None = None,
        suggestion: str | None = None,
        enterprise_only: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.criterion = criterion
        self.suggestion = suggestion
        self.enterprise_only = enterprise_only


class _CriterionDataError(Exception):
    """Internal: a criterion's data was rejected (wrapped into ``PolicyError`` by the caller)."""

    def __init__(self, message: str, path: DocumentPath, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.suggestion = suggestion


# --------------------------------------------------------------------------- normalised model


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion: ``name`` (before the first ``/``), ``sub_path`` (after it, or None) and its raw data.

    ``path`` (where it sits in the document) is not part of equality. Instances whose data holds lists or
    objects are not hashable.
    """

    name: str
    sub_path: str | None
    data: Any
    path: DocumentPath = field(default=(), compare=False)

    @property
    def key(self) -> str:
        """The criterion key as written (``claim/groups``)."""
        return self.name if self.sub_path is None else f"{self.name}/{self.sub_path}"


@dataclass(frozen=True, slots=True)
class Conditional:
    """A conditional (``and``/``or``/``not``/``nor``) over a list of criteria."""

    operator: ConditionalOperator
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """An ``allow`` or ``deny`` rule; its present conditionals in ``and, or, not, nor`` order (OR-ed together)."""

    action: ActionName
    conditionals: tuple[Conditional, ...]
    path: DocumentPath = field(default=(), compare=False)

    @property
    def can_match(self) -> bool:
        """False when the rule has no non-empty conditional (such a rule never matches)."""
        return any(conditional.criteria for conditional in self.conditionals)


# --------------------------------------------------------------------------- Go-style rendering helpers


def _type_name(value: Any) -> str:
    """The Go ``%T`` name of the upstream parser value that ``value`` becomes."""
    if isinstance(value, str):
        return "parser.String"
    if isinstance(value, bool):
        return "parser.Boolean"
    if isinstance(value, int | float):
        return "parser.Number"
    if value is None:
        return "parser.Null"
    if isinstance(value, list):
        return "parser.Array"
    if isinstance(value, dict):
        return "parser.Object"
    raise TypeError(f"not a JSON-compatible value: {type(value).__name__}")


_GO_ESCAPES: Final = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _go_quote(text: str) -> str:
    """Go's ``%q`` (strconv.Quote) of ``text``."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    out = ['"']
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        else:
            code = ord(char)
            if code < 0x20 or code == 0x7F:
                out.append(f"\\x{code:02x}")
            elif 0xD800 <= code <= 0xDFFF:  # not representable in Go; it would be U+FFFD there
                out.append("\ufffd")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _go_number_text(number: int | float) -> str:
    """A number as Go's encoding/json writes it (``1000.0`` -> ``1000``, ``1e-07`` -> ``1e-7``)."""
    if isinstance(number, int):
        return str(number)
    if number != number or number in (float("inf"), float("-inf")):
        return str(number)
    magnitude = abs(number)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(number)
        mantissa, _, exponent = text.partition("e")
        sign, digits = exponent[0], exponent[1:].lstrip("0") or "0"
        if sign == "-":
            return f"{mantissa}e-{digits}"
        return f"{mantissa}e+{digits.zfill(2)}"
    text = format(decimal.Decimal(repr(number)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" and number == 0 else text


def _go_value_text(value: Any) -> str:
    """Approximation of Go's ``%v`` of an upstream parser value (used only in ``(was ...)`` texts)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _go_number_text(value)
    if value is None:
        return "{}"
    if isinstance(value, list):
        return "[" + " ".join(_go_value_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{_go_value_text(value[key])}" for key in sorted(value, key=str)) + "]"
    return str(value)


def _suggest(name: str, candidates: Sequence[str]) -> str | None:
    """The closest candidate to a misspelt ``name`` (case-insensitive), or None when nothing is close."""
    lowered = name.lower()
    if lowered in candidates:
        return lowered
    matches = difflib.get_close_matches(lowered, candidates, n=1, cutoff=_SUGGESTION_CUTOFF)
    return matches[0] if matches else None


def _sorted_keys(mapping: dict[Any, Any]) -> list[Any]:
    """Keys in a deterministic order (upstream iterates Go maps in random order)."""
    keys = list(mapping)
    if len(keys) > 1:
        keys.sort(key=str)
    return keys


# --------------------------------------------------------------------------- structural parse (section 2)


def _structure_error(
    message: str, path: DocumentPath, *, criterion: str | None = None, suggestion: str | None = None
) -> PolicyError:
    return PolicyError(_STRUCTURE_PREFIX + message, path=path, criterion=criterion, suggestion=suggestion)


def _parse_document(document: Any) -> list[Rule]:
    if isinstance(document, dict):
        return _parse_rules_object(document, ())
    if isinstance(document, list):
        rules: list[Rule] = []
        for index, item in enumerate(document):
            if not isinstance(item, dict):
                raise _structure_error(f"unsupported type for rules array: {_type_name(item)}", (index,))
            rules.extend(_parse_rules_object(item, (index,)))
        return rules
    raise _structure_error(f"unsupported type for rule: {_type_name(document)}", ())


def _parse_rules_object(rules_object: dict[Any, Any], path: DocumentPath) -> list[Rule]:
    by_action: dict[str, Rule] = {}
    for key in _sorted_keys(rules_object):
        key_path = (*path, key)
        if key not in ACTIONS:
            raise _structure_error(
                f"invalid action in rule: unsupported action: {_go_quote(str(key))}",
                key_path,
                suggestion=_suggest(str(key), ACTIONS),
            )
        body = rules_object[key]
        if not isinstance(body, dict):
            raise _structure_error(
                f"invalid value for action in rule, expected Object, got {_type_name(body)}", key_path
            )
        by_action[key] = _parse_rule(key, body, key_path)
    return [by_action[action] for action in ACTIONS if action in by_action]


def _parse_rule(action: ActionName, body: dict[Any, Any], path: DocumentPath) -> Rule:
    conditionals: list[Conditional] = []
    for operator in CONDITIONAL_OPERATORS:
        if operator in body:
            criteria = _parse_criteria(operator, body[operator], (*path, operator))
            conditionals.append(Conditional(operator, criteria))
    if len(conditionals) != len(body):
        for key in _sorted_keys(body):
            if key not in _CONDITIONAL_KEYS:
                raise _structure_error(
                    f"unsupported conditional {_go_quote(str(key))}, only and, or, not, nor and action are allowed",
                    (*path, key),
                    suggestion=_suggest(str(key), _CONDITIONAL_KEY_ORDER),
                )
    return Rule(action, tuple(conditionals), path)


def _parse_criteria(operator: ConditionalOperator, value: Any, path: DocumentPath) -> tuple[Criterion, ...]:
    prefix = f'invalid criteria in "{operator}"): '
    if not isinstance(value, list):
        raise _structure_error(f"{prefix}unsupported type for criteria: {_type_name(value)}", path)
    criteria: list[Criterion] = []
    for index, item in enumerate(value):
        item_path = (*path, index)
        if not isinstance(item, dict):
            raise _structure_error(f"{prefix}unsupported type for criteria array: {_type_name(item)}", item_path)
        if len(item) != 1:
            raise _structure_error(f"{prefix}each criteria may only contain a single key and value", item_path)
        ((key, data),) = item.items()
        name, slash, sub_path = str(key).partition("/")
        criteria.append(Criterion(name, sub_path if slash else None, data, (*item_path, key)))
    return tuple(criteria)


# --------------------------------------------------------------------------- rule generation (sections 3-5)

_DataCheck: TypeAlias = Callable[[Any, DocumentPath], None]


def _check_string_matcher(data: Any, path: DocumentPath) -> None:
    if not isinstance(data, dict):
        return  # shorthand for {is: data}
    for operator in _sorted_keys(data):
        if operator in _STRING_MATCHER_LIST_OPERATORS:
            if not isinstance(data[operator], list):
                raise _CriterionDataError(f"{operator} matcher requires an array of strings", (*path, operator))
        elif operator not in _STRING_MATCHER_OPERATORS:
            raise _CriterionDataError(
                f"unknown string matcher operator: {operator}",
                (*path, operator),
                _suggest(str(operator), _STRING_MATCHER_OPERATORS),
            )


def _check_string_list_matcher(data: Any, path: DocumentPath) -> None:
    if not isinstance(data, dict):
        return  # shorthand for {has: data}
    for operator in _sorted_keys(data):
        if operator not in _STRING_LIST_MATCHER_OPERATORS:
            raise _CriterionDataError(
                f"unknown string list matcher operator: {operator}",
                (*path, operator),
                _suggest(str(operator), _STRING_LIST_MATCHER_OPERATORS),
            )


def _is_fingerprint(value: str) -> bool:
    return bool(_FINGERPRINT_LOWER_HEX.fullmatch(value) or _FINGERPRINT_COLON_PAIRS.fullmatch(value))


def _is_spki_hash(value: str) -> bool:
    try:
        return len(base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _check_certificate_hashes(
    data: Any, path: DocumentPath, label: str, is_valid: Callable[[str], bool], format_error: str
) -> None:
    if isinstance(data, str):
        items: list[tuple[Any, DocumentPath]] = [(data, path)]
    elif isinstance(data, list):
        items = [(item, (*path, index)) for index, item in enumerate(data)]
    else:
        raise _CriterionDataError(f"{label} condition expects a string or array of strings", path)
    for item, item_path in items:
        if not isinstance(item, str):
            raise _CriterionDataError(f"{label} must be a string (was {_go_value_text(item)})", item_path)
        if not item:
            raise _CriterionDataError(f"{label} must not be empty", item_path)
        if not is_valid(item):
            raise _CriterionDataError(format_error.format(item), item_path)


def _check_certificate_matcher(data: Any, path: DocumentPath) -> None:
    if not isinstance(data, dict):
        raise _CriterionDataError(f"expected object for certificate matcher, got: {_type_name(data)}", path)
    for condition in _sorted_keys(data):
        condition_path = (*path, condition)
        value = data[condition]
        if condition == "fingerprint":
            _check_certificate_hashes(
                value,
                condition_path,
                "certificate fingerprint",
                _is_fingerprint,
                "unsupported certificate fingerprint format ({})",
            )
        elif condition == "spki_hash":
            _check_certificate_hashes(
                value,
                condition_path,
                "certificate SPKI hash",
                _is_spki_hash,
                "certificate SPKI hash must be a base64-encoded SHA-256 hash (was {})",
            )
        elif condition in _CERTIFICATE_SAN_CONDITIONS:
            _check_string_matcher(value, condition_path)
        else:
            raise _CriterionDataError(
                f"unsupported certificate matcher condition: {condition}",
                condition_path,
                _suggest(str(condition), _CERTIFICATE_CONDITIONS),
            )


def _check_device_matcher(data: Any, path: DocumentPath) -> None:
    if not isinstance(data, dict):
        raise _CriterionDataError(f"expected object for device criterion, got: {_type_name(data)}", path)
    for key in _sorted_keys(data):
        if key == "approved":
            continue
        if key in ("is", "type"):
            if not isinstance(data[key], str):
                raise _CriterionDataError(
                    f"expected string for device criterion {key} operator, got {_type_name(data[key])}", (*path, key)
                )
        else:
            raise _CriterionDataError(
                f"unexpected field in device criterion: {key}", (*path, key), _suggest(str(key), _DEVICE_FIELDS)
            )


def _string_items(data: Any, path: DocumentPath) -> list[tuple[str, DocumentPath]]:
    """A string or a list of strings, with each item's path; the shared shape check of source_ip and SSH keys."""
    if isinstance(data, str):
        return [(data, path)]
    if not isinstance(data, list):
        raise _CriterionDataError(f"expected string or array of strings, got: {_type_name(data)}", path)
    items: list[tuple[str, DocumentPath]] = []
    for index, item in enumerate(data):
        if not isinstance(item, str):
            raise _CriterionDataError(f"expected string value, got: {_type_name(item)}", (*path, index))
        items.append((item, (*path, index)))
    return items


def is_ip_or_cidr(text: str) -> bool:
    """True for an IPv4/IPv6 address or CIDR range as Go's parsers accept it (no zones, no netmask form)."""
    address, slash, prefix_length = text.partition("/")
    if "%" in address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if not slash:
        return True
    return (
        prefix_length.isascii()
        and prefix_length.isdigit()
        and len(prefix_length) <= 6
        and int(prefix_length) <= ip.max_prefixlen
    )


def _check_source_ip(data: Any, path: DocumentPath) -> None:
    for item, item_path in _string_items(data, path):
        if not is_ip_or_cidr(item):
            raise _CriterionDataError(f"expected IP or CIDR range, got: {_go_quote(item)}", item_path)


def _check_ssh_keys(data: Any, path: DocumentPath) -> None:
    for item, item_path in _string_items(data, path):
        if not parse_authorized_key(item):
            raise _CriterionDataError("ssh: no key found", item_path)


def _check_claim_name(data: Any, path: DocumentPath) -> None:
    if not isinstance(data, str):
        raise _CriterionDataError(f"expected string value, got: {_type_name(data)}", path)


def _build_criterion_checks() -> dict[str, _DataCheck | None]:
    checks: dict[str, _DataCheck | None] = dict.fromkeys(ANY_DATA_CRITERIA)
    checks.update(dict.fromkeys(STRING_MATCHER_CRITERIA, _check_string_matcher))
    checks.update(dict.fromkeys(STRING_LIST_MATCHER_CRITERIA, _check_string_list_matcher))
    checks.update(dict.fromkeys(SSH_KEY_CRITERIA, _check_ssh_keys))
    checks["client_certificate"] = _check_certificate_matcher
    checks["device"] = _check_device_matcher
    checks["source_ip"] = _check_source_ip
    checks["ssh_username_matches_claim"] = _check_claim_name
    return checks


_CRITERION_CHECKS: Final = _build_criterion_checks()
OSS_CRITERIA: Final = frozenset(_CRITERION_CHECKS)
_OSS_CRITERIA_SORTED: Final = tuple(sorted(OSS_CRITERIA))


def _check_criterion(criterion: Criterion) -> None:
    name = criterion.name
    if name not in _CRITERION_CHECKS:
        enterprise_only = name in ENTERPRISE_ONLY_CRITERIA
        raise PolicyError(
            f"unknown policy criterion: {name}",
            path=criterion.path,
            criterion=name,
            suggestion=None if enterprise_only else _suggest(name, _OSS_CRITERIA_SORTED),
            enterprise_only=enterprise_only,
        )
    check = _CRITERION_CHECKS[name]
    if check is None:
        return
    try:
        check(criterion.data, criterion.path)
    except _CriterionDataError as err:
        raise PolicyError(
            _GENERATION_PREFIX + err.message, path=err.path, criterion=name, suggestion=err.suggestion
        ) from None


def _generate(rules: Sequence[Rule]) -> None:
    for action in ACTIONS:
        for rule in rules:
            if rule.action == action:
                for conditional in rule.conditionals:
                    for criterion in conditional.criteria:
                        _check_criterion(criterion)


# --------------------------------------------------------------------------- public validation API


def validate_policy(doc: Any) -> None:
    """Raise ``PolicyError`` when the open-source PPL compiler would reject ``doc`` (structure, then rules)."""
    _generate(_parse_document(doc))


def validate_policy_structure(doc: Any) -> None:
    """Raise ``PolicyError`` for structural problems only (what core checks for ``upstream_tunnel.ssh_policy``)."""
    _parse_document(doc)


def rules_of(doc: Any) -> list[Rule]:
    """The rules of a structurally valid ``doc`` in document order (allow before deny within one object).

    Raises ``PolicyError`` for structural problems; criterion names and data are not checked
    (call ``validate_policy`` for that).
    """
    return _parse_document(doc)


def allow_list_rule(
    *,
    public: bool,
    cors_preflight: bool,
    any_authenticated: bool,
    domains: Iterable[str],
    claims: dict[str, list[Any]],
    users: Iterable[str],
) -> Rule | None:
    """The legacy allow-list annotations as the one PPL ``allow`` rule Pomerium evaluates (section 6); None if empty."""
    criteria: list[Criterion] = []
    if public:
        criteria.append(Criterion("accept", None, True))
    if cors_preflight:
        criteria.append(Criterion("cors_preflight", None, True))
    if any_authenticated:
        criteria.append(Criterion("authenticated_user", None, True))
    criteria.extend(Criterion("domain", None, {"is": domain}) for domain in domains)
    for claim in sorted(claims):
        criteria.extend(Criterion("claim", claim, value) for value in claims[claim])
    for user in users:
        criteria.append(Criterion("user", None, {"is": user}))
        criteria.append(Criterion("email", None, {"is": user}))
    if not criteria:
        return None
    return Rule("allow", (Conditional("or", tuple(criteria)),))


# --------------------------------------------------------------------------- semantics helpers (section 1)


def _matches_everyone(conditional: Conditional) -> bool:
    names = [criterion.name for criterion in conditional.criteria]
    if not names:
        return False
    if conditional.operator == "and":
        return all(name == "accept" for name in names)
    if conditional.operator == "or":
        return "accept" in names
    if conditional.operator == "not":  # none match: all criteria never match
        return all(name == "reject" for name in names)
    return "reject" in names  # nor: at least one does not match


def grants_public_access(rules: Sequence[Rule]) -> bool:
    """True when some ``allow`` rule has a conditional that matches every request unconditionally.

    Conservative (no false positives): ``and`` whose criteria are all ``accept``, ``or`` with some
    ``accept``, ``not`` whose criteria are all ``reject`` and ``nor`` with some ``reject``. ``accept``
    matches whatever its data is (``accept: false`` also matches). Deny rules are not considered.
    """
    return any(
        rule.action == "allow" and any(_matches_everyone(conditional) for conditional in rule.conditionals)
        for rule in rules
    )


def is_empty(rules: Sequence[Rule]) -> bool:
    """True when no ``allow`` rule can match (no allow rules, or only ones without non-empty conditionals)."""
    return not any(rule.action == "allow" and rule.can_match for rule in rules)


# --------------------------------------------------------------------------- describe


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


#: String and string-list matcher operators in words (`describe`, and the evaluator's deciding rule).
STRING_OPERATOR_PHRASES: Final = {
    "is": "is",
    "not": "is not",
    "contains": "contains",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "in": "in",
    "not_in": "not in",
}
LIST_OPERATOR_PHRASES: Final = {"has": "has", "is": "is exactly", "exclude": "excludes"}
_FIXED_PHRASES: Final = {
    "accept": "everyone",
    "reject": "nobody",
    "authenticated_user": "any authenticated user",
    "cors_preflight": "CORS preflight request",
    "invalid_client_certificate": "invalid client certificate",
    "ssh_username_matches_email": "ssh username matches email",
}


def _describe_operators(data: Any, phrases: dict[str, str], shorthand: str) -> str:
    if not isinstance(data, dict):
        return f"{phrases[shorthand]} {_show(data)}"
    if not data:
        return "is anything"
    return " and ".join(f"{phrases.get(str(op), str(op))} {_show(data[op])}" for op in _sorted_keys(data))


def _plain_list(data: Any) -> str:
    items = data if isinstance(data, list) else [data]
    return "[" + ", ".join(item if isinstance(item, str) else _show(item) for item in items) + "]"


def _describe_criterion(criterion: Criterion) -> str:
    name, data = criterion.name, criterion.data
    if name in _FIXED_PHRASES:
        return _FIXED_PHRASES[name]
    if name in STRING_MATCHER_CRITERIA:
        return f"{name} {_describe_operators(data, STRING_OPERATOR_PHRASES, 'is')}"
    if name == "claim":
        claim = criterion.sub_path or "(no claim name)"
        return f"claim {claim} {_describe_operators(data, LIST_OPERATOR_PHRASES, 'has')}"
    if name == "groups":
        return f"groups {_describe_operators(data, LIST_OPERATOR_PHRASES, 'has')}"
    if name == "source_ip":
        return f"source_ip in {_plain_list(data)}"
    if name in SSH_KEY_CRITERIA:
        count = len(data) if isinstance(data, list) else 1
        return f"{name} is one of {count} key{'s' if count != 1 else ''}"
    if name == "ssh_username_matches_claim":
        return f"ssh username matches claim {_show(data)}"
    if name == "client_certificate" and isinstance(data, dict):
        parts = []
        for condition in _sorted_keys(data):
            if condition in _CERTIFICATE_SAN_CONDITIONS:
                parts.append(f"{condition} {_describe_operators(data[condition], STRING_OPERATOR_PHRASES, 'is')}")
            else:
                parts.append(f"{condition} in {_plain_list(data[condition])}")
        return "client certificate " + (" and ".join(parts) if parts else "is any")
    if name == "device" and isinstance(data, dict):
        parts = []
        for key in _sorted_keys(data):
            if key == "approved":
                parts.append("approved" if data[key] not in (False, 0, "", None) else "not approved")
            else:
                parts.append(f"{key} {_show(data[key])}")
        return "device " + (" and ".join(parts) if parts else "is any")
    return f"{criterion.key} {_show(data)}"


def _describe_conditional(conditional: Conditional, grouped: bool) -> str:
    texts = [_describe_criterion(criterion) for criterion in conditional.criteria]
    if conditional.operator in ("not", "nor"):
        if len(texts) == 1:
            return f"not {texts[0]}"
        joiner = " or " if conditional.operator == "not" else " and "
        return f"not ({joiner.join(texts)})"
    text = (" and " if conditional.operator == "and" else " or ").join(texts)
    return f"({text})" if grouped and len(texts) > 1 else text


def _describe_rule(rule: Rule) -> str:
    conditionals = [conditional for conditional in rule.conditionals if conditional.criteria]
    if not conditionals:
        return f"{rule.action} never (no conditions)"
    grouped = len(conditionals) > 1
    return f"{rule.action} if " + " or ".join(_describe_conditional(c, grouped) for c in conditionals)


def describe(doc_or_rules: Any) -> str:
    """One-line, deterministic summary of a policy document or of a list of ``Rule``.

    Example: ``allow if email is "a@x.com" or domain is "x.com"; deny if source_ip in [10.0.0.0/8]``.
    A document must be structurally valid (``PolicyError`` otherwise).
    """
    if isinstance(doc_or_rules, list | tuple) and doc_or_rules and all(isinstance(r, Rule) for r in doc_or_rules):
        rules: Sequence[Rule] = doc_or_rules
    else:
        rules = rules_of(doc_or_rules)
    if not rules:
        return "no rules (grants nothing)"
    return "; ".join(_describe_rule(rule) for rule in rules)


# --------------------------------------------------------------------------- SSH authorized_keys parsing
# Mirrors the acceptance of Go's golang.org/x/crypto/ssh.ParseAuthorizedKey: blank and comment lines and
# lines that do not parse are skipped, and the first parseable key wins; only when no line parses is the
# error `ssh: no key found`. Like that parser, the textual key-type field is not compared with the type
# embedded in the base64 blob.

_EC_CURVES: Final[dict[bytes, tuple[int, int, int]]] = {  # name -> (prime p, coefficient b, coordinate size)
    b"nistp256": (
        2**256 - 2**224 + 2**192 + 2**96 - 1,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        32,
    ),
    b"nistp384": (
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
        48,
    ),
    b"nistp521": (
        2**521 - 1,
        0x0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00,
        66,
    ),
}
_CERTIFICATE_BASE_ALGORITHMS: Final = {
    b"ssh-rsa-cert-v01@openssh.com": b"ssh-rsa",
    b"ssh-dss-cert-v01@openssh.com": b"ssh-dss",
    b"ecdsa-sha2-nistp256-cert-v01@openssh.com": b"ecdsa-sha2-nistp256",
    b"ecdsa-sha2-nistp384-cert-v01@openssh.com": b"ecdsa-sha2-nistp384",
    b"ecdsa-sha2-nistp521-cert-v01@openssh.com": b"ecdsa-sha2-nistp521",
    b"ssh-ed25519-cert-v01@openssh.com": b"ssh-ed25519",
    b"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": b"sk-ecdsa-sha2-nistp256@openssh.com",
    b"sk-ssh-ed25519-cert-v01@openssh.com": b"sk-ssh-ed25519@openssh.com",
}
_SECURITY_KEY_SIGNATURE_FORMATS: Final = frozenset(
    {b"sk-ecdsa-sha2-nistp256@openssh.com", b"sk-ssh-ed25519@openssh.com"}
)


class _WireReader:
    """Reads SSH wire-format fields; every reader returns None (or False) on a short read."""

    __slots__ = ("data", "offset")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    @property
    def at_end(self) -> bool:
        return self.offset == len(self.data)

    def skip(self, size: int) -> bool:
        if self.offset + size > len(self.data):
            return False
        self.offset += size
        return True

    def string(self) -> bytes | None:
        start = self.offset + 4
        if start > len(self.data):
            return None
        end = start + int.from_bytes(self.data[self.offset : start], "big")
        if end > len(self.data):
            return None
        self.offset = end
        return self.data[start:end]

    def mpint(self) -> int | None:
        raw = self.string()
        return None if raw is None else int.from_bytes(raw, "big", signed=True)


def _is_on_curve(curve_name: bytes, point: bytes) -> bool:
    curve = _EC_CURVES.get(curve_name)
    if curve is None:
        return False
    prime, coefficient_b, size = curve
    if len(point) != 1 + 2 * size or point[0] != 4:
        return False
    x = int.from_bytes(point[1 : 1 + size], "big")
    y = int.from_bytes(point[1 + size :], "big")
    if x >= prime or y >= prime:
        return False
    return (y * y - (x * x * x - 3 * x + coefficient_b)) % prime == 0


def _read_key_fields(algorithm: bytes, reader: _WireReader) -> bool:
    """Consume the fields of a public key of ``algorithm`` (not including the algorithm name)."""
    if algorithm == b"ssh-ed25519":
        key = reader.string()
        return key is not None and len(key) == 32
    if algorithm == b"sk-ssh-ed25519@openssh.com":
        key = reader.string()
        return key is not None and len(key) == 32 and reader.string() is not None
    if algorithm == b"ssh-rsa":
        exponent = reader.mpint()
        modulus = reader.mpint()
        if exponent is None or modulus is None:
            return False
        return abs(exponent).bit_length() <= 24 and exponent >= 3 and exponent % 2 == 1
    if algorithm == b"ssh-dss":
        return all(reader.mpint() is not None for _ in range(4))
    if algorithm.startswith(b"ecdsa-sha2-"):
        if algorithm[len(b"ecdsa-sha2-") :] not in _EC_CURVES:
            return False
        curve, point = reader.string(), reader.string()
        return curve is not None and point is not None and _is_on_curve(curve, point)
    if algorithm == b"sk-ecdsa-sha2-nistp256@openssh.com":
        curve, point = reader.string(), reader.string()
        return curve == b"nistp256" and point is not None and _is_on_curve(curve, point) and reader.string() is not None
    base_algorithm = _CERTIFICATE_BASE_ALGORITHMS.get(algorithm)
    return base_algorithm is not None and _read_certificate_fields(base_algorithm, reader)


def _is_tuple_list(data: bytes) -> bool:
    """Certificate critical options / extensions: (name, data) string pairs with names in strictly increasing order."""
    reader = _WireReader(data)
    previous: bytes | None = None
    while not reader.at_end:
        name = reader.string()
        if name is None or reader.string() is None or (previous is not None and previous >= name):
            return False
        previous = name
    return True


def _is_string_list(data: bytes) -> bool:
    reader = _WireReader(data)
    while not reader.at_end:
        if reader.string() is None:
            return False
    return True


def _is_signature(data: bytes) -> bool:
    reader = _WireReader(data)
    signature_format = reader.string()
    if signature_format is None or reader.string() is None:
        return False
    return signature_format not in _SECURITY_KEY_SIGNATURE_FORMATS or reader.skip(5)


def _read_certificate_fields(base_algorithm: bytes, reader: _WireReader) -> bool:
    if reader.string() is None or not _read_key_fields(base_algorithm, reader):  # nonce, certified key
        return False
    if not reader.skip(8 + 4):  # serial, type
        return False
    key_id, principals = reader.string(), reader.string()
    if key_id is None or principals is None or not _is_string_list(principals) or not reader.skip(16):
        return False
    critical_options, extensions, reserved = reader.string(), reader.string(), reader.string()
    if critical_options is None or extensions is None or reserved is None:
        return False
    if not _is_tuple_list(critical_options) or not _is_tuple_list(extensions):
        return False
    signature_key, signature = reader.string(), reader.string()
    return (
        signature_key is not None
        and signature is not None
        and _parse_public_key(signature_key)
        and _is_signature(signature)
    )


def _parse_public_key(blob: bytes) -> bool:
    """True when ``blob`` is a complete SSH wire-format public key (or certificate) of a known algorithm."""
    reader = _WireReader(blob)
    algorithm = reader.string()
    return algorithm is not None and _read_key_fields(algorithm, reader) and reader.at_end


def _first_blank(text: str) -> int:
    for index, char in enumerate(text):
        if char in " \t":
            return index
    return -1


def _parse_key_after_type(text: str) -> bool:
    """Parse ``<base64> [comment]`` (the part after the key-type field)."""
    text = text.strip()
    end = _first_blank(text)
    token = text if end == -1 else text[:end]
    try:
        blob = base64.b64decode(token.replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return _parse_public_key(blob)


def _end_of_options(line: str) -> int:
    """Index of the first blank outside double quotes (the end of an options field), or -1."""
    in_quote = False
    for index, char in enumerate(line):
        if not in_quote and char in " \t":
            return index
        if char == '"' and (index == 0 or line[index - 1] != "\\"):
            in_quote = not in_quote
    return -1


def _parse_authorized_keys_line(line: str) -> bool:
    blank = _first_blank(line)
    if blank == -1:
        return False
    if _parse_key_after_type(line[blank:]):
        return True
    options_end = _end_of_options(line)  # maybe the line starts with an options field
    if options_end == -1:
        return False
    rest = line[options_end:].strip()
    blank = _first_blank(rest)
    return blank != -1 and _parse_key_after_type(rest[blank:])


def parse_authorized_key(text: str) -> bool:
    """True when ``text`` (authorized_keys content) holds at least one parseable public key."""
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        if line and not line.startswith("#") and _parse_authorized_keys_line(line):
            return True
    return False
