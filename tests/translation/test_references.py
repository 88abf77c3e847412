"""References to objects that are absent, elsewhere, or rejected by Kubernetes; RE2 hints."""

from __future__ import annotations

from tests.helpers import analyze, docs, ingress, secret, service, simple_rule

P = "ingress.pomerium.io"


def test_missing_service_points_at_a_same_named_one_in_another_namespace() -> None:
    text = docs(ingress(), service(namespace="other"))
    (finding,) = [f for f in analyze(text).findings if f.rule == "reference/service-missing"]
    assert "Service default/svc" in finding.message
    assert "exists in namespace other" in finding.message


def test_secret_that_kubernetes_rejects_is_not_called_absent() -> None:
    broken = secret("hdrs", {"X A": "1"})  # a space is not allowed in a Secret key
    text = docs(ingress(annotations={f"{P}/set_request_headers_secret": "hdrs"}), service(), broken)
    analysis = analyze(text)
    (finding,) = [f for f in analysis.findings if f.rule == "reference/secret-missing"]
    assert "is in the input, but Kubernetes rejects it" in finding.message
    assert any(f.rule.startswith("k8s/") and f.obj and f.obj.kind == "Secret" for f in analysis.findings)


def test_re2_lookahead_hint_does_not_suggest_the_same_regex() -> None:
    rules = simple_rule(path="/(?!admin).*", path_type="ImplementationSpecific")
    text = docs(ingress(annotations={f"{P}/path_regex": "true"}, rules=rules), service())
    (finding,) = [f for f in analyze(text).findings if f.rule == "regex/re2"]
    assert finding.hint is not None and "lookaround" in finding.hint
