"""Source lines of the scanned files: quoted under findings, and used to find a finding's column."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pomgate.findings import Finding


class SourceLines:
    """Lines of the files a scan read, split lazily (only files with findings are ever decoded)."""

    def __init__(self, sources: Mapping[str, bytes | str]) -> None:
        self._sources = sources
        self._lines: dict[str, list[str]] = {}

    def line(self, path: str | None, number: int | None) -> str | None:
        """Line ``number`` (1-based) of ``path`` without its line break, or None when unknown."""
        if path is None or not number or number < 1:
            return None
        lines = self._lines.get(path)
        if lines is None:
            content = self._sources.get(path)
            if content is None:
                return None
            text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
            lines = text.splitlines()
            self._lines[path] = lines
        if number > len(lines):
            return None
        return lines[number - 1]


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


def fill_columns(findings: Iterable[Finding], lines: SourceLines) -> None:
    """Set the column of findings that have a file and line but no column yet."""
    for finding in findings:
        if finding.column is not None or finding.line is None:
            continue
        text = lines.line(finding.path, finding.line)
        if text is not None:
            finding.column = column_of(text, finding)
