"""Find the YAML (or JSON) key a finding is about, with the exact character span of its key and value.

Pure: text in, spans out. The file is composed into nodes (no construction, so no type resolution
and no secret values held as Python objects); a mapping entry is chosen by the finding's line and
the key its field path ends with. Nothing is found when the text does not parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of the text, and the node's quoting (``""`` plain, ``'`` or ``"``)."""

    start: int
    end: int
    line: int  # 1-based line of the first character
    style: str


@dataclass(frozen=True)
class Entry:
    """One mapping entry of the text: its key (a string) and its value, as written."""

    key: str
    key_span: Span
    value: str | None  # the scalar's text; None when the value is a list or mapping
    value_span: Span
    value_tag: str  # the tag the value resolves to (``tag:yaml.org,2002:str``, ``…:int``, …)
    siblings: frozenset[str]  # the other keys of the same mapping


def _span(node: yaml.Node) -> Span:
    style = getattr(node, "style", None) or ""
    return Span(node.start_mark.index, node.end_mark.index, node.start_mark.line + 1, style if style in "'\"" else "")


@lru_cache(maxsize=4)
def compose_documents(text: str) -> list[yaml.Node] | None:
    """Every document of ``text`` as a node tree, or None when the text is not valid YAML (the last few are kept)."""
    try:
        return [node for node in yaml.compose_all(text, Loader=_Loader) if node is not None]
    except (yaml.YAMLError, ValueError, RecursionError):
        return None


def _entries(node: yaml.Node) -> Iterator[tuple[yaml.MappingNode, yaml.Node, yaml.Node]]:
    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:  # an alias points at a node already walked
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                yield current, key, value
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def find_entry(documents: list[yaml.Node], key: str, line: int) -> Entry | None:
    """The one entry with key text ``key`` whose key (or value) starts on ``line`` (1-based); else None."""
    found: list[Entry] = []
    for document in documents:
        for mapping, key_node, value_node in _entries(document):
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value != key:
                continue
            key_span, value_span = _span(key_node), _span(value_node)
            if line not in (key_span.line, value_span.line):
                continue
            scalar = isinstance(value_node, yaml.ScalarNode)
            others = frozenset(
                str(k.value) for k, _v in mapping.value if isinstance(k, yaml.ScalarNode) and k is not key_node
            )
            value = value_node.value if scalar else None
            found.append(Entry(key, key_span, value, value_span, value_node.tag or "", others))
    return found[0] if len(found) == 1 else None


def entry_at(text: str, key: str, line: int) -> Entry | None:
    """`find_entry` on ``text`` (composed here)."""
    documents = compose_documents(text)
    return None if documents is None else find_entry(documents, key, line)
