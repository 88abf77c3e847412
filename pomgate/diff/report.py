"""`pomgate diff` output: text for terminals and logs, JSON for tools (markdown: see markdown.py).

Every text line goes out through `pomgate.escaping.terminal_line`: routes, paths and messages come
from the manifests of the change under review.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from pomgate.diff.compare import DiffResult, diff_json, summary_counts
from pomgate.diff.yamldiff import is_structured, yaml_diff
from pomgate.escaping import terminal_line
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
    match = f" {route.match_text()}".rstrip()
    to = route.fields.get("to")
    upstream = ", ".join(str(t) for t in to) if isinstance(to, list) else ""
    arrow = f" -> {upstream}" if upstream else ""
    return f"{route.from_url}{match}{arrow} (Ingress {route.ingress.namespace}/{route.ingress.name})"


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _finding_line(finding: Finding) -> str:
    where = f"{finding.path}:{finding.line}" if finding.path and finding.line else finding.path or "-"
    obj = f" ({finding.obj})" if finding.obj else ""
    return f"{where}: {finding.severity}: {finding.text}{obj} [{finding.rule}]"


def _in(result: DiffResult, item: object) -> str:
    """``[environment] `` for an item of one environment's build, else nothing."""
    name = result.label(item)
    return f"[{name}] " if name else ""


def text_lines(result: DiffResult, label: str) -> list[tuple[str, str]]:
    """The report as (line, rich style) pairs: risks first, then routes, then findings."""
    lines: list[tuple[str, str]] = [(headline(result, label), "bold")]
    if result.risks:
        lines += [("", ""), ("Risks", "bold red")]
        lines += [(f"  ! {risk.kind:<22} {_in(result, risk)}{risk.detail}", "red") for risk in result.risks]
    if result.access_tests:
        lines += [("", ""), ("Access tests whose outcome changes", "bold")]
        for flipped in result.access_tests:
            where = f"{flipped.path}:{flipped.test.line}"
            env = f"[{flipped.environment}] " if flipped.environment else ""
            style = "red" if flipped.before.passed else ("green" if flipped.after.passed else "yellow")
            lines.append(
                (
                    f"  {env}{where}: {flipped.test.title}: {flipped.before.actual} -> {flipped.after.actual} "
                    f"(expects {flipped.test.expect}): {flipped.after.because()}",
                    style,
                )
            )
    if result.added:
        lines += [("", ""), ("Added routes", "bold")]
        lines += [(f"  + {_in(result, route)}{route_line(route)}", "green") for route in result.added]
    if result.removed:
        lines += [("", ""), ("Removed routes", "bold")]
        lines += [(f"  - {_in(result, route)}{route_line(route)}", "red") for route in result.removed]
    if result.changed:
        lines += [("", ""), ("Changed routes", "bold")]
        for change in result.changed:
            lines.append((f"  ~ {_in(result, change)}{route_line(change.after)}", "yellow"))
            for name in change.fields:
                if is_structured(change.old.get(name)) or is_structured(change.new.get(name)):
                    styles = {"-": "red", "+": "green"}
                    lines += [
                        (f"      {line}", styles.get(line[:1], "")) for line in yaml_diff(name, change.old, change.new)
                    ]
                    continue
                old = _value(change.old[name]) if name in change.old else "(unset)"
                new = _value(change.new[name]) if name in change.new else "(unset)"
                lines.append((f"      {name}: {old} -> {new}", ""))
    if result.introduced:
        lines += [("", ""), ("Findings introduced", "bold")]
        lines += [(f"  {_finding_line(f)}", "red" if f.severity.value == "error" else "") for f in result.introduced]
    if result.fixed:
        lines += [("", ""), ("Findings fixed", "bold")]
        lines += [(f"  {_finding_line(f)}", "green") for f in result.fixed]
    if not result.has_changes:
        lines.append(("No route or finding changes.", ""))
    return lines


def write_text(result: DiffResult, label: str, out: TextIO, *, color: bool = False) -> None:
    """The text report; styled with rich when ``color``."""
    lines = [(terminal_line(line), style) for line, style in text_lines(result, label)]
    if not color:
        out.writelines(line + "\n" for line, _style in lines)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
    for line, style in lines:
        console.print(Text(line, style=style))


def write_json(result: DiffResult, out: TextIO) -> None:
    """The JSON contract (see `pomgate.diff.compare.diff_json`)."""
    json.dump(diff_json(result), out, indent=2, ensure_ascii=False)
    out.write("\n")
