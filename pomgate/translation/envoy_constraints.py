"""Envoy's own rules for the route options pomgate renders, as a table (release builds run `envoy --mode validate`).

Pomerium turns a route into an Envoy cluster and route entry (``config/envoyconfig``: clusters.go,
routes.go). Release builds of the controller validate the resulting bootstrap with Envoy, which
enforces the ``validate.rules`` of its API protos (protoc-gen-validate) and a few checks of its own
while building the config (header formatter, header names it refuses to touch, upgrade types). Each
row of `CONSTRAINTS` is one such rule on one route field; `envoy_violations` checks a route's fields
against the table. The texts follow Envoy's: ``<Message>ValidationError.<Field>: <reason>`` for
proto rules, the exception text for the others.

Sources: ``api/envoy/config/core/v3/health_check.proto``, ``api/envoy/config/cluster/v3/
outlier_detection.proto``, ``api/envoy/type/v3/percent.proto``, ``api/envoy/config/route/v3/
route_components.proto``, ``api/envoy/config/core/v3/base.proto`` (HeaderValue),
``api/envoy/extensions/transport_sockets/tls/v3/tls.proto`` (sni); ``source/common/router/
header_parser.cc``, ``source/common/formatter/substitution_formatter.cc``, ``source/common/router/
config_impl.cc`` (duplicate upgrades).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pomgate.translation.values import go_duration_nanoseconds

__all__ = ["CONSTRAINTS", "Constraint", "EnvoyViolation", "envoy_violations", "header_format_problem"]

#: Envoy's non-strict HTTP_HEADER_NAME and HTTP_HEADER_VALUE patterns are the same: no NUL, CR or LF.
HEADER_PATTERN = "^[^\\x00\\n\\r]*$"
_HEADER_SAFE = re.compile(r"[^\x00\n\r]*")
#: Longest header name or value Envoy's HeaderValue allows, in bytes.
MAX_HEADER_BYTES = 16384
#: Longest SNI Envoy's UpstreamTlsContext allows, in bytes.
MAX_SNI_BYTES = 255
#: Upgrade types Pomerium always configures on a route (websocket, spdy/3.1), lower-cased.
BUILT_IN_UPGRADES = ("websocket", "spdy/3.1")
#: Response header key that makes Pomerium drop every response header it would set.
DISABLE_HEADERS_KEY = "disable"


@dataclass(frozen=True)
class EnvoyViolation:
    """One route value Envoy refuses."""

    annotation: str  # the annotation (route field) it comes from
    path: str  # where in the value, e.g. "health_checks[0].interval"
    envoy_message: str  # Envoy's text
    limit: str  # the rule in words, e.g. "at most 100"


# --------------------------------------------------------------------------- rule kinds

#: A check returns Envoy's reason when ``value`` breaks the rule (``limit`` is the row's parameter).
Check = Callable[[Any, Any], str | None]


def _duration_nanoseconds(value: Any) -> int | None:
    return go_duration_nanoseconds(value) if isinstance(value, str) else None


def _required(value: Any, _limit: Any) -> str | None:
    return "value is required" if value is _MISSING else None


def _duration_above_zero(value: Any, _limit: Any) -> str | None:
    nanoseconds = _duration_nanoseconds(value)
    return "value must be greater than 0s" if nanoseconds is not None and nanoseconds <= 0 else None


def _duration_not_negative(value: Any, _limit: Any) -> str | None:
    nanoseconds = _duration_nanoseconds(value)
    return "Invalid duration: Expected positive duration" if nanoseconds is not None and nanoseconds < 0 else None


def _at_most(value: Any, limit: Any) -> str | None:
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return f"value must be less than or equal to {limit}" if number is not None and number > limit else None


def _within(value: Any, limit: Any) -> str | None:
    low, high = limit
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is None or low <= number <= high:
        return None
    return f"value must be inside range [{low}, {high}]"


def _min_length(value: Any, limit: Any) -> str | None:
    if value is _MISSING:
        value = ""  # a proto3 string that is not set is empty
    if isinstance(value, str) and len(value) < limit:
        return f"value length must be at least {limit} characters"
    return None


def _set_min_length(value: Any, limit: Any) -> str | None:
    return None if value is _MISSING else _min_length(value, limit)


def _max_bytes(value: Any, limit: Any) -> str | None:
    if isinstance(value, str) and len(value.encode("utf-8", "surrogatepass")) > limit:
        return f"value length must be at most {limit} bytes"
    return None


def _header_text(value: Any, _limit: Any) -> str | None:
    if isinstance(value, str) and not _HEADER_SAFE.fullmatch(value):
        return f'value does not match regex pattern "{HEADER_PATTERN}"'
    return None


def _defined_enum(value: Any, limit: Any) -> str | None:
    if value is _MISSING or value in limit:
        return None
    return "value must be one of the defined enum values"


def _modifiable_header(value: Any, _limit: Any) -> str | None:
    if isinstance(value, str) and (value.startswith(":") or value.lower() == "host"):
        return ":-prefixed or host headers may not be modified"
    return None


def _removable_header(value: Any, _limit: Any) -> str | None:
    if isinstance(value, str) and (value.startswith(":") or value.lower() == "host"):
        return ":-prefixed or host headers may not be removed"
    return None


def _integer(value: Any) -> int | None:
    """An int64 as protojson gives it: a number or a decimal string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _status_range(value: Any, limit: Any) -> str | None:
    """An HTTP status range of a health check (Envoy's HttpHealthCheckerImpl checks them when it builds it)."""
    if not isinstance(value, Mapping):
        return None
    start, end = _integer(value.get("start", 0)), _integer(value.get("end", 0))
    if start is None or end is None:
        return None
    if start >= end:
        return f"Invalid http {limit} range: expecting start < end, but found start={start} and end={end}"
    if start < 100:
        return f"Invalid http {limit} range: expecting start >= 100, but found start={start}"
    if end > 600:
        return f"Invalid http {limit} range: expecting end <= 600, but found end={end}"
    return None


def _header_format(value: Any, _limit: Any) -> str | None:
    return header_format_problem(value) if isinstance(value, str) else None


#: Rule kind -> (check, how the limit reads in a finding).
KINDS: dict[str, tuple[Check, Callable[[Any], str]]] = {
    "required": (_required, lambda _limit: "required"),
    "oneof_required": (_required, lambda limit: f"one of {', '.join(limit)} is required"),
    "duration_above_zero": (_duration_above_zero, lambda _limit: "a duration above 0s"),
    "duration_not_negative": (_duration_not_negative, lambda _limit: "a duration of 0s or more"),
    "at_most": (_at_most, lambda limit: f"at most {limit}"),
    "within": (_within, lambda limit: f"between {limit[0]} and {limit[1]}"),
    "min_length": (_min_length, lambda limit: f"at least {limit} character(s)"),
    "set_min_length": (_set_min_length, lambda limit: f"at least {limit} character(s) when set"),
    "max_bytes": (_max_bytes, lambda limit: f"at most {limit} bytes"),
    "header_text": (_header_text, lambda _limit: "no NUL, CR or LF characters"),
    "defined_enum": (_defined_enum, lambda limit: f"one of {', '.join(map(str, limit))}"),
    "modifiable_header": (_modifiable_header, lambda _limit: "not a :-prefixed header nor host"),
    "removable_header": (_removable_header, lambda _limit: "not a :-prefixed header nor host"),
    "status_range": (_status_range, lambda _limit: "a range with 100 <= start < end <= 600"),
    "header_format": (
        _header_format,
        lambda _limit: "Envoy's header format: a literal % written %%, and %COMMAND% variables",
    ),
}


@dataclass(frozen=True)
class Constraint:
    """One Envoy rule on one route field.

    ``path`` is the route field and the way into its value: ``[]`` walks a list, ``{}`` the keys of a
    map and ``{}=`` its values, ``a|b|c`` a oneof (the rule is about none of them being set).
    ``envoy_field`` is ``<Message>ValidationError.<Field>`` for proto rules, "" for Envoy's own checks.
    """

    path: str
    kind: str
    limit: Any = None
    envoy_field: str = ""
    #: Only for routes where this holds (e.g. an SNI only exists for https upstreams).
    when: Callable[[Mapping[str, Any]], bool] | None = None


def _https_upstream(fields: Mapping[str, Any]) -> bool:
    return any(isinstance(url, str) and url.startswith("https://") for url in fields.get("to") or [])


_HC = "HealthCheckValidationError"
_HTTP_HC = "HealthCheck_HttpHealthCheckValidationError"
_PAYLOAD = "HealthCheck_PayloadValidationError"
_OD = "OutlierDetectionValidationError"
_PERCENTAGES = (
    "max_ejection_percent",
    "enforcing_consecutive_5xx",
    "enforcing_success_rate",
    "enforcing_consecutive_gateway_failure",
    "enforcing_consecutive_local_origin_failure",
    "enforcing_local_origin_success_rate",
    "failure_percentage_threshold",
    "enforcing_failure_percentage",
    "enforcing_failure_percentage_local_origin",
)


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


#: Envoy's rules for every route field pomgate renders that reaches Envoy's config.
CONSTRAINTS: tuple[Constraint, ...] = (
    # --- health_checks -> Cluster.health_checks (envoy.config.core.v3.HealthCheck)
    Constraint("health_checks[].timeout", "required", envoy_field=f"{_HC}.Timeout"),
    Constraint("health_checks[].timeout", "duration_above_zero", envoy_field=f"{_HC}.Timeout"),
    Constraint("health_checks[].interval", "required", envoy_field=f"{_HC}.Interval"),
    Constraint("health_checks[].interval", "duration_above_zero", envoy_field=f"{_HC}.Interval"),
    Constraint("health_checks[].unhealthy_threshold", "required", envoy_field=f"{_HC}.UnhealthyThreshold"),
    Constraint("health_checks[].healthy_threshold", "required", envoy_field=f"{_HC}.HealthyThreshold"),
    Constraint(
        "health_checks[].http_health_check|tcp_health_check|grpc_health_check",
        "oneof_required",
        ("http_health_check", "tcp_health_check", "grpc_health_check"),
        f"{_HC}.HealthChecker",
    ),
    *(
        Constraint(f"health_checks[].{name}", "duration_above_zero", envoy_field=f"{_HC}.{_camel(name)}")
        for name in (
            "no_traffic_interval",
            "no_traffic_healthy_interval",
            "unhealthy_interval",
            "unhealthy_edge_interval",
            "healthy_edge_interval",
        )
    ),
    Constraint("health_checks[].initial_jitter", "duration_not_negative"),
    Constraint("health_checks[].interval_jitter", "duration_not_negative"),
    Constraint("health_checks[].http_health_check.host", "header_text", envoy_field=f"{_HTTP_HC}.Host"),
    Constraint("health_checks[].http_health_check.path", "min_length", 1, f"{_HTTP_HC}.Path"),
    Constraint("health_checks[].http_health_check.path", "header_text", envoy_field=f"{_HTTP_HC}.Path"),
    Constraint(
        "health_checks[].http_health_check.request_headers_to_remove[]",
        "header_text",
        envoy_field=f"{_HTTP_HC}.RequestHeadersToRemove",
    ),
    Constraint(
        "health_checks[].http_health_check.codec_client_type",
        "defined_enum",
        ("HTTP1", "HTTP2", "HTTP3"),
        f"{_HTTP_HC}.CodecClientType",
    ),
    *(
        Constraint(f"health_checks[].{checker}.{payload}", "oneof_required", ("text", "binary"), f"{_PAYLOAD}.Payload")
        for checker in ("http_health_check", "tcp_health_check")
        for payload in ("send.text|binary", "receive[].text|binary")
    ),
    *(
        Constraint(f"health_checks[].{checker}.{payload}.text", "set_min_length", 1, f"{_PAYLOAD}.Text")
        for checker in ("http_health_check", "tcp_health_check")
        for payload in ("send", "receive[]")
    ),
    *(
        Constraint(f"health_checks[].http_health_check.{name}[]", "status_range", words)
        for name, words in (("expected_statuses", "expected status"), ("retriable_statuses", "retriable status"))
    ),
    Constraint(
        "health_checks[].grpc_health_check.authority",
        "header_text",
        envoy_field="HealthCheck_GrpcHealthCheckValidationError.Authority",
    ),
    # --- outlier_detection -> Cluster.outlier_detection (envoy.config.cluster.v3.OutlierDetection)
    *(
        Constraint(f"outlier_detection.{name}", "duration_above_zero", envoy_field=f"{_OD}.{_camel(name)}")
        for name in ("interval", "base_ejection_time", "max_ejection_time")
    ),
    Constraint("outlier_detection.max_ejection_time_jitter", "duration_not_negative"),
    *(Constraint(f"outlier_detection.{name}", "at_most", 100, f"{_OD}.{_camel(name)}") for name in _PERCENTAGES),
    # --- healthy_panic_threshold -> Cluster.common_lb_config.healthy_panic_threshold (envoy.type.v3.Percent)
    Constraint("healthy_panic_threshold", "within", (0, 100), "PercentValidationError.Value"),
    # --- allow_upgrades -> RouteAction.upgrade_configs[].upgrade_type
    Constraint("allow_upgrades[]", "min_length", 1, "RouteAction_UpgradeConfigValidationError.UpgradeType"),
    Constraint("allow_upgrades[]", "header_text", envoy_field="RouteAction_UpgradeConfigValidationError.UpgradeType"),
    # --- set_response_headers -> Route.response_headers_to_add[] (HeaderValueOption.header)
    Constraint("set_response_headers{}", "min_length", 1, "HeaderValueValidationError.Key"),
    Constraint("set_response_headers{}", "max_bytes", MAX_HEADER_BYTES, "HeaderValueValidationError.Key"),
    Constraint("set_response_headers{}", "header_text", envoy_field="HeaderValueValidationError.Key"),
    Constraint("set_response_headers{}", "modifiable_header"),
    Constraint("set_response_headers{}=", "max_bytes", MAX_HEADER_BYTES, "HeaderValueValidationError.Value"),
    Constraint("set_response_headers{}=", "header_text", envoy_field="HeaderValueValidationError.Value"),
    Constraint("set_response_headers{}=", "header_format"),
    # --- remove_request_headers -> Route.request_headers_to_remove[]
    Constraint("remove_request_headers[]", "min_length", 1, "RouteValidationError.RequestHeadersToRemove"),
    Constraint("remove_request_headers[]", "header_text", envoy_field="RouteValidationError.RequestHeadersToRemove"),
    Constraint("remove_request_headers[]", "removable_header"),
    # --- rewrites -> RouteAction
    Constraint("prefix_rewrite", "header_text", envoy_field="RouteActionValidationError.PrefixRewrite"),
    Constraint("host_rewrite", "header_text", envoy_field="RouteActionValidationError.HostRewriteLiteral"),
    Constraint("host_rewrite_header", "header_text", envoy_field="RouteActionValidationError.HostRewriteHeader"),
    # --- timeouts -> RouteAction.timeout / idle_timeout (Envoy refuses negative durations anywhere)
    Constraint("timeout", "duration_not_negative"),
    Constraint("idle_timeout", "duration_not_negative"),
    # --- tls_server_name -> UpstreamTlsContext.sni (https upstreams only)
    Constraint(
        "tls_server_name",
        "max_bytes",
        MAX_SNI_BYTES,
        "UpstreamTlsContextValidationError.Sni",
        when=_https_upstream,
    ),
)


# --------------------------------------------------------------------------- walking a route's fields


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
_STEP = re.compile(r"([^.\[\]{}]+(?:\|[^.\[\]{}]+)*)(\[\]|\{\}=|\{\})?")


def _walk(value: Any, steps: list[tuple[str, str]], where: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value or _MISSING) of each place ``steps`` lead to inside ``value``.

    A missing field is reported only at the last step (a rule on an absent parent does not apply).
    """
    if not steps:
        yield where, value
        return
    (name, walk), rest = steps[0], steps[1:]
    if not isinstance(value, Mapping):
        return
    if "|" in name:
        present = [option for option in name.split("|") if value.get(option) is not None]
        if not rest:
            yield f"{where}.({name.replace('|', ', ')})".lstrip("."), present[0] if present else _MISSING
        return
    here = f"{where}.{name}" if where else name
    item = value.get(name, _MISSING)
    if item is None:
        item = _MISSING
    if item is _MISSING:
        if not rest and not walk:
            yield here, _MISSING
        return
    if walk == "[]":
        for index, element in enumerate(item if isinstance(item, list) else []):
            yield from _walk(element, rest, f"{here}[{index}]")
    elif walk == "{}":
        for key in item if isinstance(item, Mapping) else {}:
            yield from _walk(key, rest, f"{here} key {key!r}")
    elif walk == "{}=":
        for key, element in item.items() if isinstance(item, Mapping) else []:
            yield from _walk(element, rest, f"{here}[{key!r}]")
    else:
        yield from _walk(item, rest, here)


def _steps(path: str) -> list[tuple[str, str]]:
    return [(match[1], match[2] or "") for match in _STEP.finditer(path)]


_PARSED_PATHS: dict[str, list[tuple[str, str]]] = {row.path: _steps(row.path) for row in CONSTRAINTS}


def _annotation_of(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0].split("{", 1)[0]


#: The rows of `CONSTRAINTS` by the route field (annotation) they are about, in table order.
_ROWS_BY_ANNOTATION: dict[str, list[Constraint]] = {}
for _row in CONSTRAINTS:
    _ROWS_BY_ANNOTATION.setdefault(_annotation_of(_row.path), []).append(_row)


def _table_violations(fields: Mapping[str, Any]) -> Iterator[EnvoyViolation]:
    response_headers = fields.get("set_response_headers")
    headers_disabled = isinstance(response_headers, Mapping) and DISABLE_HEADERS_KEY in response_headers
    present = [name for name in _ROWS_BY_ANNOTATION if name in fields]  # most routes set none of them
    for annotation in present:
        if headers_disabled and annotation == "set_response_headers":
            continue
        for row in _ROWS_BY_ANNOTATION[annotation]:
            if row.when is not None and not row.when(fields):
                continue
            check, limit_text = KINDS[row.kind]
            for where, value in _walk(fields, _PARSED_PATHS[row.path], ""):
                reason = check(value, row.limit)
                if reason is None:
                    continue
                envoy_field = row.envoy_field
                message = f"Proto constraint validation failed ({envoy_field}: {reason})" if envoy_field else reason
                yield EnvoyViolation(annotation, where, message, limit_text(row.limit))


def _upgrade_violations(fields: Mapping[str, Any]) -> Iterator[EnvoyViolation]:
    """Envoy keys a route's upgrade types lower-cased; Pomerium skips only exact repeats."""
    upgrades = fields.get("allow_upgrades")
    if not isinstance(upgrades, list):
        return
    configured = list(BUILT_IN_UPGRADES)
    schemes = {url.split("://", 1)[0] for url in fields.get("to") or [] if isinstance(url, str)}
    if "tcp" in schemes or str(fields.get("from", "")).startswith("tcp+"):
        configured.append("connect")
    if "udp" in schemes or str(fields.get("from", "")).startswith("udp+"):
        configured.append("connect-udp")
    for index, upgrade in enumerate(upgrades):
        if not isinstance(upgrade, str) or upgrade in configured:
            continue
        if upgrade.lower() in (item.lower() for item in configured):
            yield EnvoyViolation(
                "allow_upgrades",
                f"allow_upgrades[{index}]",
                f"Duplicate upgrade {upgrade}",
                f"an upgrade type that differs, ignoring case, from {', '.join(configured)}",
            )
            return  # Envoy stops at the first
        configured.append(upgrade)


def envoy_violations(fields: Mapping[str, Any]) -> list[EnvoyViolation]:
    """Every value of one route's ``fields`` that Envoy's rules refuse, in table order."""
    return [*_table_violations(fields), *_upgrade_violations(fields)]


# --------------------------------------------------------------------------- header value formatter

_COMMAND = re.compile(r"%((?:[A-Z]|[0-9]|_)+)(?:\((.*?)\))?(?::([0-9]+))?%")


def header_format_problem(text: str) -> str | None:
    """Why Envoy's substitution formatter refuses a header value, or None.

    A ``%`` either doubles (``%%``, a literal percent sign) or starts ``%COMMAND%``,
    ``%COMMAND(arg)%`` or ``%COMMAND(arg):N%`` with COMMAND in ``[A-Z0-9_]``. Whether COMMAND is one
    Envoy knows is not checked here.
    """
    position = 0
    while True:
        position = text.find("%", position)
        if position < 0:
            return None
        if text.startswith("%%", position):
            position += 2
            continue
        match = _COMMAND.match(text, position)
        if match is None:
            return f"Incorrect configuration: {text}. Couldn't find valid command at position {position}"
        position = match.end()
