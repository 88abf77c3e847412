"""Markdown structure for the pull-request comment: tables, collapsible blocks and our own links.

The builders take text that is already safe (made with `pomgate.escaping`, which escapes every
string a pull request controls) and only keep that text inside the table cell or `<details>` block
it was put in.
"""

from __future__ import annotations

from collections.abc import Sequence

from pomgate.escaping import markdown_text


def details(summary_html: str, body_markdown: str) -> str:
    """A collapsible block. ``summary_html`` sits in an HTML block: build it with `html_text`/`html_code`."""
    return f"<details><summary>{summary_html}</summary>\n\n{body_markdown}\n\n</details>"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table whose cells are already-safe Markdown; pipes and line breaks are neutralised.

    Every pipe is escaped, also inside code spans (GitHub splits cells before it reads code spans).
    """

    def cell(value: str) -> str:
        return " ".join(str(value).split()).replace("|", "\\|") or " "

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + " --- |" * len(headers)]
    for row in rows:
        padded = list(row) + [""] * (len(headers) - len(row))
        lines.append("| " + " | ".join(cell(value) for value in padded[: len(headers)]) + " |")
    return "\n".join(lines)


def link(text: str, url: str) -> str:
    """A link we build ourselves (https only); the text is escaped, the URL percent-encoded."""
    if not url.startswith("https://"):
        return markdown_text(text)
    safe_url = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
    return f"[{markdown_text(text)}]({safe_url})"
