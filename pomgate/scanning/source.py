"""Source lines of the scanned files: quoted under findings, and used to find a finding's column.

A line is quoted only through `SourceLines.excerpt`, which masks Secret data and sensitive values
(`pomgate.scanning.excerpt`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pomgate.findings import Finding
from pomgate.scanning.excerpt import Segment, mask_inline_pairs, redact_line, secret_segments
from pomgate.scanning.loader import decode_text

#: Characters of a line an excerpt keeps at most (the text report shows 160).
EXCERPT_LIMIT = 400
#: What YAML counts as a line break (the loader's line numbers follow it).
YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class SourceLines:
    """Lines of the files a scan read, split lazily (only files with findings are ever decoded)."""

    def __init__(self, sources: Mapping[str, bytes | str], files: Mapping[str, str] | None = None) -> None:
        self._sources = sources
        self._files = files or {}
        self._read: dict[str, str | None] = {}
        self._lines: dict[str, list[str]] = {}
        self._masked: dict[str, dict[int, list[Segment]]] = {}

    def text(self, path: str | None) -> str | None:
        """The whole text of ``path`` (held, or read again from its file), or None when unknown."""
        content = self._sources.get(path) if path is not None else None
        if content is None and path is not None and path in self._files:
            if path in self._read:
                return self._read[path]
            try:
                with open(self._files[path], "rb") as handle:
                    text: str | None = _as_text(handle.read())
            except OSError:
                text = None
            self._read[path] = text
            return text
        if content is None:
            return None
        return _as_text(content)

    def file_path(self, path: str | None) -> str | None:
        """The file on disk ``path`` was read from, or None (standard input, a build's output)."""
        return self._files.get(path) if path is not None else None

    def line(self, path: str | None, number: int | None) -> str | None:
        """Line ``number`` (1-based) of ``path`` without its line break, or None when unknown."""
        if path is None or not number or number < 1:
            return None
        lines = self._lines.get(path)
        if lines is None:
            text = self.text(path)
            if text is None:
                return None
            lines = YAML_LINE_BREAK.split(text)  # not str.splitlines: it also breaks at \x1c-\x1e, \v, \f
            self._lines[path] = lines
        if number > len(lines):
            return None
        return lines[number - 1]

    def excerpt(self, path: str | None, number: int | None) -> str | None:
        """Line ``number`` as it may be quoted: Secret data and sensitive values replaced by ``<redacted>``."""
        line = self.line(path, number)
        if line is None or path is None or number is None:
            return None
        masked = self._masked.get(path)
        if masked is None:
            masked = self._masked[path] = secret_segments(self.text(path) or "")
        shown = redact_line(line, masked.get(number - 1, []))
        if len(shown) > EXCERPT_LIMIT:  # (no report shows more; the inline-pair search stays cheap)
            shown = shown[:EXCERPT_LIMIT] + "..."
        return mask_inline_pairs(shown)


def _as_text(content: bytes | str) -> str:
    """A file's text as the loader reads it (BOM dropped, UTF-16 decoded), so its lines are the loader's."""
    text, _problem = decode_text(content, "")
    if text is not None:
        return text
    return content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content


def column_of(line: str, finding: Finding) -> int | None:
    """The 1-based column a finding points at on its line: the key or list item its field ends with."""
    last = finding.field[-1] if finding.field else None
    if isinstance(last, str) and last:
        for candidate in (f'"{last}"', f"'{last}'", last):
            index = _key_index(line, candidate)
            if index is not None:
                return index + 1
    stripped = line.lstrip(" ")
    if not stripped or stripped.startswith("#"):
        return None
    return len(line) - len(stripped) + 1


def _key_index(line: str, key: str) -> int | None:
    start = 0
    while True:
        index = line.find(key, start)
        if index < 0:
            return None
        after = line[index + len(key) :].lstrip(" ")
        before = line[:index].rstrip(" ")
        if after.startswith(":") and (not before or before.endswith(("-", "{", ","))):
            return index
        start = index + 1


def point_at_tokens(findings: Iterable[Finding], lines: SourceLines) -> None:
    """Locate the word a finding is about inside an annotation value (``extra["token"]``).

    The finding keeps the annotation's line; ``extra["token_at"]`` gets the (line, column) of the
    word, which the text report quotes as well (a block-scalar policy spans many lines). Only the
    key's line and the more-indented lines below it are searched.
    """
    for finding in findings:
        token = finding.extra.get("token")
        if not isinstance(token, str) or not token or finding.line is None:
            continue
        first = lines.line(finding.path, finding.line)
        if first is None:
            continue
        indent = len(first) - len(first.lstrip(" "))
        pattern = re.compile(r"(?<![\w/-])" + re.escape(token) + r"(?![\w/-])")
        number = finding.line
        text: str | None = first
        key_end = first.find(":", indent)
        start = key_end + 1 if key_end >= 0 else 0
        while text is not None:
            match = pattern.search(text, start)
            if match is not None:
                finding.extra["token_at"] = (number, match.start() + 1)
                break
            number += 1
            text = lines.line(finding.path, number)
            if text is not None and text.strip() and len(text) - len(text.lstrip(" ")) <= indent:
                break
            start = 0


def fill_columns(findings: Iterable[Finding], lines: SourceLines) -> None:
    """Set the column of findings that have a file and line but no column yet."""
    for finding in findings:
        if finding.column is not None or finding.line is None:
            continue
        text = lines.line(finding.path, finding.line)
        if text is not None:
            finding.column = column_of(text, finding)
