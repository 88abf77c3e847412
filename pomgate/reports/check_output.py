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


def write_check(analysis: Analysis, output_format: str, out: TextIO) -> int:
    """Write the findings; return the number of error-severity findings."""
    info = summary(analysis)
    if output_format == "json":
        document = {"findings": [f.as_dict() for f in analysis.findings], "summary": info}
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        from pomgate.reports.render_output import finding_line

        for finding in analysis.findings:
            out.write(finding_line(finding) + "\n")
            if finding.hint:
                out.write(f"    hint: {finding.hint}\n")
        out.write(
            f"{info['errors']} error(s), {info['warnings']} warning(s), {info['infos']} info(s) in "
            f"{info['files']} file(s); {info['ingresses']} Pomerium Ingress(es), {info['routes']} route(s)\n"
        )
    return sum(1 for f in analysis.findings if f.severity is Severity.ERROR)
