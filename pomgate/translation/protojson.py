"""Strict protobuf-JSON decoding of the base and policy annotation groups (annotations.md §2, §2.2, §3).

Upstream assembles ``{annotation: parsed value}``, pre-processes it (durations, StringList wrapping,
``fmt.Sprint`` of string-map values, enum spellings), serialises it with ``encoding/json`` and
decodes it strictly into the Pomerium ``Route`` (base group) or ``Policy`` (allow-list annotations)
protobuf message. This module does the same against a hand-written schema of exactly the fields the
reference lists, and returns config.yaml-ready values keyed by the annotation / route key name.

Error messages start with ``proto: `` and name the field path (``health_checks[0].timeout``) instead
of the JSON position upstream prints.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pomgate.translation.values import go_duration_nanoseconds, go_json_text, go_sprint, to_json_value

__all__ = [
    "POLICY_OPTION_FIELDS",
    "ROUTE_OPTION_FIELDS",
    "ProtoDecodeError",
    "decode_policy_options",
    "decode_route_options",
]


class ProtoDecodeError(ValueError):
    """A value protobuf-JSON decoding rejects; the message starts with ``proto: `` and names the field."""


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class _Enum:
    """An enum: accepted string spellings, accepted numbers and the config.yaml spelling per number."""

    spellings: Mapping[str, int]
    output: Mapping[int, str]
    case_insensitive: bool = False
    any_int32: bool = False  # plain protojson accepts every int32 for an open enum
    omit_zero: bool = False  # the zero value means "unset" in config.yaml


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str
    repeated: bool = False
    message: _Message | None = None
    enum: _Enum | None = None
    oneof: str | None = None
    json_name: str = ""


@dataclass(frozen=True)
class _Message:
    name: str
    fields: tuple[_Field, ...]
    by_key: dict[str, _Field] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for item in self.fields:
            self.by_key[item.name] = item
            self.by_key.setdefault(item.json_name, item)


def _json_name(name: str) -> str:
    """protoc's JSON name: drop each ``_`` and upper-case the following character."""
    parts = name.split("_")
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


def _f(
    name: str,
    kind: str,
    *,
    repeated: bool = False,
    message: _Message | None = None,
    enum: _Enum | None = None,
    oneof: str | None = None,
) -> _Field:
    return _Field(name, kind, repeated, message, enum, oneof, _json_name(name))


def _message(name: str, *fields: _Field) -> _Message:
    return _Message(name, tuple(fields))


# Kinds: bool, string, int32, uint32, int64, uint64, bytes, duration, enum, message, struct (any JSON
# object), string_list (Route.StringList), string_map (map<string,string>), list_value_map
# (map<string, google.protobuf.ListValue>).

_LOAD_BALANCING_POLICY = _Enum(
    spellings={
        spelling: number
        for number, short in enumerate(("unspecified", "round_robin", "maglev", "random", "ring_hash", "least_request"))
        for spelling in (short, "load_balancing_policy_" + short)
    }
    | {"": 0},
    output={1: "ROUND_ROBIN", 2: "MAGLEV", 3: "RANDOM", 4: "RING_HASH", 5: "LEAST_REQUEST"},
    case_insensitive=True,
    omit_zero=True,
)
_BEARER_TOKEN_FORMAT = _Enum(
    spellings={
        "": 0,
        "default": 1,
        "idp_access_token": 2,
        "idp_identity_token": 3,
        "BEARER_TOKEN_FORMAT_UNKNOWN": 0,
        "BEARER_TOKEN_FORMAT_DEFAULT": 1,
        "BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN": 2,
        "BEARER_TOKEN_FORMAT_IDP_IDENTITY_TOKEN": 3,
        "BEARER_TOKEN_FORMAT_JWT": 4,
    },
    # An explicit "" or 0 is stored as BEARER_TOKEN_FORMAT_UNKNOWN (set: it overrides the global setting);
    # config.yaml reads "unknown" back as that value.
    output={0: "unknown", 1: "default", 2: "idp_access_token", 3: "idp_identity_token", 4: "jwt"},
)
_CODEC_CLIENT_TYPE = _Enum(
    spellings={"HTTP1": 0, "HTTP2": 1, "HTTP3": 2},
    output={0: "HTTP1", 1: "HTTP2", 2: "HTTP3"},
    any_int32=True,
)

_STRING_LIST = _message("StringList", _f("values", "string", repeated=True))
_INT64_RANGE = _message("Int64Range", _f("start", "int64"), _f("end", "int64"))
_PAYLOAD = _message("Payload", _f("text", "string", oneof="payload"), _f("binary", "bytes", oneof="payload"))
_HTTP_HEALTH_CHECK = _message(
    "HttpHealthCheck",
    _f("host", "string"),
    _f("path", "string"),
    _f("send", "message", message=_PAYLOAD),
    _f("receive", "message", repeated=True, message=_PAYLOAD),
    _f("response_buffer_size", "uint64"),
    _f("request_headers_to_remove", "string", repeated=True),
    _f("expected_statuses", "message", repeated=True, message=_INT64_RANGE),
    _f("retriable_statuses", "message", repeated=True, message=_INT64_RANGE),
    _f("codec_client_type", "enum", enum=_CODEC_CLIENT_TYPE),
)
_TCP_HEALTH_CHECK = _message(
    "TcpHealthCheck",
    _f("send", "message", message=_PAYLOAD),
    _f("receive", "message", repeated=True, message=_PAYLOAD),
)
_GRPC_HEALTH_CHECK = _message("GrpcHealthCheck", _f("service_name", "string"), _f("authority", "string"))
_HEALTH_CHECK = _message(
    "HealthCheck",
    _f("timeout", "duration"),
    _f("interval", "duration"),
    _f("initial_jitter", "duration"),
    _f("interval_jitter", "duration"),
    _f("interval_jitter_percent", "uint32"),
    _f("unhealthy_threshold", "uint32"),
    _f("healthy_threshold", "uint32"),
    _f("alt_port", "uint32"),
    _f("reuse_connection", "bool"),
    _f("http_health_check", "message", message=_HTTP_HEALTH_CHECK, oneof="health_checker"),
    _f("tcp_health_check", "message", message=_TCP_HEALTH_CHECK, oneof="health_checker"),
    _f("grpc_health_check", "message", message=_GRPC_HEALTH_CHECK, oneof="health_checker"),
    _f("no_traffic_interval", "duration"),
    _f("no_traffic_healthy_interval", "duration"),
    _f("unhealthy_interval", "duration"),
    _f("unhealthy_edge_interval", "duration"),
    _f("healthy_edge_interval", "duration"),
    _f("always_log_health_check_failures", "bool"),
    _f("always_log_health_check_success", "bool"),
    _f("transport_socket_match_criteria", "struct"),
)
_CIRCUIT_BREAKER_THRESHOLDS = _message(
    "CircuitBreakerThresholds",
    *(
        _f(name, "uint32")
        for name in ("max_connections", "max_pending_requests", "max_requests", "max_retries", "max_connection_pools")
    ),
)
_OUTLIER_DETECTION = _message(
    "OutlierDetection",
    _f("consecutive_5xx", "uint32"),
    _f("interval", "duration"),
    _f("base_ejection_time", "duration"),
    _f("max_ejection_percent", "uint32"),
    _f("enforcing_consecutive_5xx", "uint32"),
    _f("enforcing_success_rate", "uint32"),
    _f("success_rate_minimum_hosts", "uint32"),
    _f("success_rate_request_volume", "uint32"),
    _f("success_rate_stdev_factor", "uint32"),
    _f("consecutive_gateway_failure", "uint32"),
    _f("enforcing_consecutive_gateway_failure", "uint32"),
    _f("split_external_local_origin_errors", "bool"),
    _f("consecutive_local_origin_failure", "uint32"),
    _f("enforcing_consecutive_local_origin_failure", "uint32"),
    _f("enforcing_local_origin_success_rate", "uint32"),
    _f("failure_percentage_threshold", "uint32"),
    _f("enforcing_failure_percentage", "uint32"),
    _f("enforcing_failure_percentage_local_origin", "uint32"),
    _f("failure_percentage_minimum_hosts", "uint32"),
    _f("failure_percentage_request_volume", "uint32"),
    _f("max_ejection_time", "duration"),
    _f("max_ejection_time_jitter", "duration"),
)
_REWRITE_HEADER = _message(
    "RouteRewriteHeader", _f("header", "string"), _f("prefix", "string", oneof="matcher"), _f("value", "string")
)

_ROUTE = _message(
    "Route",
    _f("allow_any_authenticated_user", "bool"),
    _f("allow_public_unauthenticated_access", "bool"),
    _f("allow_spdy", "bool"),
    _f("allow_upgrades", "string_list", message=_STRING_LIST),
    _f("allow_websockets", "bool"),
    _f("bearer_token_format", "enum", enum=_BEARER_TOKEN_FORMAT),
    _f("circuit_breaker_thresholds", "message", message=_CIRCUIT_BREAKER_THRESHOLDS),
    _f("cors_allow_preflight", "bool"),
    _f("depends_on", "string", repeated=True),
    _f("description", "string"),
    _f("enable_google_cloud_serverless_authentication", "bool"),
    _f("health_checks", "message", repeated=True, message=_HEALTH_CHECK),
    _f("healthy_panic_threshold", "int32"),
    _f("host_path_regex_rewrite_pattern", "string"),
    _f("host_path_regex_rewrite_substitution", "string"),
    _f("host_rewrite", "string"),
    _f("host_rewrite_header", "string"),
    _f("idle_timeout", "duration"),
    _f("idp_access_token_allowed_audiences", "string_list", message=_STRING_LIST),
    _f("load_balancing_policy", "enum", enum=_LOAD_BALANCING_POLICY),
    _f("logo_url", "string"),
    _f("name", "string"),
    _f("outlier_detection", "message", message=_OUTLIER_DETECTION),
    _f("pass_identity_headers", "bool"),
    _f("prefix_rewrite", "string"),
    _f("preserve_host_header", "bool"),
    _f("regex_rewrite_pattern", "string"),
    _f("regex_rewrite_substitution", "string"),
    _f("remove_request_headers", "string", repeated=True),
    _f("rewrite_response_headers", "message", repeated=True, message=_REWRITE_HEADER),
    _f("set_request_headers", "string_map"),
    _f("set_response_headers", "string_map"),
    _f("timeout", "duration"),
    _f("tls_server_name", "string"),
    _f("tls_skip_verify", "bool"),
)
_POLICY = _message(
    "Policy",
    _f("allowed_users", "string", repeated=True),
    _f("allowed_domains", "string", repeated=True),
    _f("allowed_idp_claims", "list_value_map"),
)

#: Base-group annotations decoded into the Route message (annotations.md §3, group ``base``).
ROUTE_OPTION_FIELDS: frozenset[str] = frozenset(item.name for item in _ROUTE.fields)
#: Policy-group annotations decoded into the Policy message (all but ``policy`` itself).
POLICY_OPTION_FIELDS: frozenset[str] = frozenset(item.name for item in _POLICY.fields)

# --------------------------------------------------------------------------- decoding

_OMIT = object()  # a decoded value that must not appear in the output (a zero enum)

_INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "int32": (-(1 << 31), (1 << 31) - 1),
    "uint32": (0, (1 << 32) - 1),
    "int64": (-(1 << 63), (1 << 63) - 1),
    "uint64": (0, (1 << 64) - 1),
}
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_PROTO_DURATION = re.compile(r"-?(0|[1-9][0-9]*)(?:\.[0-9]{0,9})?s")
_MAX_DURATION_SECONDS = 315_576_000_000
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_BASE64_URL = re.compile(r"[A-Za-z0-9\-_]*={0,2}")


def _fail(path: str, message: str) -> ProtoDecodeError:
    return ProtoDecodeError(f"proto: {path}: {message}" if path else f"proto: {message}")


def _unexpected(path: str, value: Any) -> ProtoDecodeError:
    token = "[" if isinstance(value, list) else "{" if isinstance(value, dict) else go_json_text(value)
    return _fail(path, f"syntax error: unexpected token {token}")


def _invalid(path: str, kind: str, value: Any) -> ProtoDecodeError:
    token = "[" if isinstance(value, list) else "{" if isinstance(value, dict) else go_json_text(value)
    return _fail(path, f"invalid value for {kind} type: {token}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _decode_message(message: _Message, value: Any, path: str, preprocessed: bool) -> dict[str, Any]:
    """Decode a JSON object into ``message``; ``preprocessed`` says upstream's snake_case pre-pass reached it."""
    if type(value) is not dict:
        raise _unexpected(path, value)
    decoded: dict[str, Any] = {}
    seen_oneofs: set[str] = set()
    for key in sorted(value):  # Go's encoding/json writes map keys sorted; protojson reports in that order
        spec = message.by_key.get(key)
        if spec is None:
            raise _fail(path, f"unknown field {go_json_text(key)}")
        if spec.name in decoded:
            raise _fail(path, f"duplicate field {go_json_text(key)}")
        item = value[key]
        decoded[spec.name] = _OMIT
        if item is None:
            continue  # JSON null: field stays unset
        if spec.oneof is not None:
            if spec.oneof in seen_oneofs:
                raise _fail(path, f"error parsing {go_json_text(key)}, oneof {spec.oneof} is already set")
            seen_oneofs.add(spec.oneof)
        field_path = _join(path, spec.name)
        # The pre-pass only recognises snake_case keys, so it does not descend through a camelCase key.
        field_preprocessed = preprocessed and key == spec.name
        if spec.repeated:
            if type(item) is not list:
                raise _unexpected(field_path, item)
            decoded[spec.name] = [
                _decode_single(spec, element, f"{field_path}[{index}]", field_preprocessed)
                for index, element in enumerate(item)
            ]
        else:
            decoded[spec.name] = _decode_single(spec, item, field_path, field_preprocessed)
    return {spec.name: decoded[spec.name] for spec in message.fields if decoded.get(spec.name, _OMIT) is not _OMIT}


def _decode_single(spec: _Field, value: Any, path: str, preprocessed: bool) -> Any:
    kind = spec.kind
    if kind == "string":
        if type(value) is not str:
            raise _invalid(path, "string", value)
        return value
    if kind == "bool":
        if type(value) is not bool:
            raise _invalid(path, "bool", value)
        return value
    if kind in _INTEGER_RANGES:
        return _decode_integer(kind, value, path)
    if kind == "duration":
        return _decode_duration(value, path, preprocessed)
    if kind == "enum":
        assert spec.enum is not None
        return _decode_enum(spec.enum, value, path)
    if kind == "message":
        assert spec.message is not None
        return _decode_message(spec.message, value, path, preprocessed)
    if kind == "string_list":
        assert spec.message is not None
        if preprocessed and type(value) is list:
            value = {"values": value}  # upstream wraps a YAML list as {values: list}
        return _decode_message(spec.message, value, path, preprocessed).get("values", [])
    if kind == "string_map":
        if type(value) is not dict:
            raise _unexpected(path, value)
        for key, item in value.items():
            if type(item) is not str:
                raise _invalid(_join(path, key), "string", item)
        return dict(value)
    if kind == "list_value_map":
        if type(value) is not dict:
            raise _unexpected(path, value)
        for key, item in value.items():
            if type(item) is not list:
                raise _unexpected(_join(path, key), item)
        return {key: list(item) for key, item in value.items()}
    if kind == "struct":
        if type(value) is not dict:
            raise _unexpected(path, value)
        return value
    if kind == "bytes":
        if type(value) is not str or not _is_base64(value):
            raise _invalid(path, "bytes", value)
        return value
    raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover


def _decode_integer(kind: str, value: Any, path: str) -> int:
    """protojson integers: JSON numbers or numeric strings with an integral value, in range."""
    low, high = _INTEGER_RANGES[kind]
    number: int | None = None
    value_type = type(value)
    if value_type is int:
        number = value
    elif value_type is float:
        if value.is_integer() and not (low == 0 and str(value).startswith("-")):
            number = int(value)
    elif value_type is str:
        number = _integer_from_string(value, unsigned=low == 0)
    if number is None or not low <= number <= high:
        raise _invalid(path, kind, value)
    return number


def _integer_from_string(text: str, *, unsigned: bool) -> int | None:
    if not _JSON_NUMBER.fullmatch(text) or (unsigned and text.startswith("-")):
        return None
    try:
        number = Decimal(text)
        if number != number.to_integral_value() or number.adjusted() > 30:
            return None
    except InvalidOperation:  # pragma: no cover - the pattern only admits valid numbers
        return None
    return int(number)


def _decode_duration(value: Any, path: str, preprocessed: bool) -> str:
    """A Go duration (converted by upstream's pre-pass) or protojson ``"<n>s"`` syntax; returned as written."""
    if type(value) is not str:
        raise _unexpected(path, value)
    if preprocessed and go_duration_nanoseconds(value) is not None:
        return value
    match = _PROTO_DURATION.fullmatch(value)
    if match is None or int(match[1]) > _MAX_DURATION_SECONDS:
        raise _fail(path, f"invalid google.protobuf.Duration value {go_json_text(value)}")
    return value


def _decode_enum(enum: _Enum, value: Any, path: str) -> Any:
    number: int | None = None
    if type(value) is str:
        number = enum.spellings.get(value.lower() if enum.case_insensitive else value)
    elif type(value) is int:
        known = value in enum.output or value == 0
        if known or (enum.any_int32 and -(1 << 31) <= value < (1 << 31)):
            number = value
    if number is None:
        raise _invalid(path, "enum", value)
    if number == 0 and enum.omit_zero:
        return _OMIT
    return enum.output.get(number, number)


def _is_base64(text: str) -> bool:
    """protojson bytes: standard or URL-safe base64, padding optional."""
    url_safe = "-" in text or "_" in text
    if not (_BASE64_URL if url_safe else _BASE64).fullmatch(text):
        return False
    unpadded = text.rstrip("=")
    if len(text) % 4 and len(unpadded) != len(text):
        return False
    padded = unpadded + "=" * (-len(unpadded) % 4)
    try:
        base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- public API


def _sprint_string_maps(message: _Message, values: Mapping[str, Any]) -> dict[str, Any]:
    """Upstream's pre-pass for map<string,string> fields: every map value goes through fmt.Sprint."""
    prepared = dict(values)
    for spec in message.fields:
        if spec.kind == "string_map":
            item = prepared.get(spec.name)
            if type(item) is dict and all(type(key) is str for key in item):
                prepared[spec.name] = {key: go_sprint(element) for key, element in item.items()}
    return prepared


def _decode_options(message: _Message, values: Mapping[str, Any]) -> dict[str, Any]:
    json_object = to_json_value(_sprint_string_maps(message, values))
    return _decode_message(message, json_object, "", True)


def decode_route_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """Decode base-group annotations (name -> value from ``parse_annotation_value``) like upstream.

    Returns config.yaml route values keyed by annotation name; null values are left out. Raises
    :class:`ProtoDecodeError` for values protobuf-JSON rejects (unknown names included) and
    :class:`~pomgate.translation.values.JsonValueError` when JSON serialisation fails first.
    """
    return _decode_options(_ROUTE, values)


def decode_policy_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """Decode the allow-list annotations (``allowed_users``, ``allowed_domains``, ``allowed_idp_claims``).

    Same rules and errors as :func:`decode_route_options`, against the Policy message.
    """
    return _decode_options(_POLICY, values)
