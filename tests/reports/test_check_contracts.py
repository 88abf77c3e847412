"""What `check` writes: wrapped text on a terminal, `pomgate rules ID`, SARIF help, versioned JSON with schemas."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.pipeline import Analysis, analyze_objects
from pomgate.reports.check_output import write_check
from pomgate.reports.finding_formats import sarif_document
from pomgate.rules import all_rules
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from tests.helpers import docs, ingress, service, simple_rule

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
P = "ingress.pomerium.io"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def analyze_files(files: dict[str, str]) -> Analysis:
    objects, findings = [], []
    for path, text in files.items():
        found_objects, found = scan_text(text, path, "default")
        objects.extend(found_objects)
        findings.extend(found)
    return analyze_objects(objects, TranslateOptions(), scan_findings=findings, files=list(files), sources=files)


def broken_analysis() -> Analysis:
    """Findings with long messages: a non-string annotation value and a Service port name mistake."""
    long_name = f"{P}/pass_identity_headers"
    manifest = ingress(rules=simple_rule(port="name: http")).replace(
        "  namespace: default\n", f"  namespace: default\n  annotations:\n    {long_name}: true\n"
    )
    return analyze_files({"app.yaml": docs(manifest, service(ports=[("web", 80, 8080)]))})


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def pomgate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


# ---------------------------------------------------------------- text


def test_text_wraps_at_the_terminal_width_with_a_hanging_indent() -> None:
    analysis = broken_analysis()
    out = io.StringIO()
    write_check(analysis, "text", out, width=72)
    lines = out.getvalue().splitlines()
    messages = [f.message for f in analysis.findings]
    assert messages and max(len(m) for m in messages) > 72
    quoted = [line for line in lines if "│" in line]
    assert all(len(line) <= 72 for line in lines if line not in quoted), lines  # source lines are never wrapped
    head = next(index for index, line in enumerate(lines) if "pass_identity_headers" in line and "error" in line)
    continued = lines[head + 1]
    assert continued.startswith(" " * 18) and not continued.startswith(" " * 19)  # under the message's first word
    words = " ".join(line.strip() for line in lines[head : head + 4]).split()
    assert "stores" in words and "annotations" in words  # no word is broken in two


def test_piped_text_is_plain_and_unwrapped() -> None:
    analysis = broken_analysis()
    out = io.StringIO()
    write_check(analysis, "text", out)
    text = out.getvalue()
    assert "\x1b[" not in text
    longest = max(len(f.message) for f in analysis.findings if f.rule == "k8s/annotation-not-string")
    assert any(len(line) > longest for line in text.splitlines())


def test_text_points_at_the_rules_command_not_a_file_of_pomgates_repository() -> None:
    text = io.StringIO()
    write_check(broken_analysis(), "text", text)
    assert "docs/rules.md" not in text.getvalue()
    see = [line.strip() for line in text.getvalue().splitlines() if line.strip().startswith("see: ")]
    assert see and all(re.fullmatch(r"see: pomgate rules [a-z0-9-]+/[a-z0-9-]+", line) for line in see)
    for line in see:
        assert line.split()[-1] in all_rules()


def test_quiet_leaves_out_the_summary_and_prints_nothing_when_all_is_well() -> None:
    out = io.StringIO()
    write_check(broken_analysis(), "text", out, quiet=True)
    assert "error(s)" not in out.getvalue() and "see: " in out.getvalue()
    clean = analyze_files(
        {"app.yaml": docs(ingress(annotations={f"{P}/allowed_users": '["a@example.com"]'}), service())}
    )
    assert not clean.findings
    quiet = io.StringIO()
    write_check(clean, "text", quiet, quiet=True)
    assert quiet.getvalue() == ""
    loud = io.StringIO()
    write_check(clean, "text", loud)
    assert "0 error(s)" in loud.getvalue()


def test_statistics_count_findings_per_rule() -> None:
    analysis = broken_analysis()
    out = io.StringIO()
    write_check(analysis, "text", out, statistics=True)
    rows = [line.split() for line in out.getvalue().splitlines() if re.match(r"\s*\d+\s+[a-z0-9-]+/", line)]
    counted = {row[1]: int(row[0]) for row in rows}
    expected: dict[str, int] = {}
    for finding in analysis.findings:
        expected[finding.rule] = expected.get(finding.rule, 0) + 1
    assert counted == expected
    fixable = next(row for row in rows if row[1] == "k8s/annotation-not-string")
    assert "[*]" in fixable  # --fix quotes the value
    as_json = io.StringIO()
    write_check(analysis, "json", as_json, statistics=True)
    document = json.loads(as_json.getvalue())
    jsonschema.validate(document, schema("check"))
    assert {row["rule"]: row["count"] for row in document["statistics"]} == expected


def test_output_file_holds_the_report_and_stdout_stays_empty(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(docs(ingress(annotations={f"{P}/bogus": "x"}), service()))
    done = pomgate("check", "--no-build", "--no-cache", "-f", "json", "--output", "report.json", ".", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema("check"))
    assert [f["rule"] for f in document["findings"] if f["severity"] == "error"] == ["annotation/unknown"]


# ---------------------------------------------------------------- machine formats


def test_sarif_rules_carry_their_whole_help_as_text_and_markdown() -> None:
    analysis = broken_analysis()
    document = sarif_document(analysis.findings)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert rules
    catalog = all_rules()
    for rule in rules:
        known = catalog[rule["id"]]
        assert known.explanation in rule["help"]["text"] and known.explanation in rule["help"]["markdown"]
        assert known.bad.strip().splitlines()[0].strip() in rule["help"]["text"]
        assert "```yaml" in rule["help"]["markdown"] and "pomgate rules " + rule["id"] in rule["help"]["text"]
    if SARIF_SCHEMA.exists():
        jsonschema.validate(document, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))


def test_check_json_has_a_version_and_follows_its_schema() -> None:
    out = io.StringIO()
    write_check(broken_analysis(), "json", out)
    document = json.loads(out.getvalue())
    assert document["version"] == 1
    jsonschema.validate(document, schema("check"))
    port = next(f for f in document["findings"] if f["rule"] == "routing/service-port-not-found")
    assert "get service hosts" in port["controller"] and port["docs"] == "pomgate rules routing/service-port-not-found"


def test_the_check_schema_rejects_a_document_without_version() -> None:
    out = io.StringIO()
    write_check(broken_analysis(), "json", out)
    document = json.loads(out.getvalue())
    del document["version"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema("check"))


def test_sarif_and_github_messages_lead_with_the_cause() -> None:
    from pomgate.reports.finding_formats import github_lines

    finding = Finding(
        "routing/service-port-not-found",
        Severity.ERROR,
        "pathToRoute: {Path:/}: backend: could not find port http on service default/svc (the Service has ports: web)",
        obj=ObjectRef("Ingress", "default", "web"),
        extra={"chain": "pathToRoute: {Path:/}: backend: could not find port http on service default/svc"},
    )
    message = sarif_document([finding])["runs"][0]["results"][0]["message"]["text"]
    first, second = message.split("\n")[:2]
    assert first == "could not find port http on service default/svc (the Service has ports: web)"
    assert second.startswith("Controller: pathToRoute:")
    assert "could not find port" in github_lines([finding])[0].split("::", 2)[2].split("%0A")[0]


def test_a_finding_in_pomgate_s_own_words_is_not_cut_at_the_quoted_controller_chain() -> None:
    analysis = analyze_files({"app.yaml": ingress()})  # its Service is not in the input
    out = io.StringIO()
    write_check(analysis, "text", out, color=False)
    report = out.getvalue()
    lead = next(line for line in report.splitlines() if "warning Service" in line)
    assert "warning Service default/svc (used by backend) is not in the input" in lead
    assert "`services: rule host=app.example.com" in lead  # the controller's words stay quoted in the sentence
    assert "controller:" not in report
