"""Typing scanned objects: what Kubernetes itself refuses to decode, and Secret producers."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.kube.inventory import build_inventory
from pomgate.scanning.scan import scan_text
from tests.helpers import analyze, errors, rules_of

UNQUOTED = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: default
  annotations:
    ingress.pomerium.io/secure_upstream: true
    ingress.pomerium.io/timeout: 30s
spec:
  ingressClassName: pomerium
  rules:
    - host: a.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: svc
                port:
                  number: 80
"""


def test_unquoted_bool_annotation_is_an_error_on_its_line_and_the_ingress_renders_nothing() -> None:
    analysis = analyze(UNQUOTED)
    (finding,) = [f for f in analysis.findings if f.rule == "k8s/annotation-not-string"]
    assert finding.severity is Severity.ERROR
    assert finding.line == 7
    assert "secure_upstream" in finding.message
    assert analysis.translation.routes == []
    assert analysis.translation.failed


def test_null_annotation_value_becomes_empty_string() -> None:
    objects, _ = scan_text(UNQUOTED.replace("secure_upstream: true", "secure_upstream: ~"), "t.yaml", "default")
    inventory, findings = build_inventory(objects)
    assert not [f for f in findings if f.severity is Severity.ERROR]
    meta = inventory.ingresses[0].model.metadata
    assert meta.annotation_map["ingress.pomerium.io/secure_upstream"] == ""


def test_wrong_scalar_type_in_a_typed_field_is_a_decode_error_with_line() -> None:
    analysis = analyze(
        UNQUOTED.replace("secure_upstream: true", "secure_upstream: 'true'").replace("number: 80", 'number: "80"')
    )
    (finding,) = [f for f in analysis.findings if f.rule == "k8s/decode"]
    assert "port.number" in finding.message
    assert finding.line == 21


def test_removed_ingress_api_version() -> None:
    text = UNQUOTED.replace("networking.k8s.io/v1", "extensions/v1beta1").replace(": true", ": 'true'")
    analysis = analyze(text)
    assert rules_of(analysis, Severity.ERROR) == ["k8s/removed-api-version"]


def test_duplicate_objects_warn_and_the_later_wins() -> None:
    text = UNQUOTED.replace(": true", ": 'true'")
    analysis = analyze(text + "---\n" + text.replace("a.example.com", "b.example.com"))
    assert "input/duplicate-object" in rules_of(analysis, Severity.WARNING)


def test_secret_producers_give_key_names() -> None:
    text = """\
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: es, namespace: default}
spec:
  target: {name: produced}
  data:
    - secretKey: X-One
      remoteRef: {key: a}
---
apiVersion: v1
kind: Secret
metadata: {name: sops, namespace: default}
type: Opaque
data:
  X-Two: ENC[AES256_GCM,data:abc,type:str]
sops:
  version: 3.8.1
"""
    objects, _ = scan_text(text, "t.yaml", "default")
    inventory, findings = build_inventory(objects)
    assert not errors_of(findings)
    assert inventory.secret_producers[("default", "produced")].keys == frozenset({"X-One"})
    assert inventory.secret_producers[("default", "sops")].keys == frozenset({"X-Two"})
    assert ("default", "sops") not in inventory.secrets


def errors_of(findings: list) -> list:  # type: ignore[type-arg]
    return [f for f in findings if f.severity is Severity.ERROR]


def test_ingress_without_spec_is_an_error() -> None:
    analysis = analyze("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\n")
    # Kubernetes rejects it whatever its class
    assert rules_of(analysis, Severity.ERROR) == ["k8s/ingress-spec"]
    assert errors(analysis)[0].line == 1
    text = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: p
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: pomerium.io/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: x}
"""
    assert rules_of(analyze(text), Severity.ERROR) == ["k8s/ingress-spec"]


def test_unquoted_bool_offers_the_quoted_fix_and_null_warns() -> None:
    analysis = analyze(UNQUOTED.replace("secure_upstream: true", "secure_upstream: yes"))
    (finding,) = [f for f in analysis.findings if f.rule == "k8s/annotation-not-string"]
    assert finding.hint == 'ingress.pomerium.io/secure_upstream: "true"'
    analysis = analyze(UNQUOTED.replace("secure_upstream: true", "secure_upstream: ~"))
    (warning,) = [f for f in analysis.findings if f.rule == "k8s/empty-metadata-value"]
    assert warning.severity is Severity.WARNING and warning.line == 7
