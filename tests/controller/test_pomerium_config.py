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
    ppl_document,
    route_message,
)
from pomgate.controller.shadow import differences
from pomgate.translation.evaluation import Identity, Request
from pomgate.translation.ppl import rules_of
from pomgate.translation.rego import render_rego
from tests.databroker_standin import jwt_problem
from tests.policy_rego.rego_generator import RegoPolicy

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


POLICY_TEXT = """
allow:
  or:
    - email:
        is: a@b.c
    - domain:
        is: example.org
deny:
  and:
    - email:
        is: banned@example.org
"""


def test_a_ppl_policy_is_stored_as_upstream_stores_it_and_its_rego_is_enforceable() -> None:
    document = ppl_document(POLICY_TEXT)  # what the translator makes of the annotation
    assert document == {
        "allow": {"or": [{"email": {"is": "a@b.c"}}, {"domain": {"is": "example.org"}}]},
        "deny": {"and": [{"email": {"is": "banned@example.org"}}]},
    }
    message = protos.Route.FromString(encode_route({**ROUTE, "policy": document}, policy_source=POLICY_TEXT))
    [policy] = message.policies
    assert policy.source_ppl == POLICY_TEXT  # the annotation text, byte for byte (upstream's `SourcePpl`)
    assert list(policy.allowed_users) == ["a@example.com"]  # one sub-policy, as upstream's applyAnnotations
    [module] = policy.rego
    assert module == render_rego(rules_of(document))
    rego = RegoPolicy(module)  # Pomerium enforces this module: it must compile and decide as the PPL says
    assert rego.verdict(Identity(email="a@b.c"), Request()).granted
    assert rego.verdict(Identity(email="x@example.org"), Request()).granted
    assert not rego.verdict(Identity(email="banned@example.org"), Request()).granted
    assert not rego.verdict(Identity(email="x@elsewhere.com"), Request()).granted
    assert decode_route(message) == {**ROUTE, "policy": document}
    assert protos.Policy.DESCRIPTOR.fields_by_name["source_ppl"].number == 10
    assert protos.Policy.DESCRIPTOR.fields_by_name["rego"].number == 6


def test_a_policy_without_its_annotation_text_is_stored_as_json_that_reads_back_the_same() -> None:
    document = {"allow": {"and": [{"email": {"is": "a@b.c"}}]}}
    message = route_message({**ROUTE, "policy": document})
    assert ppl_document(message.policies[0].source_ppl) == document
    assert decode_route(message)["policy"] == document


def test_decoding_reads_the_ppl_and_ignores_the_rego() -> None:
    document = ppl_document(POLICY_TEXT)
    message = route_message({**ROUTE, "policy": document}, policy_source=POLICY_TEXT)
    other_generator = protos.Route()
    other_generator.CopyFrom(message)
    other_generator.policies[0].rego[:] = ["package pomerium.policy\n# another generator's text\n"]
    assert decode_route(other_generator) == decode_route(message)


def test_an_ssh_policy_is_stored_as_raw_ppl() -> None:
    text = "allow:\n  and:\n    - ssh_username:\n        is: deploy\n"
    message = route_message({**ROUTE, "upstream_tunnel": {"ssh_policy": text}})
    assert message.upstream_tunnel.ssh_policy.raw == text.encode()
    assert not message.upstream_tunnel.ssh_policy_rego  # upstream's controller writes no Rego there
    assert decode_route(message)["upstream_tunnel"] == {"ssh_policy": text}
    assert decode_route(route_message({**ROUTE, "upstream_tunnel": {}}))["upstream_tunnel"] == {}


def test_unknown_fields_are_errors() -> None:
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


def test_shadow_compares_policies_as_ppl_not_as_rego() -> None:
    document = ppl_document(POLICY_TEXT)
    ours = {**ROUTE, "policy": document}
    recorded = protos.Route()
    recorded.CopyFrom(route_message(ours, policy_source=POLICY_TEXT))
    recorded.policies[0].rego[:] = ["package pomerium.policy\n\ndefault allow := false\n"]  # another generator
    assert differences([ours], [decode_route(recorded)], [], []) == []
    recorded.policies[0].source_ppl = "allow:\n  or:\n    - email:\n        is: a@b.c\n"  # one criterion less
    [found] = differences([ours], [decode_route(recorded)], [], [])
    assert found.text.startswith("policy: pomgate ") and "example.org" in found.text
