"""`pomgate check --format text`: findings grouped by file, each with its source line and hint.

Colour comes from rich when the output is a terminal; otherwise the same layout is written as
plain text (fast, and stable for logs and tests). Source lines are quoted only where they cannot
hold a secret value: never from Secret-like objects, and sensitive inline values are masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import groupby
from typing import Any, TextIO

from pomgate.findings import Finding, Severity, docs_anchor
from pomgate.scanning.source import SourceLines

#: Kinds whose manifests hold secret values (or their ciphertext): their lines are never quoted.
SECRET_KINDS = frozenset({"Secret", "SealedSecret", "ExternalSecret", "ClusterExternalSecret", "SecretProviderClass"})

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


def quotable_line(finding: Finding, lines: SourceLines, secret_files: set[str]) -> str | None:
    """The source line to show under a finding, or None when it is unknown or could hold a secret."""
    if finding.obj is not None and finding.obj.kind in SECRET_KINDS:
        return None
    if finding.obj is None and finding.path in secret_files:
        return None
    text = lines.line(finding.path, finding.line)
    if text is None:
        return None
    return mask_sensitive(text.rstrip())


def finding_segments(finding: Finding, source: str | None) -> Iterator[list[Segment]]:
    """The lines (as styled segments) that show one finding."""
    where = f"{finding.line or '-'}:{finding.column}" if finding.column else f"{finding.line or '-'}"
    head: list[Segment] = [
        (f"  {where:<8}", "dim"),
        (f"{finding.severity.value:<8}", _STYLE[finding.severity]),
        (finding.message, "bold" if finding.severity is Severity.ERROR else ""),
    ]
    yield head
    about = f"{finding.obj}  ·  {finding.rule}" if finding.obj else finding.rule
    yield [(" " * 18, ""), (about, "dim")]
    if source is not None:
        number = str(finding.line)
        shown = source if len(source) <= 160 else source[:157] + "..."
        yield [(" " * 18 + f"{number:>5} │ ", "dim"), (shown, "")]
        if finding.column:
            yield [(" " * 18 + " " * 5 + " │ " + " " * (finding.column - 1), "dim"), ("^", _STYLE[finding.severity])]
    if finding.hint:
        yield [(" " * 18 + "fix: ", "green"), (finding.hint, "green")]
    yield [(" " * 18 + "docs: ", "dim"), (f"{docs_anchor(finding.rule)}  (pomgate rules {finding.rule})", "dim")]


def text_blocks(findings: list[Finding], lines: SourceLines, secret_files: set[str]) -> Iterator[list[Segment]]:
    """Every output line, grouped by file in the findings' order."""
    for path, group in groupby(findings, key=lambda f: f.path):
        yield [(path or "(no file)", "bold underline")]
        for finding in group:
            yield from finding_segments(finding, quotable_line(finding, lines, secret_files))
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
    secret_files: set[str],
    info: dict[str, Any],
    out: TextIO,
    *,
    color: bool,
) -> None:
    """Write the grouped findings and the summary; styled with rich when ``color``."""
    blocks = text_blocks(findings, lines, secret_files)
    if not color:
        for segments in blocks:
            out.write("".join(text for text, _style in segments) + "\n")
        out.write(summary_line(info) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
    for segments in blocks:
        console.print(Text.assemble(*segments))
    style = "bold red" if info["errors"] else "yellow" if info["warnings"] else "green"
    console.print(Text(summary_line(info), style=style))
