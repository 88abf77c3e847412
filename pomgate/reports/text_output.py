"""`pomgate check --format text`: findings grouped by file, each with its source line and hint.

Colour comes from rich when the output is a terminal; otherwise the same layout is written as
plain text (fast, and stable for logs and tests). Source lines are quoted only where they cannot
hold a secret value: never from Secret-like objects, and sensitive inline values are masked. Every
line goes out through `pomgate.escaping.terminal_line` (file names and contents are untrusted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import groupby
from typing import Any, TextIO

from pomgate.escaping import terminal_line
from pomgate.findings import Finding, Severity, docs_anchor
from pomgate.scanning.excerpt import SECRET_KINDS  # their objects' lines are never quoted
from pomgate.scanning.source import SourceLines

_SENSITIVE_KEY = re.compile(
    r"""^(?P<key>\s*(?:-\s+)?["']?[^\s:"']*?(?:token|password|passwd|client_secret|api_?key|private_?key)["']?\s*:\s*)"""
    r"(?P<value>\S.*)$",
    re.IGNORECASE,
)

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

Segment = tuple[str, str]  # (text, rich style; "" for none)


def mask_sensitive(line: str) -> str:
    """The line with the value of a token/password-like key replaced by ``<redacted>``."""
    match = _SENSITIVE_KEY.match(line)
    if match is None or match.group("value").startswith(("|", ">")) or match.group("value").endswith("_secret"):
        return line
    return match.group("key") + "<redacted>"


def quotable_line(finding: Finding, lines: SourceLines) -> str | None:
    """The source line to show under a finding, or None when it is unknown or could hold a secret.

    Lines of Secret-like objects are never shown; other lines (YAML errors included) are quoted
    through `SourceLines.excerpt`, which masks Secret data by the parsed kind, wherever it sits.
    """
    if finding.obj is not None and finding.obj.kind in SECRET_KINDS:
        return None
    text = lines.excerpt(finding.path, finding.line)
    if text is None:
        return None
    return mask_sensitive(text.rstrip())


def _quoted(number: int, text: str, column: int | None, severity: Severity) -> Iterator[list[Segment]]:
    shown = text if len(text) <= 160 else text[:157] + "..."
    yield [(" " * 18 + f"{number:>5} │ ", "dim"), (shown, "")]
    if column and column <= len(shown):
        yield [(" " * 18 + " " * 5 + " │ " + " " * (column - 1), "dim"), ("^", _STYLE[severity])]


def finding_segments(finding: Finding, source: str | None, token_line: str | None = None) -> Iterator[list[Segment]]:
    """The lines (as styled segments) that show one finding."""
    where = f"{finding.line or '-'}:{finding.column}" if finding.column else f"{finding.line or '-'}"
    head: list[Segment] = [
        (f"  {where:<8}", "dim"),
        (f"{finding.severity.value:<8}", _STYLE[finding.severity]),
        (finding.text, "bold" if finding.severity is Severity.ERROR else ""),
    ]
    yield head
    about = f"{finding.obj}  ·  {finding.rule}" if finding.obj else finding.rule
    yield [(" " * 18, ""), (about, "dim")]
    if source is not None and finding.line:
        token_at = finding.extra.get("token_at")
        if token_line is not None and token_at and token_at[0] != finding.line:
            yield from _quoted(finding.line, source, None, finding.severity)
            if token_at[0] > finding.line + 1:
                yield [(" " * 18 + "    ⋮ │", "dim")]
            yield from _quoted(token_at[0], token_line, token_at[1], finding.severity)
        else:
            column = token_at[1] if token_at else finding.column
            yield from _quoted(finding.line, source, column, finding.severity)
    if finding.hint:
        yield [(" " * 18 + "fix: ", "green"), (finding.hint, "green")]
    yield [(" " * 18 + "docs: ", "dim"), (f"{docs_anchor(finding.rule)}  (pomgate rules {finding.rule})", "dim")]


def text_blocks(findings: list[Finding], lines: SourceLines) -> Iterator[list[Segment]]:
    """Every output line, grouped by file in the findings' order."""
    for path, group in groupby(findings, key=lambda f: f.path):
        yield [(path or "(no file)", "bold underline")]
        for finding in group:
            source = quotable_line(finding, lines)
            token_at = finding.extra.get("token_at")
            token_line = None
            if source is not None and token_at:
                token_line = lines.excerpt(finding.path, token_at[0])
                token_line = mask_sensitive(token_line.rstrip()) if token_line is not None else None
            yield from finding_segments(finding, source, token_line)
        yield []


def summary_line(info: dict[str, Any]) -> str:
    """The closing line with counts."""
    return (
        f"{info['errors']} error(s), {info['warnings']} warning(s), {info['infos']} info(s) in "
        f"{info['files']} file(s); {info['ingresses']} Pomerium Ingress(es), {info['routes']} route(s)"
    )


def write_text(
    findings: list[Finding],
    lines: SourceLines,
    info: dict[str, Any],
    out: TextIO,
    *,
    color: bool,
) -> None:
    """Write the grouped findings and the summary; styled with rich when ``color``."""
    blocks = text_blocks(findings, lines)
    if not color:
        for segments in blocks:
            out.write(terminal_line("".join(text for text, _style in segments)) + "\n")
        out.write(summary_line(info) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
    for segments in blocks:
        plain = "".join(text for text, _style in segments)
        shown = terminal_line(plain)
        console.print(Text.assemble(*segments) if shown == plain else Text(shown))  # escaped lines lose colour
    style = "bold red" if info["errors"] else "yellow" if info["warnings"] else "green"
    console.print(Text(summary_line(info), style=style))
