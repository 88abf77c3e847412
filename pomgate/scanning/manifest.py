"""The scanner's output types: raw Kubernetes objects that remember where they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pomgate.findings import FieldPath, ObjectRef


class LineDict(dict[Any, Any]):
    """A YAML/JSON mapping that knows its own line and the line of each key (1-based).

    Key lines are kept as a list in the dict's key order (a list costs a fraction of a second dict,
    and a 10,000-Ingress repository has half a million mappings); `key_line` looks one up.
    """

    __slots__ = ("_lines", "line")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int = 0
        self._lines: list[int] | tuple[int, ...] = []

    def key_line(self, key: Any, default: int | None = None) -> int | None:
        """The line of ``key`` (the last occurrence of a duplicated key), else ``default``."""
        lines = self._lines
        for index, candidate in enumerate(self):
            if candidate == key:
                return lines[index] if index < len(lines) else default
        return default

    def set_key_line(self, key: Any, line: int) -> None:
        """Record the line of ``key``, which must already be in the mapping."""
        lines = self._lines
        if not isinstance(lines, list):
            lines = self._lines = list(lines)
        for index, candidate in enumerate(self):
            if candidate == key:
                if index < len(lines):
                    lines[index] = line
                else:
                    lines.extend([self.line] * (index - len(lines)))
                    lines.append(line)
                return

    @property
    def key_lines(self) -> dict[Any, int]:
        """Every key's line (a new dict: for reading)."""
        return dict(zip(self, self._lines, strict=False))

    def __reduce__(self) -> tuple[Any, ...]:
        # Far faster to pickle (the scan cache) than the generic slots protocol.
        return (_restore_line_dict, (dict(self), self.line, self._lines))


def _restore_line_dict(items: dict[Any, Any], line: int, lines: list[int] | tuple[int, ...]) -> LineDict:
    restored = LineDict(items)
    restored.line = line
    restored._lines = lines
    return restored


@dataclass(frozen=True)
class Origin:
    """Where an object was read: display path, 0-based document index, 1-based line.

    ``item`` is the index inside a ``kind: List`` document, when the object came from one.
    """

    path: str
    document: int
    line: int
    item: int | None = None


@dataclass
class ManifestObject:
    """One Kubernetes object as read from the input, before typing."""

    api_version: str
    kind: str
    name: str
    namespace: str
    raw: dict[str, Any]
    origin: Origin
    namespace_defaulted: bool = False

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.namespace, self.name)

    def line_of(self, field: FieldPath) -> int:
        """The line of the deepest part of ``field`` that the input records (the object's line at worst)."""
        return line_of(self.raw, field, self.origin.line)


def line_of(raw: Any, field: FieldPath, default: int) -> int:
    """Walk ``raw`` along ``field`` and return the best-known line (1-based)."""
    line = getattr(raw, "line", 0) or default
    node: Any = raw
    for part in field:
        if isinstance(node, dict):
            if part not in node:
                if isinstance(node, LineDict):
                    line = node.key_line(part, line) or line
                break
            if isinstance(node, LineDict):
                line = node.key_line(part, line) or line
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        own = getattr(node, "line", 0)
        if own and isinstance(node, dict) and not isinstance(part, str):
            line = own
    return line
