"""Fix hints in the file's own syntax, and `pomgate check --fix` / `--diff` on files under review."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pomgate.findings import Finding
from pomgate.fixes.files import apply_edits
from pomgate.fixes.suggest import TextEdit, json_hint, suggest_duration, suggest_fix
from pomgate.translation.values import go_duration_nanoseconds
from tests.helpers import analyze, docs, ingress, service, simple_rule

P = "ingress.pomerium.io"


def json_ingress(annotations: dict[str, object]) -> str:
    """A JSON Ingress whose annotation values are written as given (numbers and bools stay unquoted)."""
    document = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "app", "namespace": "default", "annotations": annotations},
        "spec": {
            "ingressClassName": "pomerium",
            "rules": [
                {
                    "host": "a.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "svc", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }
    return json.dumps(document, indent=2) + "\n"


def findings_of(path: Path, *extra: str) -> list[dict[str, object]]:
    """`pomgate check --format json` of ``path``'s folder: the findings."""
    done = pomgate("check", "--no-build", "--no-cache", "-f", "json", *extra, ".", cwd=path)
    findings: list[dict[str, object]] = json.loads(done.stdout)["findings"]
    return findings


def pomgate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )


def the_finding(findings: list[dict[str, object]], rule: str) -> dict[str, object]:
    (found,) = [f for f in findings if f["rule"] == rule]
    return found


# ---------------------------------------------------------------- hints in the file's syntax


def test_a_json_file_gets_json_fix_hints_and_a_number_duration_is_told_it_needs_a_unit(tmp_path: Path) -> None:
    (tmp_path / "app.json").write_text(json_ingress({f"{P}/timeout": 30, f"{P}/allow_websockets": True}))
    (tmp_path / "svc.yaml").write_text(service())
    findings = findings_of(tmp_path)
    websockets = next(f for f in findings if f"{P}/allow_websockets" in str(f["message"]))
    hint = str(websockets["hint"])
    assert json.loads("{" + hint + "}") == {f"{P}/allow_websockets": "true"}  # a JSON member, quoted value
    timeout = next(f for f in findings if f["rule"] == "k8s/annotation-not-string" and "timeout" in str(f["hint"]))
    member = json.loads("{" + str(timeout["hint"]) + "}")
    suggested = member[f"{P}/timeout"]
    assert go_duration_nanoseconds(suggested) == 30 * 10**9  # a duration the controller accepts: 30 seconds
    assert "fixable" not in timeout  # which unit was meant is the user's call


def test_the_suggested_values_pass_the_controllers_own_decoding(tmp_path: Path) -> None:
    annotations = {f"{P}/idle_timeout": "5 minutes", f"{P}/allowed_users": "alice@example.com", f"{P}/timeout": "30"}
    (tmp_path / "app.yaml").write_text(docs(ingress(annotations=annotations), service()))
    findings = [f for f in findings_of(tmp_path) if f["rule"] == "annotation/value"]
    assert len(findings) == 3 and all(f.get("hint") for f in findings)
    fixed = dict(annotations)
    for finding in findings:
        (pair,) = yaml.safe_load(str(finding["hint"])).items()
        fixed[pair[0]] = pair[1]
    (tmp_path / "app.yaml").write_text(docs(ingress(annotations=fixed), service()))
    assert not [f for f in findings_of(tmp_path) if f["severity"] == "error"]


def test_the_text_report_leads_with_the_cause_in_the_users_terms(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(docs(ingress(annotations={f"{P}/idle_timeout": "5 minutes"}), service()))
    out = pomgate("check", "--no-build", "--no-cache", ".", cwd=tmp_path).stdout
    lines = out.splitlines()
    head = next(line for line in lines if "idle_timeout" in line and "error" in line)
    assert "'5 minutes' is not a duration" in head and "unit" in head  # not the protobuf wording
    assert "google.protobuf.Duration" not in head
    controller = next(line for line in lines if line.strip().startswith("controller:"))
    assert "invalid google.protobuf.Duration value" in controller  # the controller's words follow
    assert lines.index(controller) > lines.index(head)


def test_a_service_port_mistake_says_what_the_service_has_before_the_error_chain(tmp_path: Path) -> None:
    rule = simple_rule(port="name: http")
    (tmp_path / "app.yaml").write_text(docs(ingress(rules=rule), service(ports=[("web", 80, 8080)])))
    out = pomgate("check", "--no-build", "--no-cache", ".", cwd=tmp_path).stdout
    lines = out.splitlines()
    head = next(line for line in lines if " error " in f" {line} " and "port" in line)
    assert "has ports: web" in head and "pathToRoute" not in head
    chain = next(line for line in lines if "controller:" in line)
    assert "pathToRoute" in chain and "get service hosts" in chain


def test_duration_words_become_go_durations() -> None:
    for written, seconds in (("5 minutes", 300), ("1d", 86400), ("1 hour and 30 minutes", 5400), ("30", 30)):
        suggested = suggest_duration(written)
        assert suggested is not None and go_duration_nanoseconds(suggested) == seconds * 10**9, written
    assert suggest_duration("fast") is None


def test_yaml_hints_of_other_rules_become_json_members_in_a_json_file() -> None:
    assert json_hint("pathType: Prefix", "pathType") == '"pathType": "Prefix"'
    assert json_hint("give each TCP/UDP service its own hostname", "host") is None  # prose stays prose
    finding = Finding("k8s/ingress-path", analyze(ingress()).findings[0].severity, "x", path="a.json", hint="path: /a")
    finding.field = ("spec", "rules", 0, "http", "paths", 0, "path")
    fix = suggest_fix(finding, None)
    assert fix is not None and json.loads("{" + fix.hint + "}") == {"path": "/a"}


def test_edits_that_overlap_or_do_not_find_their_text_are_refused() -> None:
    text = "a: 1\nb: 2\n"
    assert apply_edits(text, [TextEdit(3, 4, "1", '"1"'), TextEdit(8, 9, "2", '"2"')]) == 'a: "1"\nb: "2"\n'
    assert apply_edits(text, [TextEdit(3, 4, "9", '"9"')]) is None
    assert apply_edits(text, [TextEdit(3, 9, "1\nb: 2", "x"), TextEdit(8, 9, "2", "y")]) is None


# ---------------------------------------------------------------- --fix and --diff

ORIGINAL = """\
# the team's app   (a comment, and odd spacing, that must survive)
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web   # trailing comment
  annotations:
    ingress.pomerium.io/pass_identity_headers: true
    ingress.pomerium.io/alow_websockets:   "true"
    ingress.pomerium.io/allowed_users: '["alice@example.com"]'
    ingress.pomerium.io/path_regex: "true"
spec:
  ingressClassName: pomerium
  rules:
    - host: app.example.com
      http:
        paths:
          - path: '^/(admin|superuser)/.*$'   # as in the older docs
            pathType: ImplementationSpecific
            backend: {service: {name: svc, port: {number: 80}}}
---
""" + service().replace("\n", "\r\n")  # another line-ending style in the same file


def test_fix_applies_the_safe_fixes_and_keeps_every_other_byte(tmp_path: Path) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_bytes(ORIGINAL.encode())
    manifest.chmod(0o640)
    before = findings_of(tmp_path)
    fixable = {f["rule"] for f in before if f.get("fixable")}
    assert fixable == {"k8s/annotation-not-string", "annotation/unknown", "k8s/ingress-path"}
    done = pomgate("check", "--no-build", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert "fixed 3 finding(s) in 1 file(s)" in done.stderr
    after = manifest.read_bytes().decode()
    expected = (
        ORIGINAL.replace("pass_identity_headers: true", 'pass_identity_headers: "true"')
        .replace("/alow_websockets:", "/allow_websockets:")
        .replace("'^/(admin|superuser)/.*$'", "'/(admin|superuser)/.*'")
    )
    assert after == expected
    assert manifest.stat().st_mode & 0o777 == 0o640
    assert not [f for f in findings_of(tmp_path) if f["severity"] == "error"]
    assert done.returncode == 0, done.stdout  # what is left is reported after the fix: nothing failing


def test_diff_previews_without_writing_and_json_files_stay_json(tmp_path: Path) -> None:
    manifest = tmp_path / "app.json"
    manifest.write_text(json_ingress({f"{P}/allow_websockets": True, f"{P}/allowed_users": '["a@example.com"]'}))
    original = manifest.read_bytes()
    done = pomgate("check", "--no-build", "--no-cache", "--diff", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert f'-      "{P}/allow_websockets": true,' in done.stdout
    assert f'+      "{P}/allow_websockets": "true",' in done.stdout
    assert manifest.read_bytes() == original
    pomgate("check", "--no-build", "--no-cache", "--fix", ".", cwd=tmp_path)
    fixed = json.loads(manifest.read_text())
    assert fixed["metadata"]["annotations"][f"{P}/allow_websockets"] == "true"
    assert manifest.read_text() == original.decode().replace(": true,", ': "true",', 1)
    clean = pomgate("check", "--no-build", "--no-cache", "--diff", ".", cwd=tmp_path)
    assert clean.returncode == 0 and clean.stdout == ""


def test_fix_keeps_a_utf16_file_utf16_with_its_byte_order_mark(tmp_path: Path) -> None:
    manifest = tmp_path / "app.yaml"
    text = docs(ingress(annotations={f"{P}/allow_websockets": "true"}), service()).replace('"true"', "true")
    manifest.write_bytes(text.encode("utf-16"))
    pomgate("check", "--no-build", "--no-cache", "--fix", ".", cwd=tmp_path)
    data = manifest.read_bytes()
    assert data.startswith(b"\xff\xfe") and data.decode("utf-16") == text.replace(": true", ': "true"')


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_fix_never_writes_through_a_link_or_outside_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "victim.yaml"
    text = docs(ingress(annotations={f"{P}/allow_websockets": "true"}), service()).replace('"true"', "true")
    target.write_text(text)
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (repository / "linked.yaml").symlink_to(target)
    (repository / "folder").symlink_to(outside, target_is_directory=True)
    done = pomgate("check", "--no-build", "--no-cache", "--fix", "linked.yaml", "folder/victim.yaml", cwd=repository)
    assert target.read_text() == text
    assert "not fixed" in done.stderr


def test_fix_refuses_a_file_that_changed_since_it_was_read(tmp_path: Path) -> None:
    from pomgate.fixes.files import plan_fixes, write_plans
    from pomgate.scanning.source import SourceLines

    manifest = tmp_path / "app.yaml"
    text = "metadata:\n  annotations:\n    a/b: true\n"
    manifest.write_text(text)
    finding = Finding("k8s/annotation-not-string", analyze(ingress()).findings[0].severity, "x", path="app.yaml")
    finding.line, finding.field = 3, ("metadata", "annotations", "a/b")
    sources = SourceLines({}, {"app.yaml": str(manifest)})
    plans = plan_fixes([finding], sources, str(tmp_path.resolve()))
    assert plans[0].edits and plans[0].refused is None
    manifest.write_text(text + "# edited meanwhile\n")
    assert write_plans(plans, str(tmp_path.resolve())) == 0
    assert plans[0].refused and manifest.read_text().endswith("# edited meanwhile\n")


def test_the_fix_diff_masks_secret_data_in_its_context_lines(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: default\n  annotations:\n"
        "    example.com/rotate: true\nstringData:\n  password: hunter2-very-secret\n  token: abc\n"
    )
    done = pomgate("check", "--no-build", "--no-cache", "--diff", ".", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert '+    example.com/rotate: "true"' in done.stdout and "-    example.com/rotate: true" in done.stdout
    assert "  password: <redacted>" in done.stdout
    assert "hunter2" not in done.stdout and "abc" not in done.stdout
