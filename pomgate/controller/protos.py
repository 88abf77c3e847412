"""The protobuf messages the databroker output speaks, declared here and built at import time.

Names, field numbers and types are Pomerium's (`pkg/grpc/databroker/databroker.proto`,
`pkg/grpc/config/config.proto`): facts a peer needs to read what we write. Only the messages and
fields the controller uses are declared; fields we do not declare survive a read and re-encode as
unknown fields. No protoc: each message is a `descriptor_pb2.DescriptorProto` built from the
compact tables below and registered in the default pool (so `Any` and `json_format` resolve them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import (
    any_pb2,
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    empty_pb2,
    message_factory,
    struct_pb2,
    timestamp_pb2,
    wrappers_pb2,
)
from google.protobuf.message import Message

_FDP = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "string": _FDP.TYPE_STRING,
    "bytes": _FDP.TYPE_BYTES,
    "bool": _FDP.TYPE_BOOL,
    "int32": _FDP.TYPE_INT32,
    "int64": _FDP.TYPE_INT64,
    "uint32": _FDP.TYPE_UINT32,
    "uint64": _FDP.TYPE_UINT64,
}
#: Well-known types by the short names the tables use.
_WELL_KNOWN = {
    "Any": ".google.protobuf.Any",
    "Duration": ".google.protobuf.Duration",
    "Timestamp": ".google.protobuf.Timestamp",
    "Struct": ".google.protobuf.Struct",
    "ListValue": ".google.protobuf.ListValue",
    "UInt32Value": ".google.protobuf.UInt32Value",
    "UInt64Value": ".google.protobuf.UInt64Value",
    "BoolValue": ".google.protobuf.BoolValue",
}
# Keep the well-known files imported (they register themselves in the default pool).
_DEPENDENCIES = (any_pb2, duration_pb2, empty_pb2, struct_pb2, timestamp_pb2, wrappers_pb2)


@dataclass(frozen=True)
class F:
    """One field: ``kind`` is a scalar name, ``enum:Name``, ``map:value-kind`` or a message name.

    ``label`` is "" (singular), "repeated" or "optional" (proto3 explicit presence); ``oneof`` names
    a real oneof the field belongs to.
    """

    name: str
    number: int
    kind: str
    label: str = ""
    oneof: str = ""


@dataclass(frozen=True)
class M:
    """One message with its fields, nested messages and nested enums."""

    name: str
    fields: Sequence[F]
    nested: Sequence[M] = ()
    enums: Sequence[tuple[str, Sequence[str]]] = ()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _type_name(kind: str, package: str, scope: str) -> str:
    if kind in _WELL_KNOWN:
        return _WELL_KNOWN[kind]
    if kind.startswith("."):
        return kind
    return f".{package}.{kind}" if "." in kind or not scope else f".{package}.{scope}.{kind}"


def _message_proto(message: M, package: str, scope: str = "") -> descriptor_pb2.DescriptorProto:
    """``message`` as a DescriptorProto (``scope``: the dotted names of the messages around it)."""
    proto = descriptor_pb2.DescriptorProto(name=message.name)
    here = f"{scope}.{message.name}" if scope else message.name
    nested_names = {nested.name for nested in message.nested} | {name for name, _ in message.enums}
    oneofs: dict[str, int] = {}
    for item in message.fields:
        if item.oneof and item.oneof not in oneofs:
            oneofs[item.oneof] = len(proto.oneof_decl)
            proto.oneof_decl.add(name=item.oneof)
    for item in message.fields:
        field = proto.field.add(name=item.name, number=item.number, json_name=_camel(item.name))
        field.label = _FDP.LABEL_REPEATED if item.label == "repeated" else _FDP.LABEL_OPTIONAL
        kind = item.kind
        if kind.startswith("map:"):
            entry_name = "".join(part[:1].upper() + part[1:] for part in item.name.split("_")) + "Entry"
            entry = proto.nested_type.add(name=entry_name)
            entry.options.map_entry = True
            entry.field.add(name="key", number=1, type=_FDP.TYPE_STRING, label=_FDP.LABEL_OPTIONAL, json_name="key")
            value = entry.field.add(name="value", number=2, label=_FDP.LABEL_OPTIONAL, json_name="value")
            value_kind = kind[4:]
            if value_kind in _SCALARS:
                value.type = _SCALARS[value_kind]
            else:
                value.type = _FDP.TYPE_MESSAGE
                value.type_name = _type_name(value_kind, package, "")
            field.label = _FDP.LABEL_REPEATED
            field.type = _FDP.TYPE_MESSAGE
            field.type_name = f".{package}.{here}.{entry_name}"
        elif kind in _SCALARS:
            field.type = _SCALARS[kind]
        elif kind.startswith("enum:"):
            field.type = _FDP.TYPE_ENUM
            name = kind[5:]
            field.type_name = _type_name(name, package, here if name in nested_names else "")
        else:
            field.type = _FDP.TYPE_MESSAGE
            field.type_name = _type_name(kind, package, here if kind in nested_names else "")
        if item.oneof:
            field.oneof_index = oneofs[item.oneof]
    for item in message.fields:  # synthetic oneofs of proto3 `optional` come after the real ones
        if item.label == "optional":
            field = next(f for f in proto.field if f.name == item.name)
            field.proto3_optional = True
            field.oneof_index = len(proto.oneof_decl)
            proto.oneof_decl.add(name="_" + item.name)
    for nested in message.nested:
        proto.nested_type.append(_message_proto(nested, package, here))
    for name, values in message.enums:
        enum = proto.enum_type.add(name=name)
        for number, value_name in enumerate(values):
            enum.value.add(name=value_name, number=number)
    return proto


def _register(
    file_name: str,
    package: str,
    messages: Sequence[M],
    enums: Sequence[tuple[str, Sequence[str]]] = (),
    services: Sequence[tuple[str, Sequence[tuple[str, str, str]]]] = (),
) -> None:
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(file_name)
        return  # already registered (a module reload)
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto(name=file_name, package=package, syntax="proto3")
    proto.dependency.extend(
        [
            "google/protobuf/any.proto",
            "google/protobuf/duration.proto",
            "google/protobuf/empty.proto",
            "google/protobuf/struct.proto",
            "google/protobuf/timestamp.proto",
            "google/protobuf/wrappers.proto",
        ]
    )
    for name, values in enums:
        enum = proto.enum_type.add(name=name)
        for number, value_name in enumerate(values):
            enum.value.add(name=value_name, number=number)
    for message in messages:
        proto.message_type.append(_message_proto(message, package))
    for service_name, methods in services:
        service = proto.service.add(name=service_name)
        for method, request, response in methods:
            service.method.add(
                name=method, input_type=_type_name(request, package, ""), output_type=_type_name(response, package, "")
            )
    pool.Add(proto)


def message_class(full_name: str) -> type[Message]:
    """The Python class of a registered message (``pomerium.config.Route``, ``databroker.Record``)."""
    found: type[Message] = message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(full_name))
    return found


# --------------------------------------------------------------------------- databroker.proto

_register(
    "pomgate/databroker.proto",
    "databroker",
    [
        M(
            "Record",
            [
                F("version", 1, "uint64"),
                F("type", 2, "string"),
                F("id", 3, "string"),
                F("data", 4, "Any"),
                F("modified_at", 5, "Timestamp"),
                F("deleted_at", 6, "Timestamp"),
            ],
        ),
        M("GetRequest", [F("type", 1, "string"), F("id", 2, "string")]),
        M("GetResponse", [F("record", 1, "Record")]),
        M("PutRequest", [F("records", 1, "Record", "repeated")]),
        M("PutResponse", [F("server_version", 1, "uint64"), F("records", 2, "Record", "repeated")]),
        M("AcquireLeaseRequest", [F("name", 1, "string"), F("duration", 2, "Duration")]),
        M("AcquireLeaseResponse", [F("id", 1, "string")]),
        M("ReleaseLeaseRequest", [F("name", 1, "string"), F("id", 2, "string")]),
        M("RenewLeaseRequest", [F("name", 1, "string"), F("id", 2, "string"), F("duration", 3, "Duration")]),
    ],
    services=[
        (
            "DataBrokerService",
            [
                ("AcquireLease", "AcquireLeaseRequest", "AcquireLeaseResponse"),
                ("Get", "GetRequest", "GetResponse"),
                ("Put", "PutRequest", "PutResponse"),
                ("ReleaseLease", "ReleaseLeaseRequest", ".google.protobuf.Empty"),
                ("RenewLease", "RenewLeaseRequest", ".google.protobuf.Empty"),
            ],
        )
    ],
)

# --------------------------------------------------------------------------- config.proto (part)

_HEALTH_CHECK = M(
    "HealthCheck",
    [
        F("timeout", 1, "Duration"),
        F("interval", 2, "Duration"),
        F("initial_jitter", 20, "Duration"),
        F("interval_jitter", 3, "Duration"),
        F("interval_jitter_percent", 18, "uint32"),
        F("unhealthy_threshold", 4, "UInt32Value"),
        F("healthy_threshold", 5, "UInt32Value"),
        F("alt_port", 6, "UInt32Value"),
        F("reuse_connection", 7, "BoolValue"),
        F("http_health_check", 8, "HttpHealthCheck", oneof="health_checker"),
        F("tcp_health_check", 9, "TcpHealthCheck", oneof="health_checker"),
        F("grpc_health_check", 11, "GrpcHealthCheck", oneof="health_checker"),
        F("no_traffic_interval", 12, "Duration"),
        F("no_traffic_healthy_interval", 24, "Duration"),
        F("unhealthy_interval", 14, "Duration"),
        F("unhealthy_edge_interval", 15, "Duration"),
        F("healthy_edge_interval", 16, "Duration"),
        F("always_log_health_check_failures", 19, "bool"),
        F("always_log_health_check_success", 26, "bool"),
        F("transport_socket_match_criteria", 23, "Struct"),
    ],
    nested=[
        M("Int64Range", [F("start", 1, "int64"), F("end", 2, "int64")]),
        M("Payload", [F("text", 1, "string", oneof="payload"), F("binary", 2, "bytes", oneof="payload")]),
        M(
            "HttpHealthCheck",
            [
                F("host", 1, "string"),
                F("path", 2, "string"),
                F("send", 3, "HealthCheck.Payload"),
                F("receive", 4, "HealthCheck.Payload", "repeated"),
                F("response_buffer_size", 14, "UInt64Value"),
                F("request_headers_to_remove", 8, "string", "repeated"),
                F("expected_statuses", 9, "HealthCheck.Int64Range", "repeated"),
                F("retriable_statuses", 12, "HealthCheck.Int64Range", "repeated"),
                F("codec_client_type", 10, "enum:HealthCheck.CodecClientType"),
            ],
        ),
        M("TcpHealthCheck", [F("send", 1, "HealthCheck.Payload"), F("receive", 2, "HealthCheck.Payload", "repeated")]),
        M("GrpcHealthCheck", [F("service_name", 1, "string"), F("authority", 2, "string")]),
    ],
    enums=[("CodecClientType", ("HTTP1", "HTTP2", "HTTP3"))],
)
_OUTLIER_COUNTS = {
    "consecutive_5xx": 1,
    "max_ejection_percent": 4,
    "enforcing_consecutive_5xx": 5,
    "enforcing_success_rate": 6,
    "success_rate_minimum_hosts": 7,
    "success_rate_request_volume": 8,
    "success_rate_stdev_factor": 9,
    "consecutive_gateway_failure": 10,
    "enforcing_consecutive_gateway_failure": 11,
    "consecutive_local_origin_failure": 13,
    "enforcing_consecutive_local_origin_failure": 14,
    "enforcing_local_origin_success_rate": 15,
    "failure_percentage_threshold": 16,
    "enforcing_failure_percentage": 17,
    "enforcing_failure_percentage_local_origin": 18,
    "failure_percentage_minimum_hosts": 19,
    "failure_percentage_request_volume": 20,
}
_OUTLIER_DETECTION = M(
    "OutlierDetection",
    [
        *(F(name, number, "UInt32Value") for name, number in _OUTLIER_COUNTS.items()),
        F("interval", 2, "Duration"),
        F("base_ejection_time", 3, "Duration"),
        F("split_external_local_origin_errors", 12, "bool"),
        F("max_ejection_time", 21, "Duration"),
        F("max_ejection_time_jitter", 22, "Duration"),
    ],
)


def _optional_strings(*pairs: tuple[str, int]) -> list[F]:
    return [F(name, number, "string", "optional") for name, number in pairs]


_ROUTE = M(
    "Route",
    [
        *_optional_strings(("id", 28), ("name", 1), ("stat_name", 75), ("description", 67), ("logo_url", 68)),
        F("from", 2, "string"),
        F("to", 3, "string", "repeated"),
        F("load_balancing_weights", 37, "uint32", "repeated"),
        F("allowed_users", 4, "string", "repeated"),
        F("allowed_domains", 6, "string", "repeated"),
        F("allowed_idp_claims", 32, "map:ListValue"),
        F("prefix", 7, "string"),
        F("path", 8, "string"),
        F("regex", 9, "string"),
        F("prefix_rewrite", 29, "string"),
        F("regex_rewrite_pattern", 30, "string"),
        F("regex_rewrite_substitution", 31, "string"),
        F("regex_priority_order", 61, "int64", "optional"),
        F("cors_allow_preflight", 10, "bool"),
        F("allow_public_unauthenticated_access", 11, "bool"),
        F("allow_any_authenticated_user", 33, "bool"),
        F("timeout", 12, "Duration"),
        F("idle_timeout", 43, "Duration"),
        F("allow_websockets", 13, "bool"),
        F("allow_spdy", 44, "bool"),
        F("tls_skip_verify", 14, "bool"),
        F("tls_server_name", 15, "string"),
        F("tls_upstream_server_name", 57, "string"),
        F("tls_downstream_server_name", 58, "string"),
        F("tls_custom_ca", 16, "string"),
        F("tls_custom_ca_file", 17, "string"),
        F("tls_client_cert", 18, "string"),
        F("tls_client_key", 19, "string"),
        F("tls_client_cert_file", 20, "string"),
        F("tls_client_key_file", 21, "string"),
        F("tls_downstream_client_ca", 38, "string"),
        F("tls_downstream_client_ca_file", 39, "string"),
        F("tls_upstream_allow_renegotiation", 60, "bool"),
        F("set_request_headers", 22, "map:string"),
        F("remove_request_headers", 23, "string", "repeated"),
        F("set_response_headers", 41, "map:string"),
        F("rewrite_response_headers", 40, "RouteRewriteHeader", "repeated"),
        F("preserve_host_header", 24, "bool"),
        F("pass_identity_headers", 25, "bool", "optional"),
        F("kubernetes_service_account_token", 26, "string"),
        F("kubernetes_service_account_token_file", 64, "string"),
        F("enable_google_cloud_serverless_authentication", 42, "bool"),
        F("jwt_issuer_format", 65, "enum:IssuerFormat", "optional"),
        F("jwt_groups_filter", 66, "string", "repeated"),
        F("bearer_token_format", 70, "enum:BearerTokenFormat", "optional"),
        F("depends_on", 71, "string", "repeated"),
        F("policies", 27, "Policy", "repeated"),
        F("ppl_policies", 63, "PPLPolicy", "repeated"),
        *_optional_strings(
            ("host_rewrite", 50),
            ("host_rewrite_header", 51),
            ("host_path_regex_rewrite_pattern", 52),
            ("host_path_regex_rewrite_substitution", 53),
            ("idp_client_id", 55),
            ("idp_client_secret", 56),
        ),
        F("idp_access_token_allowed_audiences", 69, "Route.StringList", "optional"),
        F("show_error_details", 59, "bool"),
        F("mcp", 72, "MCP", "optional"),
        F("circuit_breaker_thresholds", 73, "CircuitBreakerThresholds", "optional"),
        F("upstream_tunnel", 74, "UpstreamTunnel", "optional"),
        F("outlier_detection", 76, "OutlierDetection", "optional"),
        F("health_checks", 77, "HealthCheck", "repeated"),
        F("load_balancing_policy", 78, "enum:LoadBalancingPolicy", "optional"),
        F("healthy_panic_threshold", 79, "int32", "optional"),
        F("allow_upgrades", 93, "Route.StringList", "optional"),
    ],
    nested=[M("StringList", [F("values", 1, "string", "repeated")])],
)

_register(
    "pomgate/pomerium_config.proto",
    "pomerium.config",
    [
        M("Config", [F("name", 1, "string"), F("routes", 2, "Route", "repeated"), F("settings", 3, "Settings")]),
        M(
            "Settings",
            [F("certificates", 9, "Settings.Certificate", "repeated")],
            nested=[M("Certificate", [F("cert_bytes", 3, "bytes"), F("key_bytes", 4, "bytes")])],
        ),
        M(
            "RouteRewriteHeader",
            [F("header", 1, "string"), F("prefix", 3, "string", oneof="matcher"), F("value", 2, "string")],
        ),
        M("PPLPolicy", [F("raw", 1, "bytes")]),
        M(
            "Policy",
            [
                *_optional_strings(("id", 1), ("name", 2)),
                F("allowed_users", 3, "string", "repeated"),
                F("allowed_domains", 5, "string", "repeated"),
                F("allowed_idp_claims", 7, "map:ListValue"),
                F("rego", 6, "string", "repeated"),
                *_optional_strings(("source_ppl", 10), ("explanation", 8), ("remediation", 9)),
            ],
        ),
        M(
            "CircuitBreakerThresholds",
            [
                F(name, number, "uint32", "optional")
                for number, name in enumerate(
                    ("max_connections", "max_pending_requests", "max_requests", "max_retries", "max_connection_pools"),
                    start=1,
                )
            ],
        ),
        M(
            "UpstreamTunnel",
            [
                F("ssh_policy", 1, "PPLPolicy", "optional"),
                F("ssh_policy_rego", 2, "string", "repeated"),
                F("ssh_policy_id", 3, "string", "optional"),
            ],
        ),
        M("MCP", [F("server", 1, "MCPServer", oneof="mode"), F("client", 2, "MCPClient", oneof="mode")]),
        M(
            "MCPServer",
            [
                F("upstream_oauth2", 1, "UpstreamOAuth2", "optional"),
                F("max_request_bytes", 2, "uint32", "optional"),
                F("path", 3, "string", "optional"),
                F("authorization_server_url", 4, "string", "optional"),
            ],
        ),
        M("MCPClient", []),
        M(
            "UpstreamOAuth2",
            [
                F("client_id", 1, "string"),
                F("client_secret", 2, "string"),
                F("oauth2_endpoint", 3, "OAuth2Endpoint"),
                F("scopes", 4, "string", "repeated"),
                F("authorization_url_params", 5, "map:string"),
            ],
        ),
        M(
            "OAuth2Endpoint",
            [
                F("auth_url", 1, "string"),
                F("token_url", 2, "string"),
                F("auth_style", 3, "enum:OAuth2AuthStyle", "optional"),
            ],
        ),
        _HEALTH_CHECK,
        _OUTLIER_DETECTION,
        _ROUTE,
    ],
    enums=[
        ("IssuerFormat", ("IssuerHostOnly", "IssuerURI")),
        (
            "BearerTokenFormat",
            (
                "BEARER_TOKEN_FORMAT_UNKNOWN",
                "BEARER_TOKEN_FORMAT_DEFAULT",
                "BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN",
                "BEARER_TOKEN_FORMAT_IDP_IDENTITY_TOKEN",
                "BEARER_TOKEN_FORMAT_JWT",
            ),
        ),
        (
            "LoadBalancingPolicy",
            (
                "LOAD_BALANCING_POLICY_UNSPECIFIED",
                "LOAD_BALANCING_POLICY_ROUND_ROBIN",
                "LOAD_BALANCING_POLICY_MAGLEV",
                "LOAD_BALANCING_POLICY_RANDOM",
                "LOAD_BALANCING_POLICY_RING_HASH",
                "LOAD_BALANCING_POLICY_LEAST_REQUEST",
            ),
        ),
        (
            "OAuth2AuthStyle",
            ("OAUTH2_AUTH_STYLE_UNSPECIFIED", "OAUTH2_AUTH_STYLE_IN_PARAMS", "OAUTH2_AUTH_STYLE_IN_HEADER"),
        ),
    ],
)

#: The message classes the controller and the test stand-in use.
Record: Any = message_class("databroker.Record")
GetRequest: Any = message_class("databroker.GetRequest")
GetResponse: Any = message_class("databroker.GetResponse")
PutRequest: Any = message_class("databroker.PutRequest")
PutResponse: Any = message_class("databroker.PutResponse")
AcquireLeaseRequest: Any = message_class("databroker.AcquireLeaseRequest")
AcquireLeaseResponse: Any = message_class("databroker.AcquireLeaseResponse")
ReleaseLeaseRequest: Any = message_class("databroker.ReleaseLeaseRequest")
RenewLeaseRequest: Any = message_class("databroker.RenewLeaseRequest")
Empty = empty_pb2.Empty
Config: Any = message_class("pomerium.config.Config")
Route: Any = message_class("pomerium.config.Route")
Settings: Any = message_class("pomerium.config.Settings")
Certificate: Any = message_class("pomerium.config.Settings.Certificate")
Policy: Any = message_class("pomerium.config.Policy")

#: gRPC service and method paths.
DATABROKER_SERVICE = "databroker.DataBrokerService"
CONFIG_TYPE_URL = "type.googleapis.com/pomerium.config.Config"
