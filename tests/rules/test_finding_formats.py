"""Output formats of `pomgate check`: SARIF against the published schema, GitHub commands, JUnit, Markdown."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.reports.finding_formats import github_lines, junit_text, markdown_text, sarif_document

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def finding(
    severity: Severity = Severity.ERROR,
    message: str = "bad thing",
    line: int | None = 3,
    path: str = "a/b.yaml",
    rule: str = "routing/empty-host",
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        obj=ObjectRef("Ingress", "ns", "web"),
        path=path,
        line=line,
        hint="do this",
    )


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", "check", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not SCHEMA.exists(), reason=f"SARIF 2.1.0 schema not found at {SCHEMA}")
def test_sarif_output_validates_against_the_published_schema() -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    result = check("--format", "sarif", "examples")
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema)
    results = document["runs"][0]["results"]
    # "note": the example chart is not rendered where helm is missing (an info finding).
    assert {"error", "warning"} <= {r["level"] for r in results} <= {"error", "warning", "note"}
    built = [r for r in results if r.get("properties", {}).get("environments")]
    assert built and all(isinstance(r["properties"]["environments"], list) for r in built)
    error = next(r for r in results if r["level"] == "error")
    assert error["locations"][0]["physicalLocation"]["region"]["startLine"] == 22
    mixed = sarif_document([finding(), finding(Severity.INFO, line=None), finding(path="", line=None)])
    jsonschema.validate(mixed, schema)


def test_github_lines_escape_and_order_most_severe_first() -> None:
    lines = github_lines([finding(Severity.WARNING, "w"), finding(message="a, b: 100%\nnext", path="x,y:z.yaml")])
    assert lines[0] == (
        "::error file=x%2Cy%3Az.yaml,line=3,title=pomgate routing/empty-host::a, b: 100%25%0Anext%0AFix: do this"
    )
    assert lines[1].startswith("::warning file=a/b.yaml,line=3,title=pomgate routing/empty-host::w")


def test_github_lines_respect_the_display_limits_and_summarise_the_rest() -> None:
    many = [finding(line=i) for i in range(1, 16)] + [finding(Severity.WARNING, line=i) for i in range(1, 4)]
    lines = github_lines(many)
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 3
    assert lines[-1].startswith("::notice title=pomgate::5 error(s) more not shown")
    assert len(github_lines([finding(Severity.INFO, line=i) for i in range(80)])) == 11


def test_junit_is_well_formed_with_errors_as_failures() -> None:
    root = ET.fromstring(junit_text([finding(message="<&>"), finding(Severity.WARNING)], ["a/b.yaml", "c.yaml"]))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "2"
    failure = root.find(".//failure")
    assert failure is not None and failure.get("message") == "<&>"


def test_markdown_cells_cannot_break_the_table_or_inject() -> None:
    hostile = "x | y\n<img src=a> [l](http://e) @team `code` #1"
    text = markdown_text([finding(message=hostile)])
    row = text.splitlines()[-1]
    assert row.count("|") == 6
    for bad in ("<img", "](", "@team", "`", " #1"):
        assert bad not in row


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("never", 0)])
def test_fail_on_threshold(fail_on: str, code: int) -> None:
    assert check("--fail-on", fail_on, "examples").returncode == code
    assert check("--fail-on", fail_on, "examples/apps/grafana").returncode == (1 if fail_on == "warning" else 0)
