"""Annotation values as Go sees them: YAML (gopkg.in/yaml.v3) parsing, JSON conversion, Go formatting.

The controller decodes every base/policy annotation value with ``yaml.Unmarshal`` into an untyped Go
value, serialises the result with ``encoding/json`` and stringifies map values with ``fmt.Sprint``
(annotations.md §2, §2.1, §2.2). This module reproduces those three steps in Python:

* :func:`parse_annotation_value` / :func:`parse_first_document` — YAML with yaml.v3 resolution rules
  (YAML-1.2-core-like: only ``true``/``false`` spellings are booleans, ``010`` is octal, timestamps
  become :class:`datetime.datetime`, no sexagesimal numbers, duplicate keys are errors).
* :func:`to_json_value` — what ``encoding/json`` would emit, or :class:`JsonValueError`.
* :func:`go_sprint` — ``fmt.Sprint`` of a decoded value.
* :func:`parse_go_duration` — ``time.ParseDuration``.

Parsing uses libyaml's event stream (PyYAML's C parser, the same C code yaml.v3 was ported from) and
builds values itself, so no PyYAML resolver or constructor (global or not) is involved.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
import math
import re
from decimal import Decimal
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

__all__ = [
    "MAX_ALIAS_EXPANSION",
    "MAX_NESTING_DEPTH",
    "JsonValueError",
    "YamlValueError",
    "copy_containers",
    "go_json_text",
    "go_quote",
    "go_sprint",
    "parse_annotation_value",
    "parse_first_document",
    "parse_go_duration",
    "to_json_value",
]

#: Deepest collection nesting accepted (yaml.v3 allows 10000; Python recursion needs a lower bound).
MAX_NESTING_DEPTH = 200
#: Most nodes that alias expansion may produce before the value is refused as an alias bomb.
MAX_ALIAS_EXPANSION = 100_000

# libyaml's event parser when available (fast, and the C code yaml.v3 was ported from).
_EventLoader: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class YamlValueError(ValueError):
    """A YAML value yaml.v3 would refuse; the message starts with ``yaml: `` like upstream's."""


class JsonValueError(ValueError):
    """A decoded value that Go's ``encoding/json`` cannot serialise (``json: unsupported ...``)."""


# --------------------------------------------------------------------------- plain scalar resolution

_TAG_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _TAG_PREFIX + "str"
_BINARY_TAG = _TAG_PREFIX + "binary"
_BOOL_TAG = _TAG_PREFIX + "bool"
_INT_TAG = _TAG_PREFIX + "int"
_FLOAT_TAG = _TAG_PREFIX + "float"
_TIMESTAMP_TAG = _TAG_PREFIX + "timestamp"
_NULL_TAG = _TAG_PREFIX + "null"

# First-character hints of yaml.v3's resolver: S = sign, D = digit, M = map lookup only, . = float.
_HINTS: dict[str, str] = {"+": "S", "-": "S", ".": "."}
_HINTS.update(dict.fromkeys("0123456789", "D"))
_HINTS.update(dict.fromkeys("yYnNtTfFoO~", "M"))

_SPECIAL_PLAIN: dict[str, Any] = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
    ".inf": math.inf,
    ".Inf": math.inf,
    ".INF": math.inf,
    "+.inf": math.inf,
    "+.Inf": math.inf,
    "+.INF": math.inf,
    "-.inf": -math.inf,
    "-.Inf": -math.inf,
    "-.INF": -math.inf,
}

# strconv.ParseInt(s, 0, 64) syntax once underscores are removed (leading 0 = octal).
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)")
# yaml.v3's yamlStyleFloat (applied after removing underscores).
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
# strconv.ParseFloat of a value starting with '.', underscores only between digits.
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?")
# The four yaml.v3 timestamp layouts ("2006-1-2T15:4:5.999999999Z07:00", lower-case t, space, date only).
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})"
    r"| (\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?)?"
)
_INT64_MIN = -(1 << 63)
_UINT64_MAX = (1 << 64) - 1


def _go_parse_int(plain: str) -> int | None:
    """strconv.ParseInt(plain, 0, 64), falling back to ParseUint for large positive values."""
    match = _GO_INT.fullmatch(plain)
    if match is None:
        return None
    sign, digits = match.groups()
    if len(digits) > 1 and digits[0] == "0":
        prefix = digits[1].lower()
        base = {"x": 16, "b": 2, "o": 8}.get(prefix)
        number = int(digits[2:], base) if base else int(digits[1:], 8)
    else:
        number = int(digits)
    if sign == "-":
        number = -number
    if number < _INT64_MIN or number > _UINT64_MAX:
        return None
    if sign == "+" and number > (1 << 63) - 1:
        return None  # ParseUint accepts no sign
    return number


def _parse_timestamp(text: str) -> dt.datetime | None:
    """yaml.v3 parseTimestamp: the four allowed layouts, validated like Go's time.Parse."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    tzinfo: dt.tzinfo = dt.UTC
    if match[4] is not None:
        hour, minute, second, fraction = int(match[4]), int(match[5]), int(match[6]), match[7]
        zone = match[8]
        if zone != "Z":
            offset_hours, offset_minutes = int(zone[1:3]), int(zone[4:6])
            if offset_hours > 23 or offset_minutes > 59:
                return None
            offset = dt.timedelta(hours=offset_hours, minutes=offset_minutes)
            if offset:
                tzinfo = dt.timezone(-offset if zone[0] == "-" else offset)
    elif match[9] is not None:
        hour, minute, second, fraction = int(match[9]), int(match[10]), int(match[11]), match[12]
    else:
        hour = minute = second = 0
        fraction = None
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tzinfo)
    except ValueError:  # out-of-range field (also year 0, which Python cannot represent)
        return None


@functools.lru_cache(maxsize=4096)
def _resolve_plain(text: str) -> Any:
    """Resolve an untagged plain scalar like yaml.v3's ``resolve("", text)``; results are immutable."""
    if not text:
        return None
    hint = _HINTS.get(text[0])
    if hint is None:
        return text
    if text in _SPECIAL_PLAIN:
        return _SPECIAL_PLAIN[text]
    if hint == "M":
        return text
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text):
            number = float(text.replace("_", ""))
            if not math.isinf(number):
                return number
        return text
    if hint == "D" and (timestamp := _parse_timestamp(text)) is not None:
        return timestamp
    plain = text.replace("_", "")
    integer = _go_parse_int(plain)
    if integer is not None:
        return integer
    if _YAML_FLOAT.fullmatch(plain):
        number = float(plain)
        if not math.isinf(number):  # Go's ParseFloat reports overflow as an error: stays a string
            return number
    return text


def _resolve_tagged(tag: str, text: str, plain: bool) -> Any:
    """A scalar with an explicit tag (``!!int 1``, ``!!str x``, ``!custom x``)."""
    if tag == "!":
        return _resolve_plain(text) if plain else text
    if tag == _STR_TAG:
        return text
    if tag == _BINARY_TAG:
        try:
            data = base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            raise YamlValueError("yaml: !!binary value contains invalid base64 data") from None
        return data.decode("utf-8", "replace")
    if tag not in (_BOOL_TAG, _INT_TAG, _FLOAT_TAG, _TIMESTAMP_TAG):
        return text  # custom or non-resolvable tag: the text itself
    if tag == _TIMESTAMP_TAG:
        stamp = _parse_timestamp(text) if text[:1].isdigit() else None
        if stamp is not None:
            return stamp
    resolved = _resolve_plain(text)
    if tag == _BOOL_TAG and type(resolved) is bool:
        return resolved
    if tag == _INT_TAG and type(resolved) is int:
        return resolved
    if tag == _FLOAT_TAG and type(resolved) in (int, float):
        return float(resolved)
    raise YamlValueError(f"yaml: cannot decode {_short_tag(resolved)} `{text}` as a !!{tag[len(_TAG_PREFIX) :]}")


def _short_tag(value: Any) -> str:
    if value is None:
        return "!!null"
    if type(value) is bool:
        return "!!bool"
    if type(value) is int:
        return "!!int"
    if type(value) is float:
        return "!!float"
    if isinstance(value, dt.datetime):
        return "!!timestamp"
    return "!!str"


# --------------------------------------------------------------------------- document composition


class _Scalar:
    __slots__ = ("line", "plain", "tag", "text")

    def __init__(self, text: str, tag: str | None, plain: bool, line: int) -> None:
        self.text = text
        self.tag = tag
        self.plain = plain
        self.line = line


class _Sequence:
    __slots__ = ("items", "line")

    def __init__(self, line: int) -> None:
        self.items: list[_Node] = []
        self.line = line


class _Mapping:
    __slots__ = ("items", "line")

    def __init__(self, line: int) -> None:
        self.items: list[_Node] = []  # key, value, key, value, ...
        self.line = line


class _Alias:
    __slots__ = ("line", "name", "target")

    def __init__(self, name: str, target: _Node, line: int) -> None:
        self.name = name
        self.target = target
        self.line = line


_Node = _Scalar | _Sequence | _Mapping | _Alias


def _syntax_error(err: yaml.YAMLError) -> YamlValueError:
    """Word a libyaml error the way yaml.v3's parser does (its quirky line numbering included)."""
    if isinstance(err, yaml.MarkedYAMLError):
        context_line = err.context_mark.line if err.context_mark is not None else 0
        problem_line = err.problem_mark.line if err.problem_mark is not None else 0
        line = context_line or problem_line
        if line and isinstance(err, yaml.scanner.ScannerError):
            line += 1
        where = f"line {line}: " if line else ""
        return YamlValueError(f"yaml: {where}{err.problem or 'unknown problem parsing YAML content'}")
    if isinstance(err, yaml.reader.ReaderError):
        return YamlValueError(f"yaml: {err.reason}")
    return YamlValueError(f"yaml: {err}")


def _compose_first_document(text: str) -> tuple[_Node | None, bool]:
    """Parse events of the first document into a node tree (parse-phase errors raise here)."""
    loader = _EventLoader(text)
    try:
        get_event = loader.get_event
        get_event()  # StreamStartEvent
        event = get_event()
        if isinstance(event, StreamEndEvent):
            return None, False
        root: _Node | None = None
        open_nodes: list[_Sequence | _Mapping] = []
        anchors: dict[str, _Node] = {}
        while True:
            event = get_event()
            kind = type(event)
            node: _Node
            if kind is ScalarEvent:
                node = _Scalar(event.value, event.tag, not event.style, event.start_mark.line + 1)
            elif kind is SequenceStartEvent:
                node = _Sequence(event.start_mark.line + 1)
            elif kind is MappingStartEvent:
                node = _Mapping(event.start_mark.line + 1)
            elif kind is SequenceEndEvent or kind is MappingEndEvent:
                open_nodes.pop()
                continue
            elif kind is AliasEvent:
                target = anchors.get(event.anchor)
                if target is None:
                    raise YamlValueError(f"yaml: unknown anchor '{event.anchor}' referenced")
                node = _Alias(event.anchor, target, event.start_mark.line + 1)
            elif kind is DocumentEndEvent:
                return root, True
            else:  # pragma: no cover - no other event can occur inside a document
                continue
            anchor = getattr(event, "anchor", None)
            if anchor is not None and kind is not AliasEvent:
                anchors[anchor] = node
            if open_nodes:
                open_nodes[-1].items.append(node)
            else:
                root = node
            if isinstance(node, (_Sequence, _Mapping)):
                open_nodes.append(node)
                if len(open_nodes) > MAX_NESTING_DEPTH:
                    raise YamlValueError(f"yaml: exceeded max depth of {MAX_NESTING_DEPTH}")
    except yaml.YAMLError as err:
        raise _syntax_error(err) from None
    finally:
        loader.dispose()


class _Decoder:
    """Turn a node tree into Python values the way yaml.v3 decodes into ``interface{}``."""

    def __init__(self) -> None:
        self.type_errors: list[str] = []
        self.expanding: set[int] = set()
        self.alias_depth = 0
        self.alias_nodes = 0

    def decode(self, node: _Node, depth: int) -> Any:
        if self.alias_depth:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_EXPANSION:
                raise YamlValueError("yaml: document contains excessive aliasing")
        if isinstance(node, _Scalar):
            if node.tag is None:
                return _resolve_plain(node.text) if node.plain else node.text
            return _resolve_tagged(node.tag, node.text, node.plain)
        if depth >= MAX_NESTING_DEPTH:
            raise YamlValueError(f"yaml: exceeded max depth of {MAX_NESTING_DEPTH}")
        if isinstance(node, _Sequence):
            return [self.decode(item, depth + 1) for item in node.items]
        if isinstance(node, _Mapping):
            return self.mapping(node, depth)
        return self.alias(node, depth)

    def alias(self, node: _Alias, depth: int) -> Any:
        if id(node) in self.expanding:
            raise YamlValueError(f"yaml: anchor '{node.name}' value contains itself")
        self.expanding.add(id(node))
        self.alias_depth += 1
        try:
            return self.decode(node.target, depth)
        finally:
            self.alias_depth -= 1
            self.expanding.discard(id(node))

    def mapping(self, node: _Mapping, depth: int) -> Any:
        items = node.items
        if not self.unique_keys(items):
            return None
        result: dict[Any, Any] = {}
        merge: _Node | None = None
        for index in range(0, len(items), 2):
            key_node, value_node = items[index], items[index + 1]
            if _is_merge_key(key_node):
                merge = value_node
                continue
            key = self.decode(key_node, depth + 1)
            if isinstance(key, (list, dict)):
                raise YamlValueError(f"yaml: invalid map key: {_go_sharp_v(key)}")
            result[key] = self.decode(value_node, depth + 1)
        if merge is not None:
            self.merge(result, merge, depth)
        return result

    def unique_keys(self, items: list[_Node]) -> bool:
        """yaml.v3 rejects two keys of the same node kind and text (``a`` and ``'a'`` collide)."""
        seen: dict[tuple[str, str], list[int]] = {}
        duplicated = False
        for index in range(0, len(items), 2):
            positions = seen.setdefault(_key_identity(items[index]), [])
            duplicated = duplicated or bool(positions)
            positions.append(index)
        if not duplicated:
            return True
        messages: list[tuple[int, int, str]] = []
        for (_, text), positions in seen.items():
            for i, earlier in enumerate(positions):
                for later in positions[i + 1 :]:
                    message = (
                        f"line {items[later].line}: mapping key {go_quote(text)} "
                        f"already defined at line {items[earlier].line}"
                    )
                    messages.append((earlier, later, message))
        self.type_errors.extend(message for _, _, message in sorted(messages))
        return False

    def merge(self, result: dict[Any, Any], merge: _Node, depth: int) -> None:
        """``<<`` merge keys: explicit keys win, then the first merged map that has the key."""
        sources = merge.items if isinstance(merge, _Sequence) else [merge]
        for source in sources:
            target = source.target if isinstance(source, _Alias) else source
            if not isinstance(target, _Mapping):
                raise YamlValueError("yaml: map merge requires map or sequence of maps as the value")
            merged = self.decode(source, depth)
            if isinstance(merged, dict):
                for key, value in merged.items():
                    result.setdefault(key, value)


def _is_merge_key(node: _Node) -> bool:
    """A plain ``<<`` (untagged, ``!`` or ``!!merge``); a quoted ``'<<'`` is an ordinary key."""
    return (
        isinstance(node, _Scalar)
        and node.plain
        and node.text == "<<"
        and node.tag in (None, "!", _TAG_PREFIX + "merge")
    )


def _key_identity(node: _Node) -> tuple[str, str]:
    if isinstance(node, _Scalar):
        return ("scalar", node.text)
    if isinstance(node, _Alias):
        return ("alias", node.name)
    return ("sequence" if isinstance(node, _Sequence) else "mapping", "")


def _decode_document(text: str) -> tuple[Any, bool]:
    root, found = _compose_first_document(text)
    if root is None:
        return None, found
    decoder = _Decoder()
    try:
        value = decoder.decode(root, 0)
    except RecursionError:
        raise YamlValueError(f"yaml: exceeded max depth of {MAX_NESTING_DEPTH}") from None
    if decoder.type_errors:
        raise YamlValueError("yaml: unmarshal errors:\n  " + "\n  ".join(decoder.type_errors))
    return value, True


# --------------------------------------------------------------------------- fast paths

# A single-line plain scalar that needs no YAML parsing: letters, digits and a few safe punctuation
# characters, ':' only when followed by more text, no leading indicator, no comment.
_SAFE_PLAIN = re.compile(
    r"(?:[A-Za-z0-9_./+~=^$()]|-(?=[A-Za-z0-9_./+~=^$()]))[A-Za-z0-9_./+~=^$()@%-]*(?::[A-Za-z0-9_./+~=^$()@%-]+)*"
)
# Single-line JSON arrays/objects that YAML reads the same way (printable ASCII, no \u or \/ escapes).
_JSON_CANDIDATE = re.compile(r"[\[{][ -~]*")
_MAX_JSON_FAST_PATH = 1000


class _NotJsonFastPath(Exception):
    pass


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _NotJsonFastPath  # duplicate keys: let the YAML path word the error
    return result


def _json_constant(_: str) -> Any:
    raise _NotJsonFastPath  # NaN / Infinity are plain strings in YAML


def _try_json(text: str) -> tuple[bool, Any]:
    if len(text) > _MAX_JSON_FAST_PATH or "\\u" in text or "\\/" in text or not _JSON_CANDIDATE.fullmatch(text):
        return False, None
    if text.count("[") + text.count("{") > MAX_NESTING_DEPTH:
        return False, None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_json_pairs,
            parse_int=_resolve_plain,
            parse_float=_resolve_plain,
            parse_constant=_json_constant,
        )
    except (ValueError, _NotJsonFastPath, RecursionError):
        return False, None
    return True, value


#: Per-process memos (decoded texts, policy verdicts) hold this many entries, and texts this long.
MEMO_MAX_ENTRIES = 1024
MEMO_MAX_TEXT = 4096


def remember(memo: dict[Any, Any], key: Any, value: Any, *, text: str = "") -> None:
    """Store ``value`` in a bounded memo (cleared when full); what came from a text over 4 KiB is not kept."""
    if len(text) > MEMO_MAX_TEXT:
        return
    if len(memo) >= MEMO_MAX_ENTRIES:
        memo.clear()
    memo[key] = value


#: Decoded documents by text. Repositories and clusters repeat the same policies and route options
#: on hundreds of Ingresses; each distinct text is parsed once per process.
_DOCUMENTS: dict[str, tuple[Any, bool] | YamlValueError] = {}


def copy_containers(value: Any) -> Any:
    """A copy of a JSON-like value's dicts and lists; scalars and frozen values are shared."""
    if isinstance(value, dict):
        return {key: copy_containers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_containers(item) for item in value]
    return value


def parse_first_document(text: str) -> tuple[Any, bool]:
    """Decode the first YAML document of ``text``; the flag is False when there is no document at all.

    Raises :class:`YamlValueError` for anything yaml.v3 would reject. Each call returns its own
    containers: a repeated text is decoded once and its result copied.
    """
    known = _DOCUMENTS.get(text)
    if known is None:
        try:
            known = _parse_first_document(text)
        except YamlValueError as err:
            known = err
        remember(_DOCUMENTS, text, known, text=text)
    if isinstance(known, YamlValueError):
        raise YamlValueError(*known.args)
    value, found = known
    return copy_containers(value), found


def _parse_first_document(text: str) -> tuple[Any, bool]:
    if not text:
        return None, False
    if _SAFE_PLAIN.fullmatch(text) and not text.startswith("..."):
        return _resolve_plain(text), True
    if text[:1] in ("{", "["):
        handled, value = _try_json(text)
        if handled:
            return value, True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates cannot come from Kubernetes; Go's JSON decoding turns them into U+FFFD.
        text = _fix_surrogates(text)
    return _decode_document(text)


def _fix_surrogates(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in text)


def parse_annotation_value(text: str) -> Any:
    """Decode an annotation value like yaml.v3 ``Unmarshal`` into ``interface{}`` (first document only).

    Returns None, bool, int, float, str, :class:`datetime.datetime`, list or dict (keys may be any
    of these scalar types). Raises :class:`YamlValueError` on syntax and decode errors.
    """
    return parse_first_document(text)[0]


# --------------------------------------------------------------------------- encoding/json


def _format_rfc3339(value: dt.datetime) -> str:
    """time.Time MarshalJSON: RFC3339 with the shortest fractional seconds."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + _zone_suffix(value, colon=True)


def _zone_suffix(value: dt.datetime, *, colon: bool) -> str:
    offset = value.utcoffset() or dt.timedelta(0)
    if not offset:
        return "Z" if colon else ""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


def _float_error(value: float) -> JsonValueError:
    if math.isnan(value):
        return JsonValueError("json: unsupported value: NaN")
    return JsonValueError("json: unsupported value: +Inf" if value > 0 else "json: unsupported value: -Inf")


def to_json_value(value: Any) -> Any:
    """Convert a parsed value into what Go's ``json.Marshal`` would emit, as Python JSON data.

    Timestamps become RFC3339 strings and integral floats become ints (Go writes ``27.0`` as ``27``).
    Raises :class:`JsonValueError` for inf/nan and for maps with a non-string key; like Go, map
    entries are visited in sorted key order, so the first error in that order is the one raised.
    """
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _float_error(value)
        if value.is_integer() and abs(value) < 1e21 and (value or math.copysign(1.0, value) > 0):
            return int(value)
        return value  # non-integral, huge, or -0.0 (which Go writes as "-0")
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise JsonValueError("json: unsupported type: map[interface {}]interface {}")
        if len(value) > 1:
            converted = {key: to_json_value(value[key]) for key in sorted(value)}
            return {key: converted[key] for key in value}
        return {key: to_json_value(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [to_json_value(item) for item in value]
    if isinstance(value, dt.datetime):
        return _format_rfc3339(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise JsonValueError(f"json: unsupported type: {kind.__name__}")


def go_json_text(value: Any) -> str:
    """The JSON text Go's encoding/json writes for an already converted value (used in messages)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is float:
        return _go_json_float(value)
    if isinstance(value, (str, int)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(go_json_text(item) for item in value) + "]"
    if isinstance(value, dict):
        members = (f"{json.dumps(str(key), ensure_ascii=False)}:{go_json_text(item)}" for key, item in value.items())
        return "{" + ",".join(members) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def _go_json_float(value: float) -> str:
    """encoding/json float64: %f unless the exponent is small/large, then %e with a trimmed exponent."""
    if not math.isfinite(value):
        return str(value)
    absolute = abs(value)
    if absolute != 0 and (absolute < 1e-6 or absolute >= 1e21):
        digits, exponent = _shortest_digits(value)
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        sign = "-" if value < 0 else ""
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent)}"
    return _format_fixed(value)


# --------------------------------------------------------------------------- fmt.Sprint


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``value`` and its decimal exponent (d.ddd x 10^exp)."""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).lstrip("0") or "0"
    stripped = digits.rstrip("0") or "0"
    exponent += len(digits) - len(stripped)
    return stripped, exponent + len(stripped) - 1


def _format_fixed(value: float) -> str:
    digits, exponent = _shortest_digits(value)
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if digits == "0":
        return sign + "0"
    point = exponent + 1  # digits before the decimal point
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _go_float(value: float) -> str:
    """fmt %v of a float64, i.e. strconv.FormatFloat(f, 'g', -1, 64).

    With the shortest precision strconv uses 6 as the %e threshold: the exponent form is chosen when
    the decimal exponent is < -4 or >= 6 (``1e6`` -> "1e+06", ``100000`` -> "100000").
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, exponent = _shortest_digits(value)
    if exponent < -4 or exponent >= _G_EXPONENT_LIMIT:
        sign = "-" if value < 0 else ""
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return _format_fixed(value)


_G_EXPONENT_LIMIT = 6


def _format_go_time(value: dt.datetime) -> str:
    """time.Time.String(): ``2006-01-02 15:04:05.999999999 -0700 MST``."""
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    offset = value.utcoffset() or dt.timedelta(0)
    if not offset:
        return text + " +0000 UTC"
    zone = _zone_suffix(value, colon=False)
    return f"{text} {zone} {zone}"


def _sort_key(key: Any) -> tuple[str, Any]:
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return ("number", key)
    return (type(key).__name__, str(key))


def go_sprint(value: Any) -> str:
    """``fmt.Sprint`` of a decoded value: ``1`` -> "1", ``True`` -> "true", ``1e6`` -> "1e+06",
    None -> "<nil>", ``[1, 2]`` -> "[1 2]", maps -> "map[k:v ...]" with sorted keys, timestamps ->
    "2024-01-01 00:00:00 +0000 UTC"; strings are returned unchanged.
    """
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return "<nil>"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return _go_float(value)
    if isinstance(value, dt.datetime):
        return _format_go_time(value)
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_sprint(item) for item in value) + "]"
    if isinstance(value, dict):
        try:
            keys = sorted(value)
        except TypeError:
            keys = sorted(value, key=_sort_key)
        return "map[" + " ".join(f"{go_sprint(key)}:{go_sprint(value[key])}" for key in keys) + "]"
    return str(value)


def _go_sharp_v(value: Any) -> str:
    """Rough ``%#v`` of a decoded collection, for yaml.v3's ``invalid map key`` message."""
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp_v(item) for item in value) + "}"
    if isinstance(value, dict):
        inner = ", ".join(f"{_go_sharp_v(k)}:{_go_sharp_v(v)}" for k, v in value.items())
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, str):
        return go_quote(value)
    return go_sprint(value)


def go_quote(text: str) -> str:
    """Go ``%q`` / strconv.Quote of a string (printable characters kept, others escaped)."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif char.isprintable() or char == " ":
            out.append(char)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


# --------------------------------------------------------------------------- time.ParseDuration

_DURATION_UNITS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # µs, MICRO SIGN
    "\u03bcs": 1_000,  # μs, GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
_MAX_DURATION = 1 << 63


def _leading_fraction(digits: str) -> tuple[int, float]:
    """Go's leadingFraction: digits accumulated until uint64 overflow, and the matching scale."""
    numerator = 0
    divisor = 1.0
    for char in digits:
        if numerator > ((1 << 63) - 1) // 10:
            break
        candidate = numerator * 10 + ord(char) - 48
        if candidate > 1 << 63:
            break
        numerator = candidate
        divisor *= 10
    return numerator, divisor


def go_duration_nanoseconds(text: str) -> int | None:
    """Go ``time.ParseDuration`` in nanoseconds, or None where Go reports an error."""
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        return None
    total = 0
    position = 0
    while position < len(rest):
        match = _DURATION_PART.match(rest, position)
        if match is None or match.end() == position:  # pragma: no cover - the pattern always advances
            return None
        whole, fraction, unit = match.groups()
        if not whole and not fraction:
            return None  # no digits ("s", ".s")
        scale = _DURATION_UNITS.get(unit)
        if scale is None:
            return None  # missing or unknown unit
        value = int(whole) if whole else 0
        if value > _MAX_DURATION // scale:
            return None
        value *= scale
        if fraction:
            numerator, divisor = _leading_fraction(fraction)
            if numerator:
                # float64 arithmetic, as Go does, to stay nanosecond-exact for fractions of hours
                value += int(float(numerator) * (float(scale) / divisor))
                if value > _MAX_DURATION:
                    return None
        total += value
        if total > _MAX_DURATION:
            return None
        position = match.end()
    if negative:
        return -total
    if total > _MAX_DURATION - 1:
        return None
    return total


def parse_go_duration(text: str) -> float | None:
    """Go ``time.ParseDuration`` in seconds (``1h30m`` -> 5400.0), or None where Go would fail."""
    nanoseconds = go_duration_nanoseconds(text)
    return None if nanoseconds is None else nanoseconds / 1e9
