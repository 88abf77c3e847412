"""Machine formats for findings: SARIF 2.1.0, GitHub workflow commands, JUnit XML, Markdown."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr as _quoteattr

from pomgate import __version__, escaping
from pomgate.escaping import workflow_command_data, workflow_command_property
from pomgate.findings import Finding, Severity
from pomgate.github.markdown import table

if TYPE_CHECKING:
    from pomgate.rules.base import Rule

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
GITHUB_PER_KIND = 10
GITHUB_PER_JOB = 50


#: Characters XML 1.0 does not allow at all (escaping cannot help): control characters, surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_escape(text: str) -> str:
    """Text for an XML element: escaped, characters XML cannot hold shown as ``\\xNN``."""
    return _escape(_NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def quoteattr(text: str) -> str:
    """A quoted XML attribute value, characters XML cannot hold shown as ``\\xNN``."""
    return _quoteattr(_NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def docs_anchor(rule_id: str) -> str:
    """Where a rule is documented: the `pomgate rules` command explains each one with an example."""
    return f"pomgate rules {rule_id}"


def user_message(finding: Finding) -> str:
    """What is wrong in the user's terms (and the environments), then the controller's own wording."""
    from pomgate.reports.text_output import lead_and_chain

    lead, chain = lead_and_chain(finding)
    if finding.environments:
        lead += f" [environments: {', '.join(finding.environments)}]"
    return lead + (f"\nController: {chain}" if chain else "")


def _most_severe_first(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.path or "", f.line or 0, f.rule))


# ---------------------------------------------------------------- SARIF


def sarif_document(findings: list[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rules come from the catalog when known."""
    from pomgate.rules import all_rules

    catalog = all_rules()
    used = sorted({f.rule for f in findings})
    rules = []
    for rule_id in used:
        rule = catalog.get(rule_id)
        entry: dict[str, Any] = {"id": rule_id, "help": {"text": f"Run `{docs_anchor(rule_id)}` for an example."}}
        if rule is not None:
            entry["shortDescription"] = {"text": rule.summary}
            entry["fullDescription"] = {"text": rule.explanation}
            entry["help"] = rule_help(rule)
            entry["defaultConfiguration"] = {"level": _SARIF_LEVEL[rule.severity]}
        rules.append(entry)
    index = {rule_id: i for i, rule_id in enumerate(used)}
    results = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": user_message(finding) + (f"\nFix: {finding.hint}" if finding.hint else "")},
        }
        if finding.path:
            location: dict[str, Any] = {"artifactLocation": {"uri": finding.path.replace("\\", "/")}}
            if finding.line:
                region: dict[str, Any] = {"startLine": finding.line}
                if finding.column:
                    region["startColumn"] = finding.column
                location["region"] = region
            result["locations"] = [{"physicalLocation": location}]
        properties: dict[str, Any] = {}
        if finding.obj:
            properties["object"] = finding.obj.as_dict()
        if finding.environments:
            properties["environments"] = list(finding.environments)
        if properties:
            result["properties"] = properties
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pomgate",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def rule_help(rule: Rule) -> dict[str, str]:
    """A rule's whole help, as SARIF's ``help`` (plain text and Markdown): why, and a bad and a good example."""
    text = (
        f"{rule.summary}.\n\n{rule.explanation}\n\nBad:\n{_indented(rule.bad)}\n\nGood:\n{_indented(rule.good)}\n\n"
        f"More: {docs_anchor(rule.id)}"
    )
    markdown = (
        f"**{rule.summary}.**\n\n{rule.explanation}\n\nBad:\n\n{_fenced(rule.bad)}\n\nGood:\n\n{_fenced(rule.good)}"
        f"\n\nMore: `{docs_anchor(rule.id)}`"
    )
    return {"text": text, "markdown": markdown}


def _indented(example: str) -> str:
    return "\n".join("    " + line if line else "" for line in example.rstrip("\n").split("\n"))


def _fenced(example: str) -> str:
    fence = "```"
    while fence in example:
        fence += "`"
    return f"{fence}yaml\n{example.rstrip()}\n{fence}"


def sarif_text(findings: list[Finding]) -> str:
    return json.dumps(sarif_document(findings), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- GitHub workflow commands


def github_lines(findings: list[Finding]) -> list[str]:
    """Workflow-command annotations, most severe first, within GitHub's display limits.

    GitHub shows at most 10 annotations of each kind per step and 50 per job; the rest are summarised
    in one closing line so nothing is silently lost.
    """
    shown: Counter[str] = Counter()
    lines: list[str] = []
    hidden: Counter[str] = Counter()
    for finding in _most_severe_first(findings):
        command = _GITHUB_COMMAND[finding.severity]
        if shown[command] >= GITHUB_PER_KIND or sum(shown.values()) >= GITHUB_PER_JOB:
            hidden[command] += 1
            continue
        shown[command] += 1
        props = []
        if finding.path:
            props.append(f"file={workflow_command_property(finding.path)}")
            if finding.line:
                props.append(f"line={finding.line}")
        props.append(f"title={workflow_command_property('pomgate ' + finding.rule)}")
        message = user_message(finding) + (f"\nFix: {finding.hint}" if finding.hint else "")
        lines.append(f"::{command} {','.join(props)}::{workflow_command_data(message)}")
    if hidden:
        parts = ", ".join(f"{count} {kind}(s)" for kind, count in sorted(hidden.items()))
        lines.append(
            f"::notice title=pomgate::{parts} more not shown as annotations (GitHub shows at most "
            f"{GITHUB_PER_KIND} per kind); run pomgate check locally for the full list"
        )
    return lines


# ---------------------------------------------------------------- JUnit


def junit_text(findings: list[Finding], files: list[str]) -> str:
    """JUnit XML: one test suite, one test case per file; findings of severity error are failures."""
    by_file: dict[str, list[Finding]] = {name: [] for name in files}
    for finding in findings:
        by_file.setdefault(finding.path or "<input>", []).append(finding)
    failures = sum(1 for f in findings if f.severity is Severity.ERROR)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="pomgate" tests="{len(by_file)}" failures="{failures}">',
        f'  <testsuite name="pomgate check" tests="{len(by_file)}" failures="{failures}">',
    ]
    for name, items in sorted(by_file.items()):
        out.append(f'    <testcase classname="pomgate" name={quoteattr(name)}>')
        for finding in items:
            where = f"{name}:{finding.line}" if finding.line else name
            text = xml_escape(f"{where}: {finding.text}")
            if finding.severity is Severity.ERROR:
                out.append(
                    f"      <failure type={quoteattr(finding.rule)} message={quoteattr(finding.text)}>{text}</failure>"
                )
            else:
                out.append(
                    f"      <system-out>{xml_escape(finding.severity.value)} [{xml_escape(finding.rule)}] "
                    f"{text}</system-out>"
                )
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(out)


# ---------------------------------------------------------------- Markdown


def markdown_text(findings: list[Finding]) -> str:
    """A Markdown report: a count line, then a table of findings, most severe first."""
    counts = Counter(f.severity.value for f in findings)
    head = (
        f"**pomgate**: {counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s), "
        f"{counts.get('info', 0)} info(s)"
    )
    if not findings:
        return head + "\n"
    rows = []
    for finding in _most_severe_first(findings):
        where = f"{finding.path}:{finding.line}" if finding.line else (finding.path or "")
        obj = str(finding.obj) if finding.obj else ""
        rows.append([finding.severity.value, *map(escaping.markdown_text, (finding.rule, where, obj, finding.text))])
    return head + "\n\n" + table(["severity", "rule", "where", "object", "message"], rows) + "\n"
