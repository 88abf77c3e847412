"""Property: any annotation values and any YAML documents end in findings or routes, never a crash."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pomgate.pipeline import analyze_objects
from pomgate.scanning.scan import scan_text
from pomgate.translation import annotation_table
from pomgate.translation.options import TranslateOptions

P = "ingress.pomerium.io"
NAMES = sorted(annotation_table.KNOWN | {"allowed_groups", "bogus_secret", "Policy"})

BASE = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: fuzz
  namespace: default
  annotations: {annotations}
spec:
  ingressClassName: pomerium
  tls:
    - hosts: [a.example.com]
      secretName: tls
  defaultBackend:
    service: {{name: svc, port: {{number: 80}}}}
  rules:
    - host: a.example.com
      http:
        paths:
          - path: /x
            pathType: {path_type}
            backend:
              service: {{name: svc, port: {{name: http}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: svc, namespace: default}}
spec:
  ports: [{{name: http, port: 80}}]
---
apiVersion: v1
kind: Secret
metadata: {{name: s, namespace: default}}
type: Opaque
data: {{a: YQ==}}
"""

annotation_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "true",
            "True",
            "yes",
            "~",
            "[a, b]",
            "{a: 1}",
            "1e3",
            "0x1F",
            "2024-01-01",
            "*x",
            "allow: {and: [{email: a}]}",
            "- allow:\n    or: []",
            "s",
            "30s",
            ".inf",
            "1: a",
        ]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.dictionaries(st.sampled_from(NAMES), annotation_values, max_size=6),
    path_type=st.sampled_from(["Prefix", "Exact", "ImplementationSpecific", "Bogus"]),
    live=st.booleans(),
)
def test_arbitrary_annotation_values_never_raise(values: dict[str, str], path_type: str, live: bool) -> None:
    annotations = json.dumps({f"{P}/{k}": v for k, v in values.items()})
    text = BASE.format(annotations=annotations, path_type=path_type)
    objects, findings = scan_text(text, "fuzz.yaml", "default")
    analysis = analyze_objects(objects, TranslateOptions(live=live), scan_findings=findings)
    for outcome in analysis.translation.outcomes:
        assert outcome.failed or outcome.routes or not outcome.managed
        if outcome.failed:
            assert outcome.routes == []


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8))
json_values = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    spec=json_values,
    metadata=json_values,
    kind=st.sampled_from(["Ingress", "Service", "Secret", "Endpoints", "IngressClass", "EndpointSlice"]),
)
def test_arbitrary_documents_never_raise(spec: object, metadata: object, kind: str) -> None:
    api = {
        "Ingress": "networking.k8s.io/v1",
        "IngressClass": "networking.k8s.io/v1",
        "EndpointSlice": "discovery.k8s.io/v1",
    }.get(kind, "v1")
    meta = metadata if isinstance(metadata, dict) else {}
    document = {
        "apiVersion": api,
        "kind": kind,
        "metadata": {**meta, "name": "x"},
        "spec": spec,
        "data": spec,
        "subsets": spec,
    }
    objects, findings = scan_text(json.dumps(document), "doc.json", "default")
    analyze_objects(objects, TranslateOptions(), scan_findings=findings)


@given(st.text(), st.text())
def test_descending_sort_keys_reverse_the_byte_order_of_any_two_texts(a: str, b: str) -> None:
    """Route sort keys are plain bytes; the descending parts must flip the order exactly (prefixes, NULs too)."""
    from pomgate.translation.route import _descending

    raw_a, raw_b = a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    assert (_descending(a) < _descending(b)) == (raw_a > raw_b)
    assert (_descending(a) == _descending(b)) == (raw_a == raw_b)
    assert (_descending(a + "\x00") < _descending(a)) and (_descending(a + "\xff") < _descending(a))
