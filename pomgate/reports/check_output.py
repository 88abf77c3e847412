"""`pomgate check` output: findings as text or JSON."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, TextIO

from pomgate.findings import Severity
from pomgate.pipeline import Analysis


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


def should_fail(analysis: Analysis, fail_on: str) -> bool:
    """Whether a finding at or above ``fail_on`` exists (``never``: never fail)."""
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in analysis.findings)


def write_check(analysis: Analysis, output_format: str, out: TextIO, *, color: bool = False) -> int:
    """Write the findings in ``output_format``; return the number of error-severity findings."""
    info = summary(analysis)
    if output_format in ("sarif", "github", "junit", "markdown"):
        from pomgate.reports import finding_formats as formats

        if output_format == "sarif":
            out.write(formats.sarif_text(analysis.findings))
        elif output_format == "github":
            for line in formats.github_lines(analysis.findings):
                out.write(line + "\n")
        elif output_format == "junit":
            out.write(formats.junit_text(analysis.findings, analysis.files))
        else:
            out.write(formats.markdown_text(analysis.findings))
    elif output_format == "json":
        document = {"findings": [f.as_dict() for f in analysis.findings], "summary": info}
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        from pomgate.reports.text_output import write_text

        write_text(analysis.findings, analysis.sources, info, out, color=color)
    return sum(1 for f in analysis.findings if f.severity is Severity.ERROR)
