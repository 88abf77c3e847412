"""`pomgate diff` output: text for terminals and logs, JSON for tools (markdown: see markdown.py)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pomgate.diff.compare import DiffResult, diff_json, summary_counts
from pomgate.findings import Finding
from pomgate.translation.route import Route


def headline(result: DiffResult, label: str) -> str:
    counts = summary_counts(result)
    return (
        f"pomgate diff {label}: {counts['added']} added, {counts['removed']} removed, {counts['changed']} changed "
        f"route(s); {counts['risks']} risk(s); {counts['introduced']} finding(s) introduced, {counts['fixed']} fixed"
    )


def route_line(route: Route) -> str:
    """`https://host prefix /x -> upstream (Ingress ns/name)`."""
    match = next(
        (f" {kind} {route.match_value(kind)}" for kind in ("path", "prefix", "regex") if route.match_value(kind)), ""
    )
    to = route.fields.get("to")
    upstream = ", ".join(str(t) for t in to) if isinstance(to, list) else ""
    arrow = f" -> {upstream}" if upstream else ""
    return f"{route.from_url}{match}{arrow} (Ingress {route.ingress.namespace}/{route.ingress.name})"


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _finding_line(finding: Finding) -> str:
    where = f"{finding.path}:{finding.line}" if finding.path and finding.line else finding.path or "-"
    obj = f" ({finding.obj})" if finding.obj else ""
    return f"{where}: {finding.severity}: {finding.message}{obj} [{finding.rule}]"


def write_text(result: DiffResult, label: str, out: TextIO) -> None:
    """The plain-text report: risks first, then routes, then findings."""
    out.write(headline(result, label) + "\n")
    if result.risks:
        out.write("\nRisks\n")
        for risk in result.risks:
            out.write(f"  ! {risk.kind:<22} {risk.detail}\n")
    if result.added:
        out.write("\nAdded routes\n")
        for route in result.added:
            out.write(f"  + {route_line(route)}\n")
    if result.removed:
        out.write("\nRemoved routes\n")
        for route in result.removed:
            out.write(f"  - {route_line(route)}\n")
    if result.changed:
        out.write("\nChanged routes\n")
        for change in result.changed:
            out.write(f"  ~ {route_line(change.after)}\n")
            for name in change.fields:
                old = _value(change.old[name]) if name in change.old else "(unset)"
                new = _value(change.new[name]) if name in change.new else "(unset)"
                out.write(f"      {name}: {old} -> {new}\n")
    if result.introduced:
        out.write("\nFindings introduced\n")
        for finding in result.introduced:
            out.write(f"  {_finding_line(finding)}\n")
    if result.fixed:
        out.write("\nFindings fixed\n")
        for finding in result.fixed:
            out.write(f"  {_finding_line(finding)}\n")
    if not result.has_changes:
        out.write("No route or finding changes.\n")


def write_json(result: DiffResult, out: TextIO) -> None:
    """The JSON contract (see `pomgate.diff.compare.diff_json`)."""
    json.dump(diff_json(result), out, indent=2, ensure_ascii=False)
    out.write("\n")
