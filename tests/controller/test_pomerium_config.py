"""Routes as Pomerium's Config message and back; the JWT; shadow comparison (pure parts)."""

from __future__ import annotations

import base64
import time

import pytest

from pomgate.controller import protos
from pomgate.controller.databroker import decode_shared_secret, signed_jwt, target_of
from pomgate.controller.pomerium_config import (
    EncodeError,
    config_bytes,
    decode_config,
    decode_route,
    encode_certificate,
    encode_route,
    route_message,
)
from pomgate.controller.shadow import differences
from tests.databroker_standin import jwt_problem

ROUTE = {
    "from": "https://web.example.com",
    "to": ["http://10.0.0.1:8080", "http://10.0.0.2:8080"],
    "prefix": "/",
    "name": "default-web-web-example-com",
    "id": '{"n":"web","ns":"default","h":"web.example.com","p":"/"}',
    "allow_any_authenticated_user": True,
    "allowed_users": ["a@example.com"],
    "allowed_idp_claims": {"groups": ["admins"]},
    "pass_identity_headers": False,
    "set_request_headers": {"X-A": "b"},
    "timeout": "30s",
    "bearer_token_format": "idp_access_token",
    "load_balancing_policy": "MAGLEV",
    "allow_upgrades": ["websocket"],
    "health_checks": [{"timeout": "10s", "healthy_threshold": 1, "http_health_check": {"path": "/healthz"}}],
    "tls_server_name": "web.default.svc.cluster.local",
}


def test_a_route_survives_encoding_and_decoding() -> None:
    message = protos.Route.FromString(encode_route(ROUTE, "default-web-web-example-com"))
    assert message.stat_name == "default-web-web-example-com"
    assert list(message.policies[0].allowed_users) == ["a@example.com"]  # in the sub-policy, as upstream
    assert message.HasField("pass_identity_headers") and not message.pass_identity_headers  # explicit false kept
    assert protos.Route.DESCRIPTOR.fields_by_name["bearer_token_format"].number == 70
    assert decode_route(message) == ROUTE


def test_go_durations_become_protobuf_seconds() -> None:
    message = route_message({**ROUTE, "timeout": "1m30s", "idle_timeout": "1.5s"})
    assert message.timeout.seconds == 90
    assert decode_route(message)["idle_timeout"] == "1.500s"


def test_a_ppl_policy_is_refused_and_unknown_fields_are_errors() -> None:
    with pytest.raises(EncodeError, match="Rego"):
        encode_route({**ROUTE, "policy": [{"allow": {"or": [{"email": {"is": "a@b.c"}}]}}]})
    with pytest.raises(EncodeError, match="no_such_field"):
        encode_route({**ROUTE, "no_such_field": 1})


def test_a_concatenated_config_is_the_config_message() -> None:
    first, second = encode_route(ROUTE), encode_route({**ROUTE, "from": "https://b.example.com"})
    cert = encode_certificate(b"CERT", b"KEY")
    data = config_bytes([first, second], [cert])
    expected = protos.Config(
        routes=[protos.Route.FromString(first), protos.Route.FromString(second)],
        settings=protos.Settings(certificates=[protos.Certificate(cert_bytes=b"CERT", key_bytes=b"KEY")]),
    )
    assert protos.Config.FromString(data) == expected
    routes, certificates = decode_config(data)
    assert [r["from"] for r in routes] == ["https://web.example.com", "https://b.example.com"]
    assert certificates == [{"cert": base64.b64encode(b"CERT").decode(), "key": base64.b64encode(b"KEY").decode()}]


def test_the_jwt_is_what_pomerium_accepts() -> None:
    key = decode_shared_secret(base64.b64encode(b"k" * 32).decode())
    token = signed_jwt(key)
    assert jwt_problem(token, key) is None
    assert jwt_problem(token, b"other") == "bad signature"
    assert jwt_problem(signed_jwt(key, now=time.time() - 7200), key) == "expired"
    assert decode_shared_secret("not base64!") == b""  # ignored, as upstream ignores it


def test_databroker_urls() -> None:
    assert target_of("http://databroker.pomerium:5443") == ("databroker.pomerium:5443", False)
    assert target_of("https://db") == ("db:443", True)
    with pytest.raises(ValueError, match="invalid databroker service url"):
        target_of("databroker:5443")


def test_shadow_differences_name_routes_keys_and_order() -> None:
    other = {**ROUTE, "from": "https://b.example.com", "id": '{"n":"b","ns":"x","h":"b.example.com","p":"/"}'}
    changed = {**ROUTE, "to": ["http://10.9.9.9:8080"]}
    assert differences([ROUTE], [ROUTE], [], []) == []
    assert [d.subject for d in differences([ROUTE, other], [other, ROUTE], [], [])] == ["route order"]
    found = differences([ROUTE, other], [changed], [(b"C", b"K")], [])
    texts = {d.subject.split()[0] + ":" + d.text for d in found}
    assert any("to: pomgate" in text and "10.9.9.9" in text for text in texts)
    assert "route:pomgate has it; the record does not" in texts
    assert "certificate:pomgate keeps it; the record does not (1 bytes)" in texts
    assert {d.ingress for d in found if d.ingress} == {("default", "web"), ("x", "b")}
