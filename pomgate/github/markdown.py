"""Markdown builders for text a hostile pull request controls (Ingress names, hosts, annotations).

Every string from a manifest goes through one of these before it reaches a comment or the job
summary: `escape_inline` for prose and table cells, `code_span` / `code_block` for literal text.
The result cannot open links or images, HTML elements, mentions, issue references, headings or
tables, and cannot leave the code span, code block, table cell or `<details>` it was put in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

#: Unicode characters that change how text is displayed (bidi overrides and isolates, zero widths).
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\ufeff]")
#: Escaped with a backslash before HTML escaping (so entities like &#x27; stay intact). `<`, `>` and `&`
#: become entities instead; list markers only matter at a line start, which inline text never is.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")
_MENTION_OR_REF = re.compile(r"([@#])(?=[\w-])")
_URL_SCHEME = re.compile(r"(?i)(?:https?|ftp|mailto|javascript|data|file)(?=:)|www(?=\.)")
_WORD_JOINER = "\u2060"


def _clean(text: str) -> str:
    text = _INVISIBLE.sub("", str(text))
    return " ".join(text.split())  # newlines and tabs collapse: one line per cell/prose item


def escape_inline(text: str) -> str:
    """``text`` as literal inline Markdown: no formatting, HTML, links, mentions or references."""
    text = _clean(text)
    text = _MENTION_OR_REF.sub(lambda m: m.group(1) + _WORD_JOINER, text)  # @user and #123 do not notify/link
    text = _URL_SCHEME.sub(lambda m: m.group(0) + _WORD_JOINER, text)  # no autolinks
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return html.escape(text, quote=False)  # < > & become entities: no HTML (quotes are harmless outside tags)


def code_span(text: str) -> str:
    """Inline code holding ``text`` literally, whatever backticks it contains; safe in table cells."""
    text = _clean(text)  # (pipes are escaped by `table`, which GitHub honours inside code spans too)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}" if text else "` `"


def code_block(text: str, language: str = "") -> str:
    """A fenced block holding ``text`` (multi-line) literally; the fence outlasts any run inside."""
    text = _INVISIBLE.sub("", str(text)).replace("\r\n", "\n").replace("\r", "\n")
    runs = re.findall(r"`{3,}|~{3,}", text)
    fence = "`" * max(3, max((len(run) for run in runs), default=0) + 1)
    language = re.sub(r"[^A-Za-z0-9_+-]", "", language)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


def details(summary_markdown: str, body_markdown: str) -> str:
    """A collapsible block; ``summary_markdown`` must already be safe (built with these helpers)."""
    return f"<details><summary>{summary_markdown}</summary>\n\n{body_markdown}\n\n</details>"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table whose cells are already-safe Markdown; pipes and line breaks are neutralised."""

    def cell(value: str) -> str:
        value = " ".join(str(value).split())
        return re.sub(r"(?<!\\)\|", r"\\|", value) or " "

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + " --- |" * len(headers)]
    for row in rows:
        padded = list(row) + [""] * (len(headers) - len(row))
        lines.append("| " + " | ".join(cell(value) for value in padded[: len(headers)]) + " |")
    return "\n".join(lines)


def link(text: str, url: str) -> str:
    """A link we build ourselves (https only); the text is escaped, the URL percent-encoded."""
    if not url.startswith("https://"):
        return escape_inline(text)
    safe_url = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
    return f"[{escape_inline(text)}]({safe_url})"
