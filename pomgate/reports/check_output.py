"""`pomgate check` output: findings as text or JSON (and the other formats), or counts per rule."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any, TextIO

from pomgate.findings import Finding, Severity
from pomgate.pipeline import Analysis
from pomgate.scanning.source import SourceLines

#: The version of the JSON documents `check`, `render` and `diff` write (docs/schemas/*.schema.json).
JSON_VERSION = 1


def summary(analysis: Analysis) -> dict[str, Any]:
    """Counts for the JSON summary and the text footer."""
    counts = Counter(f.severity.value for f in analysis.findings)
    outcomes = analysis.translation.outcomes
    return {
        "errors": counts.get("error", 0),
        "warnings": counts.get("warning", 0),
        "infos": counts.get("info", 0),
        "files": len(analysis.files),
        "objects": len(analysis.objects),
        "ingresses": sum(1 for o in outcomes if o.managed),
        "ingresses_failed": sum(1 for o in outcomes if o.failed),
        "routes": len(analysis.translation.routes),
    }


FORMATS = ("text", "json", "sarif", "github", "junit", "markdown")
FAIL_ON = ("error", "warning", "info", "never")
#: The formats `--statistics` writes.
STATISTICS_FORMATS = ("text", "json")


def should_fail(analysis: Analysis, fail_on: str) -> bool:
    """Whether a finding at or above ``fail_on`` exists (``never``: never fail)."""
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in analysis.findings)


def with_fixes(findings: list[Finding], sources: SourceLines) -> list[Finding]:
    """The findings with their mechanical fix: the hint in the file's syntax, what is wrong in the user's terms.

    Copies: the analysis keeps its findings as they were. ``extra["fix_summary"]`` leads the text
    report; ``extra["fix_safe"]`` marks what `--fix` applies.
    """
    from pomgate.fixes import suggest_fix

    out = []
    for finding in findings:
        fix = suggest_fix(finding, sources.text(finding.path) if finding.path else None)
        if fix is None:
            out.append(finding)
            continue
        extra = {**finding.extra, "fix_safe": fix.safe}
        if fix.summary:
            extra["fix_summary"] = fix.summary
        out.append(replace(finding, hint=fix.hint, extra=extra))
    return out


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding in the check document: the contract form, pointing at `pomgate rules ID`."""
    item = finding.as_dict()
    item["docs"] = f"pomgate rules {finding.rule}"
    chain = finding.extra.get("chain")
    if isinstance(chain, str) and chain:
        item["controller"] = chain
    if finding.extra.get("fix_safe"):
        item["fixable"] = True
    return item


def terminal_width(out: TextIO, *, color: bool = False) -> int | None:
    """The width to wrap text at: the terminal's when ``out`` is one, else None (piped output is not wrapped).

    With colour forced on (``--color always``) piped output wraps at ``$COLUMNS`` when it is set.
    """
    import os
    import shutil

    try:
        if out.isatty():
            return shutil.get_terminal_size().columns
    except (AttributeError, ValueError):
        pass
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if color and columns.isdigit() and int(columns) > 0 else None


def write_check(
    analysis: Analysis,
    output_format: str,
    out: TextIO,
    *,
    color: bool = False,
    width: int | None = None,
    quiet: bool = False,
    statistics: bool = False,
) -> int:
    """Write the findings in ``output_format``; return the number of error-severity findings.

    ``width``: wrap text at this many columns (default: the terminal's when ``out`` is one).
    ``quiet``: the findings only, no summary line. ``statistics``: counts per rule instead of findings.
    """
    info = summary(analysis)
    findings = with_fixes(analysis.findings, analysis.sources)
    if width is None:
        width = terminal_width(out, color=color)
    if statistics:
        write_statistics(findings, info, output_format, out, quiet=quiet)
    elif output_format in ("sarif", "github", "junit", "markdown"):
        from pomgate.reports import finding_formats as formats

        if output_format == "sarif":
            out.write(formats.sarif_text(findings))
        elif output_format == "github":
            for line in formats.github_lines(findings):
                out.write(line + "\n")
        elif output_format == "junit":
            out.write(formats.junit_text(findings, analysis.files))
        else:
            out.write(formats.markdown_text(findings))
    elif output_format == "json":
        document = {"version": JSON_VERSION, "findings": [finding_json(f) for f in findings], "summary": info}
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif not (quiet and not findings):
        from pomgate.reports.text_output import write_text

        write_text(findings, analysis.sources, info, out, color=color, width=width, summary=not quiet)
    return sum(1 for f in findings if f.severity is Severity.ERROR)


def rule_statistics(findings: list[Finding]) -> list[dict[str, Any]]:
    """Findings counted per rule, most frequent first: rule, severity, count, fixable (by `--fix`)."""
    from pomgate.rules import all_rules

    catalog = all_rules()
    counts: Counter[tuple[str, str]] = Counter((f.rule, f.severity.value) for f in findings)
    fixable: Counter[tuple[str, str]] = Counter((f.rule, f.severity.value) for f in findings if f.extra.get("fix_safe"))
    rows = []
    for (rule_id, severity), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = catalog.get(rule_id)
        rows.append(
            {
                "rule": rule_id,
                "severity": severity,
                "count": count,
                "fixable": fixable[(rule_id, severity)],
                "summary": rule.summary if rule else "",
            }
        )
    return rows


def write_statistics(
    findings: list[Finding], info: dict[str, Any], output_format: str, out: TextIO, *, quiet: bool = False
) -> None:
    """`--statistics`: one line per rule (``[*]``: `--fix` can fix some), or a JSON document."""
    rows = rule_statistics(findings)
    if output_format == "json":
        json.dump({"version": JSON_VERSION, "statistics": rows, "summary": info}, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    from pomgate.escaping import terminal_line

    wide = max((len(row["rule"]) for row in rows), default=0)
    for row in rows:
        mark = "[*]" if row["fixable"] else "   "
        line = f"{row['count']:>6}  {row['rule']:<{wide}}  {row['severity']:<8} {mark} {row['summary']}"
        out.write(terminal_line(line.rstrip()) + "\n")
    if not quiet:
        from pomgate.reports.text_output import summary_line

        out.write(summary_line(info) + "\n")
