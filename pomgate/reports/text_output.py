"""`pomgate check --format text`: findings grouped by file, each with its source line and hint.

Colour comes from rich when the output is a terminal; otherwise the same layout is written as
plain text (fast, and stable for logs and tests). Source lines are quoted only where they cannot
hold a secret value: never from Secret-like objects, and sensitive inline values are masked. Every
line goes out through `pomgate.escaping.terminal_line` (file names and contents are untrusted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TextIO

from pomgate.escaping import terminal_line
from pomgate.findings import Finding, Severity
from pomgate.scanning.excerpt import SECRET_KINDS  # their objects' lines are never quoted
from pomgate.scanning.source import SourceLines

_SENSITIVE_KEY = re.compile(
    r"""^(?P<key>\s*(?:-\s+)?["']?[^\s:"']*?(?:token|password|passwd|client_secret|api_?key|private_?key)["']?\s*:\s*)"""
    r"(?P<value>\S.*)$",
    re.IGNORECASE,
)

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

Segment = tuple[str, str]  # (text, rich style; "" for none)

#: Where a finding's message starts (after "  LINE:COL  severity "); its other lines hang there.
MESSAGE_INDENT = 18
#: Source lines (number, bar, text) start under the message too; they are never wrapped.
SOURCE_INDENT = MESSAGE_INDENT


@dataclass(frozen=True)
class Line:
    """One line of the report: a label and its text, hanging at ``indent`` when it wraps."""

    label: str
    label_style: str
    text: list[Segment]
    indent: int = MESSAGE_INDENT
    wrap: bool = True
    gutter: list[Segment] | None = None  # replaces the indent on the first line (location and severity)

    def plain(self) -> str:
        """The line as plain text (no wrapping)."""
        start = "".join(text for text, _style in self.gutter) if self.gutter else " " * self.indent
        return start + self.label + "".join(text for text, _style in self.text)


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
    if finding.rule == "input/not-text":
        return None  # the file could not be decoded: any line of it would be shown garbled
    text = lines.excerpt(finding.path, finding.line)
    if text is None:
        return None
    return mask_sensitive(text.rstrip())


def _quoted(number: int, text: str, column: int | None, severity: Severity) -> Iterator[Line]:
    shown = text if len(text) <= 160 else text[:157] + "..."
    yield Line(f"{number:>5} │ ", "dim", [(shown, "")], indent=SOURCE_INDENT, wrap=False)
    if column and column <= len(shown):
        yield Line("      │ " + " " * (column - 1), "dim", [("^", _STYLE[severity])], indent=SOURCE_INDENT, wrap=False)


def _top_level_parts(chain: str) -> list[str]:
    """The ``: ``-separated stages of an error chain, not splitting inside quotes or brackets."""
    parts, depth, quote, start = [], 0, "", 0
    index = 0
    while index < len(chain):
        char = chain[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth = max(depth - 1, 0)
        elif depth == 0 and chain.startswith(": ", index):
            parts.append(chain[start:index])
            start = index + 2
            index += 1
        index += 1
    parts.append(chain[start:])
    return [part for part in parts if part]


#: A controller error chain quoted inside pomgate's own words (`services: rule host=...: not found`).
_QUOTED_CHAIN = re.compile(r"`[^`]*: [^`]*`")


def lead_and_chain(finding: Finding) -> tuple[str, str | None]:
    """What is wrong, in the user's terms, and the controller's own wording when it has one.

    A translation finding's message is the controller's error chain (its stages first) with what
    pomgate adds after it; the lead is the chain's last stage, the cause, with that addition.
    """
    chain = finding.extra.get("chain")
    summary = finding.extra.get("fix_summary")
    if isinstance(summary, str) and summary:
        return summary, chain if isinstance(chain, str) and chain else None
    if not isinstance(chain, str) or not chain:
        return finding.message, None
    if _QUOTED_CHAIN.search(chain):  # pomgate's own sentence quoting the controller's error: already in user terms
        return finding.message, None
    parts = _top_level_parts(chain)
    cause = parts[-1] if parts else chain
    detail = ""
    at = finding.message.rfind(cause)
    if at >= 0:
        rest = finding.message[at + len(cause) :]
        if rest.startswith(" (") and rest.endswith(")"):
            detail = rest[2:-1]
    field = finding.field
    if len(field) == 3 and field[:2] == ("metadata", "annotations") and str(field[2]) not in cause:
        cause = f"{field[2]}: {cause}"
    lead = f"{cause} ({detail})" if detail else cause
    if lead == chain:
        return finding.message, None
    return lead, chain


def finding_lines(finding: Finding, source: str | None, token_line: str | None = None) -> Iterator[Line]:
    """The lines that show one finding: what is wrong, where, the source, the controller's words, the fix."""
    where = f"{finding.line or '-'}:{finding.column}" if finding.column else f"{finding.line or '-'}"
    lead, chain = lead_and_chain(finding)
    if finding.environments:
        lead += f" [environments: {', '.join(finding.environments)}]"
    gutter = [(f"  {where:<8}", "dim"), (f"{finding.severity.value:<8}", _STYLE[finding.severity])]
    yield Line("", "", [(lead, "bold" if finding.severity is Severity.ERROR else "")], gutter=gutter)
    about = f"{finding.obj}  ·  {finding.rule}" if finding.obj else finding.rule
    yield Line("", "", [(about, "dim")])
    if source is not None and finding.line:
        token_at = finding.extra.get("token_at")
        if token_line is not None and token_at and token_at[0] != finding.line:
            yield from _quoted(finding.line, source, None, finding.severity)
            if token_at[0] > finding.line + 1:
                yield Line("    ⋮ │", "dim", [], indent=SOURCE_INDENT, wrap=False)
            yield from _quoted(token_at[0], token_line, token_at[1], finding.severity)
        else:
            column = token_at[1] if token_at else finding.column
            yield from _quoted(finding.line, source, column, finding.severity)
    if chain is not None:
        yield Line("controller: ", "dim", [(chain, "dim")])
    if finding.hint:
        yield Line("fix: ", "green", [(finding.hint, "green")], wrap=False)  # (copied as it is)
    yield Line("see: ", "dim", [(rule_command(finding.rule), "dim")])


def rule_command(rule_id: str) -> str:
    """How to read a rule's explanation and example: the `pomgate rules ID` command."""
    return f"pomgate rules {rule_id}"


def text_blocks(findings: list[Finding], lines: SourceLines) -> Iterator[Line]:
    """Every output line, grouped by file in the findings' order."""
    for path, group in groupby(findings, key=lambda f: f.path):
        yield Line("", "", [(path or "(no file)", "bold underline")], indent=0)
        for finding in group:
            source = quotable_line(finding, lines)
            token_at = finding.extra.get("token_at")
            token_line = None
            if source is not None and token_at:
                token_line = lines.excerpt(finding.path, token_at[0])
                token_line = mask_sensitive(token_line.rstrip()) if token_line is not None else None
            yield from finding_lines(finding, source, token_line)
        yield Line("", "", [], indent=0)


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
    width: int | None = None,
    summary: bool = True,
) -> None:
    """Write the grouped findings and the summary.

    Plain lines (never wrapped) unless ``color`` or ``width``: then rich styles them and wraps them
    at ``width`` columns, continuation lines hanging under the text they continue.
    """
    blocks = text_blocks(findings, lines)
    if not color and width is None:
        for line in blocks:
            out.write(terminal_line(line.plain()) + "\n")
        if summary:
            out.write(summary_line(info) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=out,
        force_terminal=color,
        color_system="auto" if color else None,
        highlight=False,
        width=width or 100_000,
        soft_wrap=width is None,
    )
    for line in blocks:
        for shown, soft in _rich_lines(line, width, console):
            console.print(shown, soft_wrap=soft)
    if summary:
        style = "bold red" if info["errors"] else "yellow" if info["warnings"] else "green"
        console.print(Text(summary_line(info), style=style), soft_wrap=width is None)


def _rich_lines(line: Line, width: int | None, console: Any) -> Iterator[tuple[Any, bool]]:
    """A line as rich Text lines, escaped; wrapped at ``width`` with a hanging indent (soft: left to the terminal)."""
    from rich.text import Text

    label = Text.assemble(*((terminal_line(text), style) for text, style in line.gutter or []))
    if not line.gutter:
        label.append(" " * line.indent)
    label.append(terminal_line(line.label), style=line.label_style)
    body = Text.assemble(*((terminal_line(text), style) for text, style in line.text))
    room = (width or 0) - label.cell_len
    if width is None or not line.wrap or room < 20:
        yield Text.assemble(label, body), True
        return
    for index, part in enumerate(body.wrap(console, room, overflow="fold")):
        part.rstrip()
        yield Text.assemble(label if index == 0 else " " * label.cell_len, part), False
