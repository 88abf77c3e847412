"""One escaping layer for text that a pull request controls (names, paths, hosts, values, messages).

Every string from a repository under review is hostile. Before it reaches an output it goes through
the function for that output's destination:

- `markdown_text`: Markdown inline text (table cells, prose), GitHub flavoured;
- `html_text` / `html_code`: text inside an HTML block, e.g. a `<summary>` (no Markdown there);
- `code_span` / `code_block`: literal text as Markdown code;
- `workflow_command_data` / `workflow_command_property`: a GitHub Actions `::command prop=…::data` line;
- `github_output`: one `GITHUB_OUTPUT` record;
- `terminal_line` / `terminal_text`: text for a terminal or a CI log (stdout and stderr, TTY or not).
"""

from __future__ import annotations

import re
import secrets

# ---------------------------------------------------------------- Markdown and HTML (GitHub)

#: Control characters (C0 but tab/newline/CR, DEL, C1) and characters that change how text is shown
#: without being seen: bidi marks, overrides and isolates, zero widths, word joiners, line and
#: paragraph separators, the BOM. Removed from Markdown (they have no business in a comment).
_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\u2028\u2029\ufeff]"
)
#: Replaced by numeric character references: Markdown syntax (emphasis, code, links, images, tables,
#: strikethrough, math, escapes, headings) and HTML syntax (tags, entities, attribute quotes). A
#: reference is literal text in Markdown and decoded by HTML, so the result is the same text in both.
_SYNTAX = frozenset("\\`*_{}[]()#!|~$<>&\"'")
#: GitHub links `@user`, `#123` and bare URLs after rendering: a word joiner after the `@`/`#` or the
#: scheme keeps them text (shown the same, no notification, no link).
_MENTION_OR_REFERENCE = re.compile(r"([@#])(?=[\w-])")
_URL_START = re.compile(r"(?i)(?:https?|ftp|mailto|xmpp|javascript|data|file|vbscript)(?=:)|www(?=\.)")
_WORD_JOINER = "\u2060"


def _visible_line(text: str) -> str:
    """``text`` without hidden characters, its whitespace runs (newlines too) collapsed to one space."""
    return " ".join(_HIDDEN.sub("", str(text)).split())


def markdown_text(text: str) -> str:
    """``text`` as literal inline Markdown on one line: no formatting, HTML, link, image, mention or reference.

    Inline only: never put the result at the start of a line (list markers and `=` underlines are
    not escaped).
    """
    text = _visible_line(text)
    text = _MENTION_OR_REFERENCE.sub(lambda m: m.group(1) + _WORD_JOINER, text)
    text = _URL_START.sub(lambda m: m.group(0) + _WORD_JOINER, text)
    return "".join(f"&#{ord(char)};" if char in _SYNTAX else char for char in text)


def html_text(text: str) -> str:
    """``text`` as the content of an element in an HTML block (`<summary>`), safe in attributes too.

    GitHub renders no Markdown inside an HTML block but decodes character references and still links
    mentions and references, which is exactly what `markdown_text` guards against.
    """
    return markdown_text(text)


def html_code(text: str) -> str:
    """``text`` as inline code inside an HTML block (where Markdown backticks are not code)."""
    return f"<code>{html_text(text)}</code>"


def code_span(text: str) -> str:
    """Markdown inline code holding ``text`` literally (one line), whatever backticks it contains.

    Pipes are left to `pomgate.github.markdown.table`, which escapes them in every cell.
    """
    text = _visible_line(text)
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    """A fenced Markdown block holding ``text`` (several lines) literally; the fence outlasts any run inside."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _HIDDEN.sub("", text)
    runs = re.findall(r"`{3,}|~{3,}", text)
    fence = "`" * max(3, max((len(run) for run in runs), default=0) + 1)
    language = re.sub(r"[^A-Za-z0-9_+-]", "", language)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


# ---------------------------------------------------------------- GitHub Actions


def workflow_command_data(text: str) -> str:
    """The data part of a workflow command (after the second `::`), escaped as GitHub documents."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_command_property(text: str) -> str:
    """A property value of a workflow command (`file=…`, `title=…`): also `:` and `,` escaped."""
    return workflow_command_data(text).replace(":", "%3A").replace(",", "%2C")


_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def github_output(name: str, value: str) -> str:
    """One record for the GITHUB_OUTPUT (or GITHUB_ENV) file: `name=value`, or a heredoc for several lines.

    The heredoc delimiter is random and checked not to occur in ``value``, so a value cannot end
    its record early and set other outputs. ``name`` is ours: anything but a plain name is refused.
    """
    if not _OUTPUT_NAME.fullmatch(name):
        raise ValueError(f"not an output name: {name!r}")
    value = str(value)
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"pomgate_{secrets.token_hex(16)}"
    while delimiter in value:
        delimiter = f"pomgate_{secrets.token_hex(16)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


# ---------------------------------------------------------------- terminals and CI logs

#: Shown as `\xNN` / `\uNNNN` instead of acting on the terminal or the log: C0 controls but tab
#: (newline and carriage return too: one value stays on its line), DEL, C1 controls (8-bit CSI,
#: OSC, NEL), bidi marks, overrides and isolates, line and paragraph separators.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
#: The legacy workflow-command prefix, which the Actions runner finds anywhere in a line.
_LEGACY_COMMAND = "##["


def _shown_escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_line(text: str) -> str:
    """``text`` as one inert line of terminal or CI-log output.

    Control characters (escape sequences, carriage returns, newlines) and bidi controls are shown
    as escapes; a line that would start with `::` (a GitHub Actions workflow command, leading
    whitespace ignored as the runner does) has its first `:` shown as `\\x3a`; `##[` (the legacy
    command form, recognised anywhere) becomes `#\\x23[`.
    """
    line = _TERMINAL_CONTROL.sub(_shown_escaped, str(text)).replace(_LEGACY_COMMAND, "#\\x23[")
    stripped = line.lstrip()
    if stripped.startswith("::"):
        line = line[: len(line) - len(stripped)] + "\\x3a" + stripped[1:]
    return line


def terminal_text(text: str) -> str:
    """Several lines of terminal output: each line made inert by `terminal_line`, newlines kept."""
    return "\n".join(terminal_line(line) for line in str(text).split("\n"))
