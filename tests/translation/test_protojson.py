"""Strict protobuf-JSON decoding of base/policy annotations (annotations.md §2, §2.2 and the §3 table)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pomgate.translation.protojson import (
    POLICY_OPTION_FIELDS,
    ROUTE_OPTION_FIELDS,
    ProtoDecodeError,
    decode_policy_options,
    decode_route_options,
)
from pomgate.translation.values import JsonValueError, parse_annotation_value

# Base group of the §3 table.
BASE_GROUP = {
    "allow_any_authenticated_user",
    "allow_public_unauthenticated_access",
    "allow_spdy",
    "allow_upgrades",
    "allow_websockets",
    "bearer_token_format",
    "circuit_breaker_thresholds",
    "cors_allow_preflight",
    "depends_on",
    "description",
    "enable_google_cloud_serverless_authentication",
    "health_checks",
    "healthy_panic_threshold",
    "host_path_regex_rewrite_pattern",
    "host_path_regex_rewrite_substitution",
    "host_rewrite",
    "host_rewrite_header",
    "idle_timeout",
    "idp_access_token_allowed_audiences",
    "load_balancing_policy",
    "logo_url",
    "name",
    "outlier_detection",
    "pass_identity_headers",
    "prefix_rewrite",
    "preserve_host_header",
    "regex_rewrite_pattern",
    "regex_rewrite_substitution",
    "remove_request_headers",
    "rewrite_response_headers",
    "set_request_headers",
    "set_response_headers",
    "timeout",
    "tls_server_name",
    "tls_skip_verify",
}
BOOL_FIELDS = [
    "allow_any_authenticated_user",
    "allow_public_unauthenticated_access",
    "allow_spdy",
    "allow_websockets",
    "cors_allow_preflight",
    "enable_google_cloud_serverless_authentication",
    "pass_identity_headers",
    "preserve_host_header",
    "tls_skip_verify",
]
STRING_FIELDS = [
    "description",
    "host_path_regex_rewrite_pattern",
    "host_path_regex_rewrite_substitution",
    "host_rewrite",
    "host_rewrite_header",
    "logo_url",
    "name",
    "prefix_rewrite",
    "regex_rewrite_pattern",
    "regex_rewrite_substitution",
    "tls_server_name",
]


def route(name: str, text: str) -> dict[str, Any]:
    """Decode one base annotation given as its annotation text."""
    return decode_route_options({name: parse_annotation_value(text)})


def policy(name: str, text: str) -> dict[str, Any]:
    return decode_policy_options({name: parse_annotation_value(text)})


def route_error(name: str, text: str) -> str:
    with pytest.raises(ProtoDecodeError) as caught:
        route(name, text)
    message = str(caught.value)
    assert message.startswith("proto: ")
    return message


def test_field_sets_match_the_reference_table() -> None:
    assert ROUTE_OPTION_FIELDS == BASE_GROUP
    assert {"allowed_users", "allowed_domains", "allowed_idp_claims"} == POLICY_OPTION_FIELDS


def test_unknown_names_are_unknown_fields() -> None:
    with pytest.raises(ProtoDecodeError, match='unknown field "policy"'):
        decode_route_options({"policy": "x"})
    with pytest.raises(ProtoDecodeError, match='unknown field "lb_policy"'):
        decode_route_options({"lb_policy": "x"})
    with pytest.raises(ProtoDecodeError, match='unknown field "timeout"'):
        decode_policy_options({"timeout": "1s"})


@pytest.mark.parametrize("name", sorted(BASE_GROUP))
def test_null_leaves_every_base_field_unset(name: str) -> None:
    assert route(name, "~") == {}
    assert route(name, "") == {}


# --------------------------------------------------------------------------- bool and string fields


@pytest.mark.parametrize("name", BOOL_FIELDS)
def test_bool_fields(name: str) -> None:
    assert route(name, "true") == {name: True}
    assert route(name, "FALSE") == {name: False}
    assert route_error(name, "yes") == f'proto: {name}: invalid value for bool type: "yes"'
    assert "invalid value for bool type" in route_error(name, "'true'")
    assert "invalid value for bool type: 1" in route_error(name, "1")


@pytest.mark.parametrize("name", STRING_FIELDS)
def test_string_fields(name: str) -> None:
    assert route(name, "text") == {name: "text"}
    assert route(name, "'2024'") == {name: "2024"}
    assert route_error(name, "2024") == f"proto: {name}: invalid value for string type: 2024"
    assert route_error(name, "true").endswith("invalid value for string type: true")
    assert route_error(name, "Foo: bar").endswith("invalid value for string type: {")
    assert route_error(name, "[a]").endswith("invalid value for string type: [")


def test_string_field_receives_timestamp_as_rfc3339() -> None:
    assert route("description", "2024-01-01") == {"description": "2024-01-01T00:00:00Z"}


def test_empty_name_is_kept() -> None:
    assert route("name", "''") == {"name": ""}


def test_json_errors_come_before_proto_errors() -> None:
    with pytest.raises(JsonValueError, match=r"\+Inf"):
        route("description", ".inf")
    with pytest.raises(JsonValueError, match="map\\[interface"):
        route("description", "1: a")


# --------------------------------------------------------------------------- integers


def test_int32_field() -> None:
    assert route("healthy_panic_threshold", "27") == {"healthy_panic_threshold": 27}
    assert route("healthy_panic_threshold", "27.0") == {"healthy_panic_threshold": 27}
    assert route("healthy_panic_threshold", "'27'") == {"healthy_panic_threshold": 27}
    assert route("healthy_panic_threshold", "-5") == {"healthy_panic_threshold": -5}
    assert route("healthy_panic_threshold", "0x1F") == {"healthy_panic_threshold": 31}
    assert route("healthy_panic_threshold", "'1e2'") == {"healthy_panic_threshold": 100}


@pytest.mark.parametrize("text", ["27.5", "'27.5'", "3000000000", "'x'", "true", "' 27'", "'027'", "[1]", ".5"])
def test_int32_field_rejections(text: str) -> None:
    assert "invalid value for int32 type" in route_error("healthy_panic_threshold", text)


def test_uint32_rejects_negatives() -> None:
    message = route_error("circuit_breaker_thresholds", "{max_requests: -1}")
    assert message == "proto: circuit_breaker_thresholds.max_requests: invalid value for uint32 type: -1"
    assert "uint32" in route_error("circuit_breaker_thresholds", "{max_requests: '-0'}")
    assert "uint32" in route_error("circuit_breaker_thresholds", "{max_requests: 4294967296}")
    assert route("circuit_breaker_thresholds", "{max_requests: 4294967295}") == {
        "circuit_breaker_thresholds": {"max_requests": 4294967295}
    }


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize("name", ["timeout", "idle_timeout"])
@pytest.mark.parametrize(
    "text", ["30s", "2m", "1h30m", "500ms", "-5s", "1.5s", "'0'", "0s", "5µs", "99999999999s", "'1.5s'"]
)
def test_duration_fields_accept_go_and_protojson_syntax(name: str, text: str) -> None:
    assert route(name, text) == {name: parse_annotation_value(text)}


@pytest.mark.parametrize("name", ["timeout", "idle_timeout"])
def test_duration_fields_reject(name: str) -> None:
    assert route_error(name, "1d") == f'proto: {name}: invalid google.protobuf.Duration value "1d"'
    assert "unexpected token 30" in route_error(name, "30")
    assert "unexpected token 0" in route_error(name, "0.0")
    assert "Duration" in route_error(name, "1s1")
    assert "unexpected token 0" in route_error(name, "0")
    assert "Duration" in route_error(name, "'999999999999s'")
    assert "Duration" in route_error(name, "2024-01-01")


# --------------------------------------------------------------------------- StringList


@pytest.mark.parametrize("name", ["allow_upgrades", "idp_access_token_allowed_audiences"])
def test_string_list_fields(name: str) -> None:
    assert route(name, '["x","y","z"]') == {name: ["x", "y", "z"]}
    assert route(name, "- websocket\n- spdy/3.1") == {name: ["websocket", "spdy/3.1"]}
    assert route(name, "[]") == {name: []}
    assert route(name, "{values: [a]}") == {name: ["a"]}
    assert route(name, "{}") == {name: []}
    assert "unexpected token" in route_error(name, "websocket")
    assert route_error(name, "[a, 1]") == f"proto: {name}.values[1]: invalid value for string type: 1"
    assert 'unknown field "value"' in route_error(name, "{value: [a]}")
    assert "unexpected token" in route_error(name, "{values: a}")


# --------------------------------------------------------------------------- repeated strings


@pytest.mark.parametrize("name", ["depends_on", "remove_request_headers"])
def test_repeated_string_fields(name: str) -> None:
    assert route(name, "[a, b]") == {name: ["a", "b"]}
    assert route(name, "[]") == {name: []}
    assert "unexpected token" in route_error(name, "a")
    assert "invalid value for string type: 1" in route_error(name, "[a, 1]")
    assert "invalid value for string type: null" in route_error(name, "[a, ~]")


@pytest.mark.parametrize("name", ["allowed_users", "allowed_domains"])
def test_policy_list_fields(name: str) -> None:
    assert policy(name, '["a"]') == {name: ["a"]}
    with pytest.raises(ProtoDecodeError, match="unexpected token"):
        policy(name, "a@example.com")
    with pytest.raises(ProtoDecodeError, match="invalid value for string type: 5"):
        policy(name, "[5]")


def test_allowed_idp_claims() -> None:
    assert policy("allowed_idp_claims", 'key: ["val1", "val2"]') == {"allowed_idp_claims": {"key": ["val1", "val2"]}}
    assert policy("allowed_idp_claims", '{"groups":["admin", "superuser"]}') == {
        "allowed_idp_claims": {"groups": ["admin", "superuser"]}
    }
    assert policy("allowed_idp_claims", "{n: [1, 2.5, true, ~, {a: b}, 2024-01-01]}") == {
        "allowed_idp_claims": {"n": [1, 2.5, True, None, {"a": "b"}, "2024-01-01T00:00:00Z"]}
    }
    with pytest.raises(ProtoDecodeError, match=r'allowed_idp_claims\.groups: syntax error: unexpected token "admin"'):
        policy("allowed_idp_claims", "groups: admin")
    with pytest.raises(ProtoDecodeError, match="unexpected token"):
        policy("allowed_idp_claims", "[a]")
    with pytest.raises(JsonValueError):
        policy("allowed_idp_claims", "{1: [a]}")


# --------------------------------------------------------------------------- string maps


@pytest.mark.parametrize("name", ["set_request_headers", "set_response_headers"])
def test_string_map_values_are_sprinted(name: str) -> None:
    text = "{a: aaa, b: 1, c: true, d: 1.5, e: 1e6, f: ~, g: [1, 2], h: {x: 1}, i: 2024-01-01, j: .inf, k: 0.5}"
    assert route(name, text) == {
        name: {
            "a": "aaa",
            "b": "1",
            "c": "true",
            "d": "1.5",
            "e": "1e+06",
            "f": "<nil>",
            "g": "[1 2]",
            "h": "map[x:1]",
            "i": "2024-01-01 00:00:00 +0000 UTC",
            "j": "+Inf",
            "k": "0.5",
        }
    }


@pytest.mark.parametrize("name", ["set_request_headers", "set_response_headers"])
def test_string_map_rejections(name: str) -> None:
    assert "unexpected token [" in route_error(name, "[a]")
    assert 'unexpected token "a"' in route_error(name, "a")
    with pytest.raises(JsonValueError):
        route(name, "{1: a}")


# --------------------------------------------------------------------------- enums


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("round_robin", "ROUND_ROBIN"),
        ("MAGLEV", "MAGLEV"),
        ("Random", "RANDOM"),
        ("ring_hash", "RING_HASH"),
        ("LEAST_REQUEST", "LEAST_REQUEST"),
        ("load_balancing_policy_least_request", "LEAST_REQUEST"),
        ("LOAD_BALANCING_POLICY_MAGLEV", "MAGLEV"),
        ("5", "LEAST_REQUEST"),
        ("1", "ROUND_ROBIN"),
    ],
)
def test_load_balancing_policy(text: str, expected: str) -> None:
    assert route("load_balancing_policy", text) == {"load_balancing_policy": expected}


@pytest.mark.parametrize("text", ["''", "unspecified", "0", "LOAD_BALANCING_POLICY_UNSPECIFIED"])
def test_load_balancing_policy_unspecified_is_omitted(text: str) -> None:
    assert route("load_balancing_policy", text) == {}


@pytest.mark.parametrize("text", ["least", "lb_least_request", "6", "-1", "true", "[a]", "1.5"])
def test_load_balancing_policy_rejections(text: str) -> None:
    assert "invalid value for enum type" in route_error("load_balancing_policy", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("default", "default"),
        ("idp_access_token", "idp_access_token"),
        ("idp_identity_token", "idp_identity_token"),
        ("BEARER_TOKEN_FORMAT_DEFAULT", "default"),
        ("BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN", "idp_access_token"),
        ("BEARER_TOKEN_FORMAT_IDP_IDENTITY_TOKEN", "idp_identity_token"),
        ("BEARER_TOKEN_FORMAT_JWT", "jwt"),
        ("2", "idp_access_token"),
        ("4", "jwt"),
    ],
)
def test_bearer_token_format(text: str, expected: str) -> None:
    assert route("bearer_token_format", text) == {"bearer_token_format": expected}


@pytest.mark.parametrize("text", ["''", "0", "BEARER_TOKEN_FORMAT_UNKNOWN"])
def test_an_explicit_unknown_bearer_token_format_is_kept(text: str) -> None:
    # Upstream stores BEARER_TOKEN_FORMAT_UNKNOWN as set: it overrides the global bearer_token_format.
    assert route("bearer_token_format", text) == {"bearer_token_format": "unknown"}


def test_a_null_bearer_token_format_is_unset() -> None:
    assert route("bearer_token_format", "~") == {}


@pytest.mark.parametrize("text", ["jwt", "IDP_ACCESS_TOKEN", "Default", "bearer_token_format_jwt", "5", "yes"])
def test_bearer_token_format_rejections(text: str) -> None:
    assert "invalid value for enum type" in route_error("bearer_token_format", text)


# --------------------------------------------------------------------------- nested messages


def test_circuit_breaker_thresholds() -> None:
    text = (
        '{"max_connections": 1, "max_pending_requests": 2, "max_requests": 3, "max_retries": 4,'
        ' "max_connection_pools": 5}'
    )
    assert route("circuit_breaker_thresholds", text) == {
        "circuit_breaker_thresholds": {
            "max_connections": 1,
            "max_pending_requests": 2,
            "max_requests": 3,
            "max_retries": 4,
            "max_connection_pools": 5,
        }
    }
    assert route("circuit_breaker_thresholds", "{maxRequests: 3, maxConnectionPools: ~}") == {
        "circuit_breaker_thresholds": {"max_requests": 3}
    }


def test_circuit_breaker_thresholds_rejections() -> None:
    assert (
        route_error("circuit_breaker_thresholds", "{foo: 1}")
        == 'proto: circuit_breaker_thresholds: unknown field "foo"'
    )
    assert "duplicate field" in route_error("circuit_breaker_thresholds", "{max_requests: 1, maxRequests: 2}")
    assert "unexpected token [" in route_error("circuit_breaker_thresholds", "[1]")
    assert "unexpected token 5" in route_error("circuit_breaker_thresholds", "5")


def test_outlier_detection() -> None:
    text = (
        "{consecutive_5xx: 5, interval: 10s, base_ejection_time: 30s, max_ejection_percent: 50,"
        " split_external_local_origin_errors: true, max_ejection_time: 5m, failure_percentage_threshold: 85}"
    )
    assert route("outlier_detection", text) == {
        "outlier_detection": {
            "consecutive_5xx": 5,
            "interval": "10s",
            "base_ejection_time": "30s",
            "max_ejection_percent": 50,
            "split_external_local_origin_errors": True,
            "failure_percentage_threshold": 85,
            "max_ejection_time": "5m",
        }
    }
    assert route("outlier_detection", "{consecutive5xx: 5, enforcingConsecutive5xx: 100}") == {
        "outlier_detection": {"consecutive_5xx": 5, "enforcing_consecutive_5xx": 100}
    }


def test_outlier_detection_rejections() -> None:
    assert "unknown field" in route_error("outlier_detection", "{consecutive5XX: 1}")
    assert "uint32" in route_error("outlier_detection", "{consecutive_5xx: -1}")
    assert "invalid value for bool type" in route_error(
        "outlier_detection", "{split_external_local_origin_errors: yes}"
    )
    assert 'Duration value "1d"' in route_error("outlier_detection", "{interval: 1d}")


def test_camel_case_duration_keys_need_protojson_syntax() -> None:
    assert route("outlier_detection", "{baseEjectionTime: 30s}") == {"outlier_detection": {"base_ejection_time": "30s"}}
    message = route_error("outlier_detection", "{baseEjectionTime: 1m}")
    assert message == 'proto: outlier_detection.base_ejection_time: invalid google.protobuf.Duration value "1m"'


def test_health_checks() -> None:
    text = (
        '[{"timeout": "10s", "interval": "1m", "healthy_threshold": 1, "unhealthy_threshold": 2,'
        ' "http_health_check": {"path": "/"}}]'
    )
    assert route("health_checks", text) == {
        "health_checks": [
            {
                "timeout": "10s",
                "interval": "1m",
                "unhealthy_threshold": 2,
                "healthy_threshold": 1,
                "http_health_check": {"path": "/"},
            }
        ]
    }


def test_health_check_sub_messages() -> None:
    text = """
- timeout: 1s
  interval: 5s
  no_traffic_interval: 1m
  reuse_connection: true
  transport_socket_match_criteria: {tls: true}
  http_health_check:
    host: example.com
    path: /healthz
    send: {text: '0102'}
    receive: [{binary: aGk=}]
    response_buffer_size: 2048
    request_headers_to_remove: [x-a]
    expected_statuses: [{start: 200, end: 300}]
    retriable_statuses: [{start: 503, end: 504}]
    codec_client_type: HTTP2
- tcpHealthCheck: {send: {text: ping}, receive: [{text: pong}]}
- grpc_health_check: {service_name: svc, authority: a.example.com}
"""
    decoded = route("health_checks", text)["health_checks"]
    assert decoded[0]["http_health_check"]["expected_statuses"] == [{"start": 200, "end": 300}]
    assert decoded[0]["http_health_check"]["codec_client_type"] == "HTTP2"
    assert decoded[0]["http_health_check"]["response_buffer_size"] == 2048
    assert decoded[0]["no_traffic_interval"] == "1m"
    assert decoded[0]["transport_socket_match_criteria"] == {"tls": True}
    assert decoded[1] == {"tcp_health_check": {"send": {"text": "ping"}, "receive": [{"text": "pong"}]}}
    assert decoded[2] == {"grpc_health_check": {"service_name": "svc", "authority": "a.example.com"}}


@pytest.mark.parametrize(
    ("text", "gist"),
    [
        ("{timeout: 1s}", "health_checks: syntax error: unexpected token {"),
        ("[{foo: 1}]", 'health_checks[0]: unknown field "foo"'),
        ("[{timeout: 30}]", "health_checks[0].timeout: syntax error: unexpected token 30"),
        (
            "[{noTrafficInterval: 1m}]",
            'health_checks[0].no_traffic_interval: invalid google.protobuf.Duration value "1m"',
        ),
        ("[{http_health_check: {}, tcp_health_check: {}}]", "oneof health_checker is already set"),
        (
            "[{http_health_check: {expected_statuses: {start: 1}}}]",
            "expected_statuses: syntax error: unexpected token {",
        ),
        ("[{http_health_check: {codec_client_type: http2}}]", 'invalid value for enum type: "http2"'),
        ("[{http_health_check: {send: {binary: '***'}}}]", "invalid value for bytes type"),
        ("[{http_health_check: {send: {text: a, binary: aGk=}}}]", "oneof payload is already set"),
        ("[{tcp_health_check: {path: /}}]", 'unknown field "path"'),
        ("[~]", "health_checks[0]: syntax error: unexpected token null"),
        ("[{transport_socket_match_criteria: [a]}]", "unexpected token ["),
        ("[{alt_port: -1}]", "invalid value for uint32 type: -1"),
    ],
)
def test_health_check_rejections(text: str, gist: str) -> None:
    assert gist in route_error("health_checks", text)


def test_health_check_null_oneof_member_does_not_count() -> None:
    assert route("health_checks", "[{http_health_check: ~, tcp_health_check: {}}]") == {
        "health_checks": [{"tcp_health_check": {}}]
    }


def test_rewrite_response_headers() -> None:
    assert route("rewrite_response_headers", '[{"header": "a", "prefix": "b", "value": "c"}]') == {
        "rewrite_response_headers": [{"header": "a", "prefix": "b", "value": "c"}]
    }
    assert 'unknown field "foo"' in route_error("rewrite_response_headers", "[{header: a, foo: b}]")
    assert "unexpected token {" in route_error("rewrite_response_headers", "{header: a}")
    assert "invalid value for string type: 1" in route_error("rewrite_response_headers", "[{header: 1}]")


def test_several_annotations_at_once() -> None:
    decoded = decode_route_options(
        {
            "timeout": parse_annotation_value("2m"),
            "allow_websockets": parse_annotation_value("true"),
            "load_balancing_policy": parse_annotation_value("maglev"),
            "tls_skip_verify": None,
        }
    )
    assert decoded == {"timeout": "2m", "allow_websockets": True, "load_balancing_policy": "MAGLEV"}


def test_input_is_not_mutated() -> None:
    headers = {"a": 1}
    decode_route_options({"set_request_headers": headers, "allow_upgrades": ["x"]})
    assert headers == {"a": 1}


# --------------------------------------------------------------------------- properties

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["30s", "1m", "LEAST_REQUEST", "idp_access_token", "websocket", "HTTP2", "aGk="]),
)
keys = st.one_of(
    st.sampled_from(sorted(ROUTE_OPTION_FIELDS | POLICY_OPTION_FIELDS)),
    st.sampled_from(["values", "timeout", "max_requests", "maxRequests", "http_health_check", "path", "start", "text"]),
    st.text(max_size=6),
    st.integers(),
)
json_ish = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(ROUTE_OPTION_FIELDS)), json_ish, max_size=4))
def test_route_decoding_returns_or_raises_known_errors(values: dict[str, Any]) -> None:
    try:
        decoded = decode_route_options(values)
    except (ProtoDecodeError, JsonValueError) as err:
        assert str(err).startswith(("proto: ", "json: "))
    else:
        assert set(decoded) <= set(values)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(POLICY_OPTION_FIELDS)), json_ish, max_size=3))
def test_policy_decoding_returns_or_raises_known_errors(values: dict[str, Any]) -> None:
    try:
        decoded = decode_policy_options(values)
    except (ProtoDecodeError, JsonValueError) as err:
        assert str(err).startswith(("proto: ", "json: "))
    else:
        assert set(decoded) <= set(values)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(ROUTE_OPTION_FIELDS)), st.text(max_size=40))
def test_any_annotation_text_decodes_or_raises_known_errors(name: str, text: str) -> None:
    try:
        value = parse_annotation_value(text)
    except ValueError:
        return
    with contextlib.suppress(ProtoDecodeError, JsonValueError):
        decode_route_options({name: value})
