"""Each annotation group of annotations.md, through the whole translator."""

from __future__ import annotations

import pytest

from pomgate.findings import Severity
from pomgate.reports.routes import route_config
from tests.helpers import analyze, docs, errors, ingress, routes, rules_of, secret, service

P = "ingress.pomerium.io"


def one_route(annotations: dict[str, str], *extra: str) -> dict[str, object]:
    out = routes(docs(ingress(annotations=annotations), service(), *extra))
    assert len(out) == 1, out
    return out[0]


def error_chains(annotations: dict[str, str], *extra: str) -> list[str]:
    analysis = analyze(docs(ingress(annotations=annotations), service(), *extra))
    return [f.extra.get("chain", f.message) for f in errors(analysis)]


class TestNames:
    def test_unknown_annotation_with_did_you_mean(self) -> None:
        analysis = analyze(docs(ingress(annotations={f"{P}/alow_websockets": "true"}), service()))
        (finding,) = errors(analysis)
        assert finding.rule == "annotation/unknown"
        assert finding.extra["chain"] == "parsing ingress: annotations: unknown ingress.pomerium.io/alow_websockets"
        assert "did you mean ingress.pomerium.io/allow_websockets?" in finding.message
        assert analysis.translation.routes == []

    def test_names_are_case_sensitive(self) -> None:
        (chain,) = error_chains({f"{P}/Policy": "allow: {}"})
        assert chain.endswith("unknown ingress.pomerium.io/Policy")

    def test_seed_doc_token_name_is_unknown_and_explained(self) -> None:
        analysis = analyze(docs(ingress(annotations={f"{P}/kubernetes_service_account_token": "tok"}), service()))
        (finding,) = errors(analysis)
        assert "kubernetes_service_account_token_secret" in finding.message
        assert "documentation" in finding.message

    def test_allowed_groups_is_unsupported(self) -> None:
        (chain,) = error_chains({f"{P}/allowed_groups": '["admins"]'})
        assert chain == (
            "parsing ingress: annotations: ingress.pomerium.io/allowed_groups no longer supported, "
            "see https://docs.pomerium.com/docs/overview/upgrading#idp-directory-sync"
        )

    @pytest.mark.parametrize("name", ["lb_policy", "tls_client_cert", "regex_priority_order", "redirect", "to"])
    def test_names_some_docs_mention_are_rejected(self, name: str) -> None:
        assert error_chains({f"{P}/{name}": "x"}) == [f"parsing ingress: annotations: unknown {P}/{name}"]

    def test_other_prefixes_are_ignored_and_custom_prefix_works(self) -> None:
        assert one_route({"example.com/whatever": "x"})["to"]
        text = docs(ingress(annotations={"pom.example/allow_websockets": "true", f"{P}/bogus": "x"}), service())
        (route,) = routes(text, prefix="pom.example")
        assert route["allow_websockets"] is True


class TestBaseGroup:
    def test_values_are_yaml_decoded_and_strictly_typed(self) -> None:
        route = one_route(
            {
                f"{P}/allow_websockets": "True",
                f"{P}/healthy_panic_threshold": "'27'",
                f"{P}/timeout": "1m30s",
                f"{P}/set_request_headers": "{a: 1, b: true}",
            }
        )
        assert route["allow_websockets"] is True
        assert route["healthy_panic_threshold"] == 27
        assert route["timeout"] == "1m30s"
        assert route["set_request_headers"] == {"a": "1", "b": "true"}

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("allow_websockets", "yes"),
            ("timeout", "1d"),
            ("timeout", "30"),
            ("description", "2024"),
            ("remove_request_headers", "X-A"),
            ("circuit_breaker_thresholds", "{max_requests: -1}"),
            ("outlier_detection", "{bogus: 1}"),
            ("load_balancing_policy", "fastest"),
        ],
    )
    def test_type_errors_fail_the_ingress(self, name: str, value: str) -> None:
        analysis = analyze(docs(ingress(annotations={f"{P}/{name}": value}), service()))
        assert rules_of(analysis, Severity.ERROR) == ["annotation/value"]
        assert errors(analysis)[0].extra["chain"].startswith("parsing ingress: annotations: proto")

    def test_yaml_syntax_error(self) -> None:
        (chain,) = error_chains({f"{P}/description": "@oops"})
        assert chain.startswith("parsing ingress: annotations: description: yaml: ")

    def test_null_leaves_the_field_unset(self) -> None:
        assert "tls_skip_verify" not in one_route({f"{P}/tls_skip_verify": "~"})

    def test_pass_identity_headers_false_is_kept(self) -> None:
        assert one_route({f"{P}/pass_identity_headers": "false"})["pass_identity_headers"] is False


class TestPolicyGroup:
    def test_allow_lists_and_policy(self) -> None:
        route = one_route(
            {
                f"{P}/allowed_users": '["a@x.com"]',
                f"{P}/allowed_domains": "[x.com]",
                f"{P}/allowed_idp_claims": "groups: [admins]",
                f"{P}/policy": "deny:\n  or:\n    - source_ip: 10.0.0.0/8\n",
            }
        )
        assert route["allowed_users"] == ["a@x.com"]
        assert route["allowed_domains"] == ["x.com"]
        assert route["allowed_idp_claims"] == {"groups": ["admins"]}
        assert route["policy"] == {"deny": {"or": [{"source_ip": "10.0.0.0/8"}]}}

    def test_unsupported_conditional_has_upstream_text(self) -> None:
        (chain,) = error_chains({f"{P}/policy": "allow:\n  maybe:\n    - email: a@x.com\n"})
        assert chain == (
            "parsing ingress: annotations: applying policy annotations: couldn't parse policy: invalid rules in "
            'policy: unsupported conditional "maybe", only and, or, not, nor and action are allowed'
        )

    def test_empty_policy_is_eof(self) -> None:
        (chain,) = error_chains({f"{P}/policy": "# nothing"})
        assert chain.endswith("couldn't parse policy: EOF")

    def test_allowed_users_must_be_a_list(self) -> None:
        analysis = analyze(docs(ingress(annotations={f"{P}/allowed_users": "a@x.com"}), service()))
        assert (
            errors(analysis)[0]
            .extra["chain"]
            .startswith("parsing ingress: annotations: applying policy annotations: proto")
        )


TLS_CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
TLS_KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n"


class TestSecretGroups:
    def test_tls_client_secret_fills_cert_and_key_as_base64(self) -> None:
        route = one_route(
            {f"{P}/tls_client_secret": "client"},
            secret("client", {"tls.crt": TLS_CERT, "tls.key": TLS_KEY}, secret_type="kubernetes.io/tls"),
        )
        import base64

        assert base64.b64decode(str(route["tls_client_cert"])).decode() == TLS_CERT
        assert base64.b64decode(str(route["tls_client_key"])).decode() == TLS_KEY

    def test_secret_values_are_redacted_by_default(self) -> None:
        text = docs(
            ingress(annotations={f"{P}/set_request_headers_secret": "hdr"}),
            service(),
            secret("hdr", {"X-Token": "s3cr3t-value"}),
        )
        analysis = analyze(text)
        (route,) = analysis.translation.routes
        rendered = route_config(route)
        assert rendered["set_request_headers"]["X-Token"].startswith("<redacted")
        assert "s3cr3t-value" not in repr(rendered)
        assert route_config(route, show_secrets=True)["set_request_headers"]["X-Token"] == "s3cr3t-value"

    def test_tls_client_secret_missing_key_prints_upstream_ca_crt_quirk(self) -> None:
        analysis = analyze(
            docs(
                ingress(annotations={f"{P}/tls_client_secret": "client"}),
                service(),
                secret("client", {"tls.key": TLS_KEY}),
            )
        )
        (finding,) = errors(analysis)
        assert finding.extra["chain"].endswith(
            "annotation tls_client_secret references secret client, key ca.crt has no data"
        )
        assert "tls.crt" in finding.message

    @pytest.mark.parametrize("name", ["tls_custom_ca_secret", "tls_downstream_client_ca_secret"])
    def test_ca_secrets_need_ca_crt(self, name: str) -> None:
        (chain,) = error_chains({f"{P}/{name}": "ca"}, secret("ca", {"other": "x"}))
        assert chain.endswith(f"annotation {name} references secret ca, key ca.crt has no data")

    def test_service_account_token_secret_type_is_checked(self) -> None:
        (chain,) = error_chains({f"{P}/kubernetes_service_account_token_secret": "tok"}, secret("tok", {"token": "t"}))
        assert chain.endswith(
            "annotation kubernetes_service_account_token_secret secret is expected to have type "
            "kubernetes.io/service-account-token, got Opaque"
        )

    def test_service_account_token_without_token_is_filled_by_the_cluster(self) -> None:
        text = docs(
            ingress(annotations={f"{P}/kubernetes_service_account_token_secret": "tok"}),
            service(),
            secret(
                "tok",
                {},
                secret_type="kubernetes.io/service-account-token",
                annotations={"kubernetes.io/service-account.name": "default"},
            ),
        )
        analysis = analyze(text)
        assert not errors(analysis)
        assert "secret/token-filled-by-cluster" in rules_of(analysis, Severity.INFO)

    def test_header_secret_must_be_opaque(self) -> None:
        (chain,) = error_chains(
            {f"{P}/set_response_headers_secret": "h"}, secret("h", {"a": "b"}, secret_type="example.com/custom")
        )
        assert "expected to have type Opaque, got example.com/custom" in chain

    def test_header_overlap_is_an_error_case_sensitive(self) -> None:
        (chain,) = error_chains(
            {f"{P}/set_request_headers": '{"X-A": "1"}', f"{P}/set_request_headers_secret": "h"},
            secret("h", {"X-A": "2"}),
        )
        assert chain.endswith(
            "annotation set_request_headers_secret: secret contains key X-A that was already "
            "specified by a non-secret rule"
        )
        route = one_route(
            {f"{P}/set_request_headers": '{"x-a": "1"}', f"{P}/set_request_headers_secret": "h"},
            secret("h", {"X-A": "2"}),
        )
        assert route["set_request_headers"] == {"x-a": "1", "X-A": "2"}

    def test_header_overlap_with_sealed_secret_keys(self) -> None:
        sealed = """\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: h
  namespace: default
spec:
  encryptedData:
    X-A: AgBy3i4OJSWK+PiTySYZZA==
"""
        analysis = analyze(
            docs(
                ingress(
                    annotations={f"{P}/set_request_headers": '{"X-A": "1"}', f"{P}/set_request_headers_secret": "h"}
                ),
                service(),
                sealed,
            )
        )
        assert rules_of(analysis, Severity.ERROR) == ["secret/header-overlap"]
        assert "reference/secret-missing" not in rules_of(analysis)

    def test_header_secret_keys_unknown_is_info(self) -> None:
        analysis = analyze(
            docs(
                ingress(
                    annotations={
                        f"{P}/set_request_headers": '{"X-A": "1"}',
                        f"{P}/set_request_headers_secret": "absent",
                    }
                ),
                service(),
            )
        )
        assert "secret/header-keys-unknown" in rules_of(analysis, Severity.INFO)
        assert not errors(analysis)

    def test_identity_provider_secret(self) -> None:
        route = one_route({f"{P}/identity_provider_secret": "idp"}, secret("idp", {"client_id": "cid"}))
        assert route["idp_client_id"] == "cid"
        assert "idp_client_secret" not in route


class TestMcpAndTunnel:
    def test_mcp_server_settings(self) -> None:
        route = one_route(
            {
                f"{P}/mcp_server": "true",
                f"{P}/mcp_server_max_request_bytes": "1024",
                f"{P}/mcp_server_upstream_oauth2_scopes": "a, b,,c",
                f"{P}/mcp_server_upstream_oauth2_authorization_url_params": "x: 1",
            }
        )
        server = route["mcp"]["server"]  # type: ignore[index]
        assert server["max_request_bytes"] == 1024
        assert server["upstream_oauth2"]["scopes"] == ["a", "b", "", "c"]
        assert server["upstream_oauth2"]["authorization_url_params"] == {"x": "1"}

    def test_mcp_secret_alone_is_discarded(self) -> None:
        analysis = analyze(
            docs(
                ingress(annotations={f"{P}/mcp_server_upstream_oauth2_secret": "o"}),
                service(),
                secret("o", {"client_id": "c"}),
            )
        )
        assert "mcp" not in route_config(analysis.translation.routes[0])
        assert "annotation/mcp-secret-unused" in rules_of(analysis, Severity.WARNING)

    def test_mcp_value_errors(self) -> None:
        assert error_chains({f"{P}/mcp_server": "yes"}) == [
            "parsing ingress: annotations: mcp_server annotation should be 'true' or omitted, got \"yes\""
        ]
        assert error_chains({f"{P}/mcp_server_max_request_bytes": "-1"})[0].startswith(
            'parsing ingress: annotations: invalid max_request_bytes value "-1"'
        )

    def test_mcp_authorization_server_url_must_be_https(self) -> None:
        (chain,) = error_chains({f"{P}/mcp_server_authorization_server_url": "http://auth.example.com"})
        assert chain == 'config validation: config: mcp authorization_server_url must be https, got "http"'

    def test_upstream_tunnel_presence_and_ssh_policy(self) -> None:
        assert one_route({f"{P}/upstream_tunnel": "false"})["upstream_tunnel"] == {}
        route = one_route({f"{P}/upstream_tunnel_ssh_policy": "allow: {or: [{email: a@x.com}]}"})
        assert route["upstream_tunnel"] == {"ssh_policy": "allow: {or: [{email: a@x.com}]}"}
        (chain,) = error_chains({f"{P}/upstream_tunnel_ssh_policy": "permit: {}"})
        assert chain.startswith("config validation: error converting upstream tunnel: invalid rules in policy")


class TestFlags:
    @pytest.mark.parametrize("value", ["yes", "1", "on", ""])
    def test_flags_are_only_true_when_the_text_is_true(self, value: str) -> None:
        route = one_route({f"{P}/secure_upstream": value})
        assert route["to"] == ["http://svc.default.svc.cluster.local:80"]

    def test_flag_values_never_error(self) -> None:
        assert not errors(analyze(docs(ingress(annotations={f"{P}/path_regex": "{not: yaml"}), service())))
