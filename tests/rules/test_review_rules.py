"""Review-level rules: access, upstream TLS, shadowed routes and cert-manager hints."""

from __future__ import annotations

from pomgate.findings import Finding, Severity
from pomgate.pipeline import Analysis
from tests.helpers import analyze, docs, ingress, secret, service, simple_rule

P = "ingress.pomerium.io"
DOMAIN_POLICY = '[{"allow":{"or":[{"domain":{"is":"example.com"}}]}}]'


def found(analysis: Analysis, rule: str) -> list[Finding]:
    return [f for f in analysis.findings if f.rule == rule]


def line_text(text: str, finding: Finding) -> str:
    assert finding.line is not None
    return text.splitlines()[finding.line - 1]


class TestNoPolicy:
    def test_route_without_any_access_setting_is_a_warning(self) -> None:
        text = docs(ingress(), service())
        (finding,) = found(analyze(text), "access/no-policy")
        assert finding.severity is Severity.WARNING
        assert "https://app.example.com" in finding.message
        assert "denies every request" in finding.message

    def test_policy_with_only_deny_rules_admits_nobody(self) -> None:
        text = docs(ingress(annotations={f"{P}/policy": '[{"deny":{"or":[{"email":{"is":"a@b.c"}}]}}]'}), service())
        assert found(analyze(text), "access/no-policy")

    def test_any_access_setting_silences_it(self) -> None:
        for key, value in [
            ("policy", DOMAIN_POLICY),
            ("allowed_users", '["a@example.com"]'),
            ("allowed_domains", '["example.com"]'),
            ("allow_any_authenticated_user", "true"),
            ("allow_public_unauthenticated_access", "true"),
        ]:
            text = docs(ingress(annotations={f"{P}/{key}": value}), service())
            assert not found(analyze(text), "access/no-policy"), key

    def test_http01_solver_ingresses_and_failed_ingresses_are_exempt(self) -> None:
        solver = ingress(labels={"acme.cert-manager.io/http01-solver": "true"})
        assert not found(analyze(docs(solver, service())), "access/no-policy")
        broken = ingress(annotations={f"{P}/policy": '[{"allow":{"maybe":[]}}]'})
        assert not found(analyze(docs(broken, service())), "access/no-policy")


class TestPublicRoute:
    def test_public_flag_is_reported_at_its_annotation_line(self) -> None:
        text = docs(ingress(annotations={f"{P}/allow_public_unauthenticated_access": "true"}), service())
        (finding,) = found(analyze(text), "access/public-route")
        assert finding.severity is Severity.WARNING
        assert "allow_public_unauthenticated_access" in line_text(text, finding)
        assert finding.column == line_text(text, finding).index(P) + 1

    def test_policy_that_accepts_everyone_is_public(self) -> None:
        text = docs(ingress(annotations={f"{P}/policy": '[{"allow":{"or":[{"accept":true}]}}]'}), service())
        (finding,) = found(analyze(text), "access/public-route")
        assert "matches every request" in finding.message

    def test_restricted_policy_is_not_public(self) -> None:
        text = docs(ingress(annotations={f"{P}/policy": DOMAIN_POLICY}), service())
        assert not found(analyze(text), "access/public-route")

    def test_suppression_with_reason_hides_it(self) -> None:
        annotations = {
            f"{P}/allow_public_unauthenticated_access": "true",
            "pomgate.io/ignore": "access/public-route: public status page",
        }
        analysis = analyze(docs(ingress(annotations=annotations), service()))
        assert not found(analysis, "access/public-route")
        assert not found(analysis, "suppression/unused")


def test_tls_skip_verify_is_a_warning_at_the_annotation() -> None:
    annotations = {f"{P}/policy": DOMAIN_POLICY, f"{P}/secure_upstream": "true", f"{P}/tls_skip_verify": "true"}
    text = docs(ingress(annotations=annotations), service())
    (finding,) = found(analyze(text), "upstream/tls-skip-verify")
    assert "tls_skip_verify" in line_text(text, finding)
    off = {**annotations, f"{P}/tls_skip_verify": "false"}
    assert not found(analyze(docs(ingress(annotations=off), service())), "upstream/tls-skip-verify")


class TestShadowedRoute:
    def test_same_host_and_path_in_two_ingresses_warns_on_the_later_one(self) -> None:
        policy = {f"{P}/policy": DOMAIN_POLICY}
        text = docs(
            ingress(name="b-new", annotations=policy, rules=simple_rule(service="v2")),
            ingress(name="a-old", annotations=policy, rules=simple_rule(service="v1")),
            service(name="v1"),
            service(name="v2"),
        )
        (finding,) = found(analyze(text), "routing/shadowed-route")
        assert finding.obj is not None and finding.obj.name == "b-new"
        assert "default/a-old" in finding.message
        assert "path:" in line_text(text, finding)

    def test_different_paths_or_hosts_do_not_shadow(self) -> None:
        text = docs(
            ingress(name="a", rules=simple_rule(path="/")),
            ingress(name="b", rules=simple_rule(path="/v2")),
            ingress(name="c", rules=simple_rule(host="other.example.com")),
            service(),
        )
        assert not found(analyze(text), "routing/shadowed-route")

    def test_one_ingress_is_never_reported_against_itself(self) -> None:
        rules = simple_rule(path="/a") + simple_rule(path="/b")
        assert not found(analyze(docs(ingress(rules=rules), service())), "routing/shadowed-route")


class TestCertManager:
    TLS = "tls:\n  - hosts: [app.example.com]\n    secretName: app-tls"

    def test_tls_secret_without_issuer_or_secret_is_a_warning_at_secret_name(self) -> None:
        text = docs(
            ingress(extra_spec=self.TLS),
            service(),
            secret("app-tls", {"tls.crt": "x", "tls.key": "y"}, namespace="other", secret_type="kubernetes.io/tls"),
        )
        (finding,) = found(analyze(text), "certmanager/tls-secret-without-issuer")
        assert "secretName: app-tls" in line_text(text, finding)
        assert "exists in namespace other" in finding.message

    def test_issuer_annotation_certificate_or_secret_provide_it(self) -> None:
        with_issuer = ingress(annotations={"cert-manager.io/cluster-issuer": "le"}, extra_spec=self.TLS)
        certificate = (
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: app\n  namespace: default\n"
            "spec:\n  secretName: app-tls\n  dnsNames: [app.example.com]\n"
        )
        for text in (
            docs(with_issuer, service()),
            docs(ingress(extra_spec=self.TLS), certificate, service()),
            docs(
                ingress(extra_spec=self.TLS),
                service(),
                secret("app-tls", {"tls.crt": "x", "tls.key": "y"}, secret_type="kubernetes.io/tls"),
            ),
        ):
            assert not found(analyze(text), "certmanager/tls-secret-without-issuer")

    def test_issuer_solver_class_of_another_controller_is_reported_on_the_issuer(self) -> None:
        issuer = (
            "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: le\n  namespace: default\n"
            "spec:\n  acme:\n    solvers:\n      - http01:\n          ingress:\n            class: nginx\n"
        )
        text = docs(ingress(annotations={"cert-manager.io/issuer": "le"}, extra_spec=self.TLS), issuer, service())
        (finding,) = found(analyze(text), "certmanager/http01-solver-class")
        assert finding.obj is not None and finding.obj.kind == "Issuer"
        assert "class: nginx" in line_text(text, finding)
        assert finding.hint == "class: pomerium"
        fixed = text.replace("class: nginx", "class: pomerium")
        assert not found(analyze(fixed), "certmanager/http01-solver-class")

    def test_per_ingress_class_override_must_name_pomerium(self) -> None:
        annotations = {"cert-manager.io/cluster-issuer": "le", "acme.cert-manager.io/http01-ingress-class": "nginx"}
        text = docs(ingress(annotations=annotations, extra_spec=self.TLS), service())
        (finding,) = found(analyze(text), "certmanager/http01-solver-class")
        assert "http01-ingress-class" in line_text(text, finding)
