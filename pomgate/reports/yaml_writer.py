"""Block YAML for `pomgate render`: the text ruamel.yaml writes, at the speed of the JSON encoder.

`render` writes routes as YAML the way ruamel.yaml's round-trip dumper does (mappings indented by
2, sequence items by 4 with the dash at 2, width 4096), and repositories commit that text
(`pomgate render -o routes.yaml --check`). ruamel's pure-Python emitter took 3x as long as the rest
of `render`; this writer lays out the structure itself and asks ruamel only about the scalars it
cannot place safely (a string that must be quoted, a float), once per distinct value. A document
with a shape this writer does not lay out (a list directly in a list, a null list item, a long or
odd key) is left to ruamel whole: `to_yaml` returns None.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

#: Strings ruamel writes plain whatever their context (a letter or / first, no space, no indicator).
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9._/+=@~:-]*")
#: Words a YAML reader may take for a bool or null: their quoting is ruamel's call.
_RESERVED = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"})
#: A first character that makes a string impossible to write plain.
_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
#: Longer plain strings are left to ruamel (it folds lines over its width).
_MAX_PLAIN = 1000
_MAX_KEY = 100


class _Unplaceable(Exception):
    """The document has a shape this writer leaves to ruamel."""


def _ruamel_scalar(value: Any, yaml: Any) -> str:
    """How ruamel writes ``value`` as the value of a top-level key, when that fits on one line."""
    out = io.StringIO()
    yaml.dump({"k": value}, out)
    text = out.getvalue()
    if not text.startswith("k: ") or text.count("\n") != 1:
        raise _Unplaceable
    return text[3:-1]


def _single_quoted(value: str) -> bool:
    """Whether ruamel surely writes this string single-quoted: it cannot be plain, and it is one printable line."""
    if not value or len(value) >= _MAX_PLAIN or not value.isprintable() or "'" in value:
        return False  # (ruamel double-quotes a string holding a single quote)
    return (
        value[0] in _INDICATORS
        or value[0] == " "
        or value[-1] == " "
        or value.endswith(":")
        or ": " in value
        or " #" in value
    )


class _Scalars:
    """Scalar text by value, asking ruamel once for each value it has to decide."""

    def __init__(self) -> None:
        self.decided: dict[tuple[type, Any], str] = {}
        self.yaml: Any = None

    def text(self, value: Any) -> str:
        if value is True:
            return "true"
        if value is False:
            return "false"
        if type(value) is int:
            return str(value)
        if (
            type(value) is str
            and len(value) < _MAX_PLAIN
            and _PLAIN.fullmatch(value)
            and not value.endswith(":")
            and value.lower() not in _RESERVED
        ):
            return value
        if type(value) not in (str, float):
            raise _Unplaceable
        if type(value) is str and _single_quoted(value):
            return f"'{value}'"
        key = (type(value), value)
        known = self.decided.get(key)
        if known is None:
            if isinstance(value, str) and (len(value) >= _MAX_PLAIN or not value.isprintable()):
                raise _Unplaceable
            if self.yaml is None:
                from ruamel.yaml import YAML

                self.yaml = YAML(typ="rt")
                self.yaml.width = 4096
            known = self.decided[key] = _ruamel_scalar(value, self.yaml)
        return known

    def key(self, value: Any) -> str:
        if type(value) is not str or not value or len(value) >= _MAX_KEY:
            raise _Unplaceable
        return self.text(value)


def _mapping(mapping: dict[Any, Any], indent: int, first: str, scalars: _Scalars, write: Callable[[str], Any]) -> None:
    """Write a non-empty mapping at ``indent``; its first line starts with ``first`` (a dash, or spaces)."""
    lead = first
    pad = " " * indent
    for key, value in mapping.items():
        head = f"{lead}{scalars.key(key)}:"
        lead = pad
        if value is None:
            write(head + "\n")
        elif isinstance(value, dict):
            if value:
                write(head + "\n")
                _mapping(value, indent + 2, " " * (indent + 2), scalars, write)
            else:
                write(head + " {}\n")
        elif isinstance(value, list):
            if value:
                write(head + "\n")
                _sequence(value, indent + 2, scalars, write)
            else:
                write(head + " []\n")
        else:
            write(f"{head} {scalars.text(value)}\n")


def _sequence(items: list[Any], indent: int, scalars: _Scalars, write: Callable[[str], Any]) -> None:
    """Write a non-empty sequence whose dashes are at ``indent``."""
    dash = " " * indent + "- "
    for item in items:
        if isinstance(item, dict):
            if item:
                _mapping(item, indent + 2, dash, scalars, write)
            else:
                write(dash + "{}\n")
        elif isinstance(item, list) or item is None:
            raise _Unplaceable
        else:
            write(dash + scalars.text(item) + "\n")


def to_yaml(document: dict[str, Any]) -> str | None:
    """``document`` as ruamel would write it (see the module), or None to leave it to ruamel."""
    if not document:
        return None
    chunks: list[str] = []
    try:
        _mapping(document, 0, "", _Scalars(), chunks.append)
    except (_Unplaceable, RecursionError):
        return None
    return "".join(chunks)
