"""scan() and scan_text(): Kubernetes objects with origins, and what is skipped or reported."""

from __future__ import annotations

import gc
import io
import json
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.scanning import scan as scan_module
from pomgate.scanning.discover import InputFile
from pomgate.scanning.manifest import LineDict, ManifestObject, Origin
from pomgate.scanning.scan import ScanResult, scan, scan_text

INGRESS_AND_SERVICE = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    ingress.pomerium.io/allow_any_authenticated_user: "true"
    ingress.pomerium.io/secure_upstream: yes
    ingress.pomerium.io/not_before: 2024-01-01
spec:
  ingressClassName: pomerium
  rules:
    - host: web.example.com
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 80}]
"""


def read(text: str, path: str = "m.yaml", namespace: str = "default") -> tuple[list[ManifestObject], list[Finding]]:
    return scan_text(textwrap.dedent(text), path, namespace)


def summary(findings: list[Finding]) -> list[tuple[str, Severity, int | None]]:
    return [(finding.rule, finding.severity, finding.line) for finding in findings]


def test_objects_from_a_multi_document_file() -> None:
    objects, findings = read(INGRESS_AND_SERVICE, "apps/shop/web.yaml")
    assert findings == []
    ingress, service = objects
    assert (ingress.api_version, ingress.kind, ingress.name, ingress.namespace) == (
        "networking.k8s.io/v1",
        "Ingress",
        "web",
        "shop",
    )
    assert ingress.origin == Origin("apps/shop/web.yaml", 0, 1, None)
    assert not ingress.namespace_defaulted
    assert service.ref == ObjectRef("Service", "default", "web")
    assert service.namespace_defaulted
    assert service.origin == Origin("apps/shop/web.yaml", 1, 15, None)
    assert isinstance(ingress.raw, LineDict)


def test_kubectl_scalar_reading_reaches_the_objects() -> None:
    (ingress, _), _ = read(INGRESS_AND_SERVICE)
    annotations = ingress.raw["metadata"]["annotations"]
    assert annotations["ingress.pomerium.io/allow_any_authenticated_user"] == "true"
    assert annotations["ingress.pomerium.io/secure_upstream"] is True
    assert annotations["ingress.pomerium.io/not_before"] == "2024-01-01"


def test_line_numbers_of_annotation_keys() -> None:
    (ingress, service), _ = read(INGRESS_AND_SERVICE)
    assert ingress.line_of(("metadata", "annotations", "ingress.pomerium.io/secure_upstream")) == 8
    assert ingress.line_of(("metadata", "annotations", "ingress.pomerium.io/not_before")) == 9
    assert ingress.line_of(("spec", "rules", 0, "host")) == 13
    assert ingress.line_of(("metadata", "annotations", "missing")) == 6
    assert service.line_of(("spec", "ports", 0, "port")) == 20


def test_crlf_file_gives_the_same_lines() -> None:
    (ingress, service), findings = scan_text(INGRESS_AND_SERVICE.replace("\n", "\r\n").encode(), "m.yaml")
    assert findings == []
    assert ingress.line_of(("metadata", "annotations", "ingress.pomerium.io/not_before")) == 9
    assert service.origin.line == 15


def test_default_namespace_and_cluster_scoped_kinds() -> None:
    objects, _ = read(
        """\
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: pomerium, namespace: ignored}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: s, namespace: ""}
        ---
        apiVersion: ingress.pomerium.io/v1
        kind: Pomerium
        metadata: {name: global}
        """,
        namespace="team-a",
    )
    assert [(o.kind, o.namespace, o.namespace_defaulted) for o in objects] == [
        ("IngressClass", "", False),
        ("Namespace", "", False),
        ("Secret", "team-a", True),
        ("Pomerium", "", False),
    ]


def test_kind_list_items_become_objects() -> None:
    objects, findings = read(
        """\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Service
            metadata:
              name: one
          - apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: two, namespace: x}
        ---
        apiVersion: networking.k8s.io/v1
        kind: IngressList
        metadata: {}
        items:
          - apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: three}
        ---
        apiVersion: v1
        kind: List
        items:
        """
    )
    assert findings == []
    assert [(o.kind, o.name, o.namespace, o.origin) for o in objects] == [
        ("Service", "one", "default", Origin("m.yaml", 0, 4, 0)),
        ("Ingress", "two", "x", Origin("m.yaml", 0, 8, 1)),
        ("Ingress", "three", "default", Origin("m.yaml", 1, 16, 0)),
    ]
    assert objects[1].line_of(("metadata", "name")) == 10


def test_list_items_that_are_not_objects_are_reported() -> None:
    objects, findings = read(
        """\
        apiVersion: v1
        kind: List
        items:
          - just a string
          - kind: Service
            metadata: {name: no-api-version}
        """
    )
    assert objects == []
    assert summary(findings) == [
        ("input/not-an-object", Severity.WARNING, 3),
        ("input/not-an-object", Severity.WARNING, 5),
    ]


def test_non_object_documents_are_skipped_silently() -> None:
    kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
    helm_values = "replicaCount: 2\nimage: {repository: nginx}\n---\n- a\n- b\n---\njust text\n"
    renovate = json.dumps({"extends": ["config:base"], "packageRules": []}, indent=2)
    for text, path in [
        (kustomization, "kustomization.yaml"),
        (helm_values, "values.yaml"),
        (renovate, "renovate.json"),
        ("", "empty.yaml"),
        ("# only a comment\n---\n", "c.yaml"),
    ]:
        assert scan_text(text, path) == ([], []), path


def test_stray_documents_next_to_objects_are_reported() -> None:
    objects, findings = read(
        """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c}
        ---
        - a list
        ---
        a stray line
        ---
        kind: Service
        metadata: {name: half}
        ---
        plain: mapping
        """,
        "mixed.yaml",
    )
    assert [o.name for o in objects] == ["c"]
    assert summary(findings) == [
        ("input/not-an-object", Severity.WARNING, 5),
        ("input/not-an-object", Severity.WARNING, 7),
        ("input/not-an-object", Severity.WARNING, 9),
    ]
    assert all(finding.path == "mixed.yaml" for finding in findings)
    assert "apiVersion" in findings[2].message


@pytest.mark.parametrize(
    ("metadata", "line"),
    [
        ("metadata: {namespace: x}", 3),
        ("metadata: {name: ''}", 3),
        ("metadata: {name: 12}", 3),
        ("metadata: {name: yes}", 3),
        ("metadata:\n  name:", 4),
        ("metadata: just-a-name", 3),
        ("spec: {}", 1),
    ],
)
def test_object_without_a_valid_name_is_an_error(metadata: str, line: int) -> None:
    objects, findings = read(f"apiVersion: v1\nkind: Service\n{metadata}\n", "svc.yaml")
    assert objects == []
    assert summary(findings) == [("input/object-missing-name", Severity.ERROR, line)]
    assert findings[0].path == "svc.yaml"
    assert "Service" in findings[0].message


def test_generate_name_is_explained() -> None:
    _, findings = read("apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: run-\n")
    assert "generateName" in findings[0].message


def test_non_string_namespace_is_an_error() -> None:
    objects, findings = read("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: 5\n")
    assert objects == []
    assert summary(findings) == [("input/object-invalid-namespace", Severity.ERROR, 5)]
    assert findings[0].obj == ObjectRef("Service", "", "s")


def test_duplicate_keys_are_reported_with_the_object() -> None:
    objects, findings = read(
        """\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: first
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: second
          labels: {a: "1"}
          labels: {b: "2"}
        """
    )
    assert objects[1].raw["metadata"]["labels"] == {"b": "2"}
    assert summary(findings) == [("input/yaml-duplicate-key", Severity.WARNING, 11)]
    assert findings[0].obj == ObjectRef("ConfigMap", "default", "second")


def test_duplicate_keys_in_non_object_documents_are_not_reported() -> None:
    assert scan_text("a: 1\na: 2\n", "values.yaml") == ([], [])


def test_json_manifest() -> None:
    document = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "labels": {"tier": "web"}}}
    (service,), findings = scan_text(json.dumps(document, indent=2), "svc.json")
    assert findings == []
    assert service.raw == document
    assert service.line_of(("metadata", "labels", "tier")) == 7


def test_syntax_error_keeps_the_other_documents() -> None:
    objects, findings = read(
        """\
        apiVersion: v1
        kind: Service
        metadata: {name: before}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: [broken}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: after}
        """
    )
    assert [(o.name, o.origin.document) for o in objects] == [("before", 0), ("after", 2)]
    assert [f.rule for f in findings] == ["input/yaml-syntax"]
    assert findings[0].path == "m.yaml"
    assert findings[0].line == 7


def test_binary_and_latin1_content() -> None:
    assert summary(scan_text(b"\x89PNG\r\n\x1a\n\x00\x00", "logo.yaml")[1]) == [("input/not-text", Severity.ERROR, 3)]
    assert summary(scan_text("name: caf\xe9\n".encode("latin-1"), "x.yaml")[1]) == [
        ("input/not-text", Severity.ERROR, 1)
    ]


def test_bom_is_accepted() -> None:
    objects, findings = scan_text(b"\xef\xbb\xbf" + INGRESS_AND_SERVICE.encode(), "bom.yaml")
    assert findings == []
    assert [o.kind for o in objects] == ["Ingress", "Service"]


def test_alias_bomb_and_deep_nesting_do_not_stop_the_file() -> None:
    bomb = "\n".join(
        ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
        + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
    )
    text = f"{bomb}\n---\n{'[' * 5000}{']' * 5000}\n---\n" + INGRESS_AND_SERVICE
    objects, findings = scan_text(text, "evil.yaml")
    assert [o.kind for o in objects] == ["Ingress", "Service"]
    assert [f.rule for f in findings] == ["input/yaml-alias-limit", "input/yaml-too-deep"]


# -- scan() over files ---------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    (tmp_path / "apps" / "shop").mkdir(parents=True)
    (tmp_path / "apps" / "shop" / "web.yaml").write_text(INGRESS_AND_SERVICE)
    (tmp_path / "apps" / "shop" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [web.yaml]\n"
    )
    (tmp_path / "apps" / "api.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}})
    )
    (tmp_path / "apps" / "broken.yaml").write_text("apiVersion: v1\nkind: [\n")
    (tmp_path / "README.md").write_text("kind: Service\n")
    (tmp_path / "renovate.json").write_text('{"extends": ["config:base"]}\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_scan_a_directory(repo: Path) -> None:
    result = scan(["."], default_namespace="ops")
    assert isinstance(result, ScanResult)
    assert result.files == [
        "renovate.json",
        "apps/api.json",
        "apps/broken.yaml",
        "apps/shop/kustomization.yaml",
        "apps/shop/web.yaml",
    ]
    assert [(o.kind, o.namespace, o.name, o.origin.path) for o in result.objects] == [
        ("Service", "ops", "api", "apps/api.json"),
        ("Ingress", "shop", "web", "apps/shop/web.yaml"),
        ("Service", "ops", "web", "apps/shop/web.yaml"),
    ]
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("input/yaml-syntax", "apps/broken.yaml", 2)]


def test_scan_is_deterministic(repo: Path) -> None:
    first, second = scan(["."]), scan([str(repo)])
    assert [o.ref for o in first.objects] == [o.ref for o in second.objects]
    assert first.files == second.files


def test_scan_missing_input(repo: Path) -> None:
    result = scan(["apps/shop/web.yaml", "nowhere.yaml"])
    assert len(result.objects) == 2
    assert [(f.rule, f.path) for f in result.findings] == [("input/not-found", "nowhere.yaml")]
    assert result.files == ["apps/shop/web.yaml"]


def test_scan_stdin_text(repo: Path) -> None:
    result = scan(["-"], stdin_text=INGRESS_AND_SERVICE)
    assert result.files == ["<stdin>"]
    assert [o.origin.path for o in result.objects] == ["<stdin>", "<stdin>"]


def test_scan_stdin_stream(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStdin:
        buffer = io.BytesIO(b"apiVersion: v1\r\nkind: Service\r\nmetadata: {name: piped}\r\n")

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    result = scan(["apps/api.json", "-"])
    assert [(o.name, o.origin.path) for o in result.objects] == [("api", "apps/api.json"), ("piped", "<stdin>")]


def test_unreadable_file_is_reported(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_discover(paths: object) -> tuple[list[InputFile], list[Finding]]:
        return [InputFile("gone.yaml", str(repo / "gone.yaml")), InputFile("apps/api.json", "apps/api.json")], []

    monkeypatch.setattr(scan_module, "discover", fake_discover)
    result = scan(["whatever"])
    assert [(f.rule, f.severity, f.path) for f in result.findings] == [
        ("input/unreadable", Severity.ERROR, "gone.yaml")
    ]
    assert [o.name for o in result.objects] == ["api"]
    assert result.files == ["apps/api.json"]


def test_garbage_collector_state_is_restored(repo: Path) -> None:
    assert gc.isenabled()
    scan(["."])
    assert gc.isenabled()
    gc.disable()
    try:
        scan_text(INGRESS_AND_SERVICE, "m.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- properties ----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_scan_text_never_raises_on_text(text: str) -> None:
    objects, findings = scan_text(text, "fuzz.yaml")
    assert all(finding.path == "fuzz.yaml" for finding in findings)
    assert all(obj.origin.path == "fuzz.yaml" for obj in objects)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_scan_text_never_raises_on_bytes(data: bytes) -> None:
    scan_text(data, "fuzz.yaml")


MANIFEST_PIECES = st.lists(
    st.sampled_from(
        [
            "apiVersion: v1\n",
            "kind: List\n",
            "kind: Service\n",
            "metadata:\n",
            "  name: a\n",
            "  name: [\n",
            "  namespace: 3\n",
            "items:\n",
            "  - ",
            "- ",
            "---\n",
            "&x ",
            "*x\n",
            "<<: *x\n",
            "name: ~\n",
            "\x01",
            "metadata: {name: b}\n",
            "  ",
            "\r\n",
            "'",
            "yes\n",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(MANIFEST_PIECES)
def test_scan_text_never_raises_on_manifest_like_text(text: str) -> None:
    objects, _ = scan_text(text, "fuzz.yaml")
    for obj in objects:
        assert isinstance(obj.name, str) and obj.name
        assert isinstance(obj.namespace, str)
