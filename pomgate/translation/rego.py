"""Render PPL rules as the Rego module Pomerium's policy compiler generates for them.

Pomerium evaluates a policy by generating Rego from the PPL (``pkg/policy/generator`` and
``pkg/policy/criteria`` upstream) and querying ``data.pomerium.policy`` with OPA; the Ingress
controller stores that Rego beside the PPL in each route's policy when it writes to the databroker
(``Policy.rego``). ``render_rego`` builds the same module: package ``pomerium.policy``, ``import
rego.v1``, the two defaults, one rule per criterion with a ``[bool, reasons]`` value and an ``else``
chain, one rule per non-empty conditional, the ``allow``/``deny`` aggregation and the helper
functions. Value rules come first in creation order, then functions ordered by their number of
arguments. Where upstream iterates a Go map (matcher operators, certificate conditions) the keys are
taken in sorted order; the expressions are AND-ed, so the order does not change the result.

The module calls Pomerium's Go builtins (``get_databroker_record``, ``ssh_verify_user_cert``) and
OPA's ``net.cidr_contains_matches``; `tests/policy_rego` runs it with stand-ins for those.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pomgate.translation.ppl import Conditional, Criterion, Rule

PACKAGE: Final = "pomerium.policy"
SESSION_RECORD_TYPE: Final = "type.googleapis.com/session.Session"
SERVICE_ACCOUNT_RECORD_TYPE: Final = "type.googleapis.com/user.ServiceAccount"
USER_RECORD_TYPE: Final = "type.googleapis.com/user.User"
DIRECTORY_USER_RECORD_TYPE: Final = "pomerium.io/DirectoryUser"
DEVICE_CREDENTIAL_RECORD_TYPE: Final = "type.googleapis.com/pomerium.device.Credential"
DEVICE_ENROLLMENT_RECORD_TYPE: Final = "type.googleapis.com/pomerium.device.Enrollment"
DEFAULT_DEVICE_TYPE: Final = "any"


class UnsupportedCriterion(ValueError):
    """A criterion the open-source generator does not know, or whose data it rejects."""


# --------------------------------------------------------------------------- Rego text building blocks


def rego_literal(value: Any) -> str:
    """A JSON-compatible value as a Rego term (JSON syntax is valid Rego)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _result_term(passed: bool, reason: str, additional_data: Mapping[str, Any] | None = None) -> str:
    """A criterion result: ``[true, {"reason"}]`` or ``[false, {"reason"}, {...}]``."""
    parts = ["true" if passed else "false", "{" + rego_literal(reason) + "}"]
    if additional_data is not None:
        parts.append(rego_literal(dict(additional_data)))
    return "[" + ", ".join(parts) + "]"


@dataclass(frozen=True)
class _Clause:
    """One head value of a rule and the body that selects it (``None``: unconditional)."""

    value: str
    body: tuple[str, ...] | None


def _rule_text(head: str, clauses: Sequence[_Clause]) -> str:
    """A (possibly ``else``-chained) rule; ``head`` is the name, with parameters for a function."""
    chunks = []
    for index, clause in enumerate(clauses):
        start = f"{head} := {clause.value}" if index == 0 else f"else := {clause.value}"
        if clause.body is None:
            chunks.append(start)
        else:
            lines = "".join(f"\t{expression}\n" for expression in clause.body)
            chunks.append(f"{start} if {{\n{lines}}}")
    return "\n\n".join(chunks)


@dataclass(frozen=True)
class _RegoRule:
    name: str
    arity: int
    text: str


def _function(name: str, parameters: Sequence[str], clauses: Sequence[_Clause]) -> _RegoRule:
    return _RegoRule(name, len(parameters), _rule_text(f"{name}({', '.join(parameters)})", clauses))


# --------------------------------------------------------------------------- helper functions (rules.go)


def _merge_function(name: str, success_test: str) -> _RegoRule:
    def collected(results_var: str) -> tuple[str, ...]:
        return (
            f"reasons := union({{x | x := {results_var}[i][1]}})",
            f"additional_data := object_union({{x | x := {results_var}[i][2]}})",
        )

    return _function(
        name,
        ["results"],
        [
            _Clause(
                "[true, reasons, additional_data]",
                ("true_results := [x | x := results[i]; x[0]]", success_test, *collected("true_results")),
            ),
            _Clause(
                "[false, reasons, additional_data]",
                ("false_results := [x | x := results[i]; not x[0]]", *collected("false_results")),
            ),
        ],
    )


def _invert_function() -> _RegoRule:
    def flipped(value: str) -> str:
        return f"out = array.concat([{value}], array.slice(v, 1, count(v)))"

    return _function(
        "invert_criterion_result",
        ["v"],
        [_Clause("out", ("v[0]", flipped("false"))), _Clause("out", ("not v[0]", flipped("true")))],
    )


def _normalize_function() -> _RegoRule:
    return _function(
        "normalize_criterion_result",
        ["result"],
        [
            _Clause("v", ("is_boolean(result)", "v = [result, set()]")),
            _Clause("v", ("is_array(result)", "v = result")),
            _Clause("v", ("v = [false, set()]",)),
        ],
    )


def _object_union_function() -> _RegoRule:
    text = (
        "object_union(xs) := merged if {\n"
        "\tmerged = {k: v |\n"
        "\t\tsome k\n"
        "\t\txs[_][k]\n"
        "\t\tvs := [xv | xv := xs[_][k]]\n"
        "\t\tv := vs[count(vs) - 1]\n"
        "\t}\n"
        "}"
    )
    return _RegoRule("object_union", 1, text)


def _record_lookup(record_type: str, record_id: str) -> str:
    return f"v = get_databroker_record({rego_literal(record_type)}, {record_id})"


def _get_session_function() -> _RegoRule:
    session = rego_literal(SESSION_RECORD_TYPE)
    return _function(
        "get_session",
        ["id"],
        [
            _Clause("v", (_record_lookup(SERVICE_ACCOUNT_RECORD_TYPE, "id"), "v != null")),
            _Clause(
                "iv",
                (
                    _record_lookup(SESSION_RECORD_TYPE, "id"),
                    "v != null",
                    'object.get(v, "impersonate_session_id", "") != ""',
                    f"iv = get_databroker_record({session}, v.impersonate_session_id)",
                    "iv != null",
                ),
            ),
            _Clause(
                "v",
                (
                    _record_lookup(SESSION_RECORD_TYPE, "id"),
                    "v != null",
                    'object.get(v, "impersonate_session_id", "") == ""',
                ),
            ),
            _Clause("{}", None),
        ],
    )


def _get_by_session_user_function(name: str, record_type: str) -> _RegoRule:
    return _function(
        name,
        ["session"],
        [_Clause("v", (_record_lookup(record_type, "session.user_id"), "v != null")), _Clause("{}", None)],
    )


def _get_user_email_function() -> _RegoRule:
    return _function(
        "get_user_email",
        ["session", "user", "directory_user"],
        [
            _Clause("v", ('v = object.get(directory_user, "email", "")', 'v != ""')),
            _Clause("v", ("v = user.email",)),
            _Clause('""', None),
        ],
    )


def _object_get_function() -> _RegoRule:
    """``object_get``: the whole key first, then the key split on ``/`` and ``.`` into 2 to 5 nested keys."""
    sentinel = rego_literal("10a0fd35-0f1a-4e5b-97ce-631e89e1bafa")
    clauses = [
        _Clause("value", (f"undefined := {sentinel}", "value = object.get(obj, key, undefined)", "value != undefined"))
    ]
    for depth in range(2, 6):
        body = ['segments := split(replace(key, ".", "/"), "/")', f"count(segments) == {depth}"]
        container = "obj"
        for level in range(1, depth):
            body.append(f"o{level} := object.get({container}, segments[{level - 1}], {{}})")
            container = f"o{level}"
        body.append(f"value = object.get({container}, segments[{depth - 1}], def)")
        clauses.append(_Clause("value", tuple(body)))
    clauses.append(_Clause("value", ("value = object.get(obj, key, def)",)))
    return _function("object_get", ["obj", "key", "def"], clauses)


def _get_device_credential_function() -> _RegoRule:
    return _function(
        "get_device_credential",
        ["session", "device_type_id"],
        [
            _Clause(
                "v",
                (
                    "device_credential_id := "
                    "[x.Credential.Id | x := session.device_credentials[_]; x.type_id == device_type_id][0]",
                    _record_lookup(DEVICE_CREDENTIAL_RECORD_TYPE, "device_credential_id"),
                    "v != null",
                ),
            ),
            _Clause("{}", None),
        ],
    )


def _get_device_enrollment_function() -> _RegoRule:
    return _function(
        "get_device_enrollment",
        ["device_credential"],
        [
            _Clause(
                "v", (_record_lookup(DEVICE_ENROLLMENT_RECORD_TYPE, "device_credential.enrollment_id"), "v != null")
            ),
            _Clause("{}", None),
        ],
    )


GET_SESSION: Final = _get_session_function()
GET_USER: Final = _get_by_session_user_function("get_user", USER_RECORD_TYPE)
GET_DIRECTORY_USER: Final = _get_by_session_user_function("get_directory_user", DIRECTORY_USER_RECORD_TYPE)
GET_USER_EMAIL: Final = _get_user_email_function()
OBJECT_GET: Final = _object_get_function()
GET_DEVICE_CREDENTIAL: Final = _get_device_credential_function()
GET_DEVICE_ENROLLMENT: Final = _get_device_enrollment_function()
_BASE_FUNCTIONS: Final = (
    _invert_function(),
    _normalize_function(),
    _object_union_function(),
    _merge_function("merge_with_and", "count(true_results) == count(results)"),
    _merge_function("merge_with_or", "count(true_results) > 0"),
)

# --------------------------------------------------------------------------- matchers (matchers.go)

_STRING_OPERATOR_TEMPLATES: Final = {
    "is": "{left} == {right}",
    "not": "{left} != {right}",
    "contains": "contains({left}, {right})",
    "starts_with": "startswith({left}, {right})",
    "ends_with": "endswith({left}, {right})",
    "in": "{left} in {right}",
    "not_in": "not {left} in {right}",
}


def string_matcher(left: str, data: Any) -> list[str]:
    """Body expressions of a string matcher on ``left`` (a non-object ``data`` means ``{is: data}``)."""
    operators = data if isinstance(data, dict) else {"is": data}
    expressions = []
    for operator in sorted(operators):
        template = _STRING_OPERATOR_TEMPLATES.get(operator)
        if template is None:
            raise UnsupportedCriterion(f"unknown string matcher operator: {operator}")
        value = operators[operator]
        if operator in ("in", "not_in") and not isinstance(value, list):
            raise UnsupportedCriterion(f"{operator} matcher requires an array of strings")
        expressions.append(template.format(left=left, right=rego_literal(value)))
    return expressions


def _count_equal_elements(left: str, value: Any) -> str:
    return f"count([true | some v; v = {left}[_0]; v == {rego_literal(value)}])"


def string_list_matcher(left: str, data: Any) -> list[str]:
    """Body expressions of a string list matcher on ``left`` (a non-object ``data`` means ``{has: data}``)."""
    operators = data if isinstance(data, dict) else {"has": data}
    expressions = []
    for operator in sorted(operators):
        value = operators[operator]
        if operator == "has":
            expressions.append(f"{_count_equal_elements(left, value)} > 0")
        elif operator == "is":
            expressions.append(f"count({left}) == 1")
            expressions.append(f"{_count_equal_elements(left, value)} > 0")
        elif operator == "exclude":
            expressions.append(f"{_count_equal_elements(left, value)} == 0")
        else:
            raise UnsupportedCriterion(f"unknown string list matcher operator: {operator}")
    return expressions


# --------------------------------------------------------------------------- criteria (criteria/*.go)

_SESSION: Final = "session := get_session(input.session.id)"
_USER_EMAIL_BODY: Final = (
    _SESSION,
    "user := get_user(session)",
    "directory_user := get_directory_user(session)",
)
_CLAIM_BODY: Final = (
    _SESSION,
    'session_claims := object.get(session, "claims", {})',
    "user := get_user(session)",
    'user_claims := object.get(user, "claims", {})',
    "all_claims := object.union(session_claims, user_claims)",
    "values := object_get(all_claims, rule_path, [])",
)


def _session_clauses(passed: str, failed: str, body: Sequence[str]) -> list[_Clause]:
    """A criterion that needs a session: pass, else fail when signed in, else ``user-unauthenticated``."""
    return [
        _Clause(_result_term(True, passed), tuple(body)),
        _Clause(_result_term(False, failed), (_SESSION, 'session.id != ""')),
        _Clause(_result_term(False, "user-unauthenticated"), None),
    ]


def _plain_clauses(passed: str, failed: str, body: Sequence[str]) -> list[_Clause]:
    return [_Clause(_result_term(True, passed), tuple(body)), _Clause(_result_term(False, failed), None)]


def _ip_range(text: Any) -> str:
    """An IP or CIDR range as upstream passes it to ``net.cidr_contains_matches`` (an IP becomes /32 or /128)."""
    if not isinstance(text, str):
        raise UnsupportedCriterion(f"expected string value, got: {type(text).__name__}")
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    else:
        if "/" in text:
            return text
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise UnsupportedCriterion(f"expected IP or CIDR range, got: {text!r}") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"{address.ipv4_mapped}/32"
    return f"{address}/{address.max_prefixlen}"


def _string_or_list(data: Any) -> list[Any]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, list):
        return data
    raise UnsupportedCriterion(f"expected string or array of strings, got: {type(data).__name__}")


def _ssh_key_blob(text: Any) -> str:
    """The base64 wire-format blob of the first key line of ``text`` (a simplification of Go's parser)."""
    if not isinstance(text, str):
        raise UnsupportedCriterion(f"expected string value, got: {type(text).__name__}")
    for line in text.splitlines():
        for token in line.split()[1:]:
            try:
                base64.b64decode(token, validate=True)
            except (binascii.Error, ValueError):
                continue
            return token
    raise UnsupportedCriterion("ssh: no key found")


_FINGERPRINT_SHORT: Final = re.compile(r"[0-9a-f]{64}")
_FINGERPRINT_LONG: Final = re.compile(r"[0-9A-F]{2}(:[0-9A-F]{2}){31}")


def _fingerprint(value: Any) -> str:
    if isinstance(value, str) and _FINGERPRINT_SHORT.fullmatch(value):
        return value
    if isinstance(value, str) and _FINGERPRINT_LONG.fullmatch(value):
        return value.replace(":", "").lower()
    raise UnsupportedCriterion(f"unsupported certificate fingerprint format ({value})")


def _is_falsy(value: Any) -> bool:
    return value is None or value is False or value == "" or (isinstance(value, int | float) and value == 0)


class _Generator:
    """Builds one module: numbered rules (``email_0``, ``or_1``, …) and the helpers they need, deduplicated."""

    def __init__(self) -> None:
        self._next_id: dict[str, int] = {}
        self._rules: list[_RegoRule] = []

    def _name(self, base: str) -> str:
        number = self._next_id.get(base, 0)
        self._next_id[base] = number + 1
        return f"{base}_{number}"

    def _add(self, rule: _RegoRule) -> None:
        if all(existing.text != rule.text for existing in self._rules):
            self._rules.append(rule)

    def _add_value_rule(self, base: str, clauses: Sequence[_Clause], helpers: Sequence[_RegoRule] = ()) -> str:
        for helper in helpers:
            self._add(helper)
        name = self._name(base)
        self._add(_RegoRule(name, 0, _rule_text(name, clauses)))
        return name

    def criterion(self, criterion: Criterion) -> str:
        """Add the rule of one criterion (and its helpers); its name."""
        name, data = criterion.name, criterion.data
        email_helpers = (GET_SESSION, GET_USER, GET_USER_EMAIL, GET_DIRECTORY_USER)
        if name == "accept":
            return self._add_value_rule(name, [_Clause(_result_term(True, "accept"), None)])
        if name == "reject":
            return self._add_value_rule(name, [_Clause(_result_term(False, "reject"), None)])
        if name == "authenticated_user":
            body = [_SESSION, "session.user_id != null", 'session.user_id != ""']
            return self._add_value_rule(name, _session_clauses("user-ok", "user-unauthorized", body), [GET_SESSION])
        if name in ("email", "domain"):
            email = "get_user_email(session, user, directory_user)"
            tail = f"email := {email}" if name == "email" else f'domain := split({email}, "@")[1]'
            body = [*_USER_EMAIL_BODY, tail, *string_matcher(name, data)]
            return self._add_value_rule(
                name, _session_clauses(f"{name}-ok", f"{name}-unauthorized", body), email_helpers
            )
        if name == "user":
            body = [_SESSION, "user_id := session.user_id", *string_matcher("user_id", data)]
            return self._add_value_rule(name, _session_clauses("user-ok", "user-unauthorized", body), [GET_SESSION])
        if name == "claim":
            body = [f"rule_path := {rego_literal(criterion.sub_path or '')}", *_CLAIM_BODY]
            body += string_list_matcher("values", data)
            clauses = _session_clauses("claim-ok", "claim-unauthorized", body)
            return self._add_value_rule(name, clauses, [GET_SESSION, GET_USER, OBJECT_GET])
        if name == "groups":
            body = [
                f"record_type := {rego_literal(DIRECTORY_USER_RECORD_TYPE)}",
                _SESSION,
                "directory_user := get_databroker_record(record_type, session.user_id)",
                'group_ids := object.get(directory_user, "group_ids", [])',
                *string_list_matcher("group_ids", data),
            ]
            return self._add_value_rule(name, _session_clauses("groups-ok", "groups-unauthorized", body), [GET_SESSION])
        if name == "http_method":
            clauses = _plain_clauses(
                "http-method-ok", "http-method-unauthorized", string_matcher("input.http.method", data)
            )
            return self._add_value_rule(name, clauses)
        if name == "http_path":
            clauses = _plain_clauses("http-path-ok", "http-path-unauthorized", string_matcher("input.http.path", data))
            return self._add_value_rule(name, clauses)
        if name == "cors_preflight":
            body = [
                'input.http.method == "OPTIONS"',
                'count(object.get(input.http.headers, "Access-Control-Request-Method", [])) > 0',
                'count(object.get(input.http.headers, "Origin", [])) > 0',
            ]
            return self._add_value_rule(name, _plain_clauses("cors-request", "non-cors-request", body))
        if name == "source_ip":
            ranges = [_ip_range(item) for item in _string_or_list(data)]
            body = [f"count(net.cidr_contains_matches({rego_literal(ranges)}, input.http.ip)) > 0"]
            return self._add_value_rule(name, _plain_clauses("source-ip-ok", "source-ip-unauthorized", body))
        if name == "invalid_client_certificate":
            clauses = [
                _Clause(
                    _result_term(False, "valid-client-certificate"),
                    ("is_boolean(input.is_valid_client_certificate)", "input.is_valid_client_certificate"),
                ),
                _Clause(
                    _result_term(True, "client-certificate-required"),
                    (
                        "is_boolean(input.http.client_certificate.presented)",
                        "not input.http.client_certificate.presented",
                    ),
                ),
                _Clause(_result_term(True, "invalid-client-certificate"), None),
            ]
            return self._add_value_rule(name, clauses)
        if name == "client_certificate":
            return self._client_certificate(data)
        if name == "device":
            return self._device(data)
        if name == "mcp_tool":
            tool = "input.mcp.tool_call.name"
            clauses = [
                _Clause(_result_term(False, "mcp-not-a-tool-call"), ("not input.mcp.method",)),
                _Clause(
                    _result_term(False, "mcp-not-a-tool-call"),
                    ("input.mcp.method", 'input.mcp.method != "tools/call"'),
                ),
                _Clause(
                    _result_term(True, "mcp-tool-match"),
                    ('input.mcp.method == "tools/call"', *string_matcher(tool, data)),
                ),
                _Clause(_result_term(False, "mcp-tool-no-match"), None),
            ]
            return self._add_value_rule(name, clauses)
        if name == "ssh_username":
            body = string_matcher("input.ssh.username", data)
            return self._add_value_rule(name, _plain_clauses("ssh-username-ok", "ssh-username-unauthorized", body))
        if name == "ssh_username_matches_email":
            body = [
                *_USER_EMAIL_BODY,
                "email := get_user_email(session, user, directory_user)",
                'username := split(email, "@")[0]',
                "input.ssh.username == username",
            ]
            clauses = _session_clauses("ssh-username-ok", "ssh-username-unauthorized", body)
            return self._add_value_rule(name, clauses, email_helpers)
        if name == "ssh_username_matches_claim":
            if not isinstance(data, str):
                raise UnsupportedCriterion(f"expected string value, got: {type(data).__name__}")
            body = [f"rule_path := {rego_literal(data)}", *_CLAIM_BODY, "input.ssh.username in values"]
            clauses = _session_clauses("ssh-username-ok", "ssh-username-unauthorized", body)
            return self._add_value_rule(name, clauses, [GET_SESSION, GET_USER, OBJECT_GET])
        if name in ("ssh_publickey", "ssh_ca"):
            keys = rego_literal([_ssh_key_blob(item) for item in _string_or_list(data)])
            if name == "ssh_publickey":
                body = [f"input.ssh.publickey in {keys}"]
            else:
                body = [f"userCAs := {keys}", "ssh_verify_user_cert(input.ssh.username, input.ssh.publickey, userCAs)"]
            return self._add_value_rule(name, _plain_clauses("ssh-publickey-ok", "ssh-publickey-unauthorized", body))
        raise UnsupportedCriterion(f"unknown policy criterion: {name}")

    def _client_certificate(self, data: Any) -> str:
        if not isinstance(data, dict):
            raise UnsupportedCriterion("expected object for certificate matcher")
        body = [
            "cert := crypto.x509.parse_certificates(trim_space(input.http.client_certificate.leaf))[0]",
            "fingerprint := crypto.sha256(base64.decode(cert.Raw))",
            "spki_hash := base64.encode(hex.decode(crypto.sha256(base64.decode(cert.RawSubjectPublicKeyInfo))))",
        ]
        san_fields = {"san_email": "EmailAddresses", "san_dns": "DNSNames", "san_uri": "URIStrings"}
        for condition in sorted(data):
            value = data[condition]
            if condition == "fingerprint":
                allowed = [_fingerprint(item) for item in _string_or_list(value)]
                body += [f"allowed_fingerprints := {rego_literal(allowed)}", "fingerprint == allowed_fingerprints[_]"]
            elif condition == "spki_hash":
                body += [
                    f"allowed_spki_hashes := {rego_literal(_string_or_list(value))}",
                    "spki_hash == allowed_spki_hashes[_]",
                ]
            elif condition in san_fields:
                body += string_matcher(f"cert.{san_fields[condition]}[_]", value)
            else:
                raise UnsupportedCriterion(f"unsupported certificate matcher condition: {condition}")
        clauses = _plain_clauses("client-certificate-ok", "client-certificate-unauthorized", body)
        return self._add_value_rule("client_certificate", clauses)

    def _device(self, data: Any) -> str:
        if not isinstance(data, dict):
            raise UnsupportedCriterion("expected object for device criterion")
        unknown = set(data) - {"approved", "is", "type"}
        if unknown:
            raise UnsupportedCriterion(f"unexpected field in device criterion: {sorted(unknown)[0]}")
        body = []
        if "approved" in data:
            comparison = "== 0" if _is_falsy(data["approved"]) else "> 0"
            body.append(f"count([x | x := device_enrollment.approved_by]) {comparison}")
        if "is" in data:
            body += [f"is_expect := {rego_literal(data['is'])}", "is_expect == device_credential.id"]
        device_type = DEFAULT_DEVICE_TYPE
        if "type" in data:
            device_type = data["type"]
            body.append('device_credential.id != ""')
        shared = (
            f"device_type_id := {rego_literal(device_type)}",
            _SESSION,
            "device_credential := get_device_credential(session, device_type_id)",
            "device_enrollment := get_device_enrollment(device_credential)",
        )
        extra = {"device_type": device_type}
        clauses = [
            _Clause(_result_term(True, "device-ok", extra), (*shared, *body)),
            _Clause(
                _result_term(False, "device-unauthorized", extra),
                (*shared, 'session.id != ""', 'device_credential.id != ""', 'device_enrollment.id != ""'),
            ),
            _Clause(_result_term(False, "device-unauthenticated", extra), (*shared, 'session.id != ""')),
            _Clause(_result_term(False, "user-unauthenticated", extra), None),
        ]
        helpers = (GET_DEVICE_CREDENTIAL, GET_DEVICE_ENROLLMENT, GET_SESSION, OBJECT_GET)
        return self._add_value_rule("device", clauses, helpers)

    def conditional(self, conditional: Conditional) -> str:
        """Add the rule of one non-empty conditional (after its criteria); its name."""
        terms = [self.criterion(criterion) for criterion in conditional.criteria]
        body = [f"results := [{', '.join(terms)}]", "normalized := [normalize_criterion_result(x) | x := results[i]]"]
        if conditional.operator in ("not", "nor"):
            body.append("inverted := [invert_criterion_result(x) | x := results[i]]")
        merged = "inverted" if conditional.operator in ("not", "nor") else "normalized"
        merge = "merge_with_and" if conditional.operator in ("and", "not") else "merge_with_or"
        body.append(f"v := {merge}({merged})")
        name = self._name(conditional.operator)
        self._add(_RegoRule(name, 0, _rule_text(name, [_Clause("v", tuple(body))])))
        return name

    def module(self, rules: Sequence[Rule]) -> str:
        """The whole module for ``rules``."""
        self._add(_RegoRule("allow", 0, "default allow := [false, set()]"))
        self._add(_RegoRule("deny", 0, "default deny := [false, set()]"))
        for helper in _BASE_FUNCTIONS:
            self._add(helper)
        for action in ("allow", "deny"):
            terms = [
                self.conditional(conditional)
                for rule in rules
                if rule.action == action
                for conditional in rule.conditionals
                if conditional.criteria
            ]
            if terms:
                body = (
                    f"results := [{', '.join(terms)}]",
                    "normalized := [normalize_criterion_result(x) | x := results[i]]",
                    "v := merge_with_or(normalized)",
                )
                self._add(_RegoRule(action, 0, _rule_text(action, [_Clause("v", body)])))
        ordered = sorted(self._rules, key=lambda rule: rule.arity)  # stable: functions last, by arity
        return f"package {PACKAGE}\n\nimport rego.v1\n\n" + "\n\n".join(rule.text for rule in ordered) + "\n"


def render_rego(rules: Sequence[Rule]) -> str:
    """The Rego module Pomerium generates for ``rules`` (raises ``UnsupportedCriterion`` where upstream errors)."""
    return _Generator().module(rules)


def rule_names(module_text: str) -> list[str]:
    """Names of the rules of a rendered module, in order (``default`` rules included, ``else`` parts not)."""
    names = []
    for line in module_text.splitlines():
        match = re.match(r"(?:default )?([a-z_][a-z0-9_]*)(?:\(.*\))? :=", line)
        if match and match.group(1) != "else":
            names.append(match.group(1))
    return names
