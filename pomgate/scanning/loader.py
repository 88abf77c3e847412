"""Read one file's text into YAML documents, the way kubectl reads them.

kubectl turns YAML into JSON with go-yaml v2 (YAML 1.1 resolution): ``yes``/``on``/``y`` are booleans,
``0x1F``/``0777``/``1_000`` are integers, timestamps stay strings, quoted scalars are always strings,
the last of two equal mapping keys wins, ``<<`` merges are applied in the order they are written and
mapping keys become JSON strings. This module reproduces that reading on top of libyaml (PyYAML's
``CSafeLoader``), so parsing stays as fast as plain PyYAML while every mapping records its line and the
line of each key (:class:`~pomgate.scanning.manifest.LineDict`).

Malformed input never raises: problems become findings (``yaml-syntax``, ``not-text``,
``yaml-alias-limit``, ``yaml-too-deep``, ``yaml-duplicate-key``) and the rest of the file is still read.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import math
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from sys import intern
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from pomgate.findings import Finding, Severity
from pomgate.scanning.manifest import LineDict

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

#: Documents nested deeper than this (mappings and sequences) are rejected: downstream code may walk
#: values recursively, and no real manifest comes close (CRD schemas stay under ~100 levels).
MAX_DEPTH = 256
#: Characters the second chunk read without error spans at least (see `read_in_chunks`).
_FIRST_WINDOW = 1 << 16
#: Nodes that alias expansion may add to one document before it is rejected.
MAX_ALIAS_EXPANSION = 100_000

_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BINARY_TAG = "tag:yaml.org,2002:binary"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
#: Implicit tag of plain scalars that go-yaml v2 may read as a number; the constructor decides.
_NUMBER_TAG = "tag:pomgate,2025:number"

_BOOL_WORDS: dict[str, bool] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_SPECIAL_FLOATS: dict[str, float] = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
# strconv.ParseFloat on a scalar starting with ".": digits may be separated by single underscores.
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?")
# go-yaml v2's yamlStyleFloat, applied after underscores are removed.
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DIGITS = {
    2: re.compile(r"[01]+"),
    8: re.compile(r"[0-7]+"),
    10: re.compile(r"[0-9]+"),
    16: re.compile(r"[0-9a-fA-F]+"),
}
# Significant digits that can still fit in 64 bits, per base (longer numbers overflow in Go).
_MAX_DIGITS = {2: 64, 8: 22, 10: 20, 16: 16}
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_UINT64_MAX = (1 << 64) - 1

# Line breaks as libyaml counts them.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
#: kubectl's document separator line (also where the excerpt masking restarts after an error).
DOCUMENT_SEPARATOR = re.compile(r"^---(?=[ \t\r\n]|\Z)", re.MULTILINE)
#: Characters YAML 1.1 (libyaml, go-yaml) refuses anywhere in a stream.
NON_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Byte-order marks and the codec of the text after them, UTF-32 first: a UTF-32 LE mark begins with
#: the UTF-16 LE one.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def byte_order_mark(data: bytes) -> tuple[bytes, str]:
    """The byte-order mark ``data`` starts with (b"" for none) and the codec of the text after it."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return mark, encoding
    return b"", "utf-8"


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """One YAML document: 0-based index in the file, 1-based line of its content, its value.

    ``findings`` are the notices about this document that do not stop it from being read
    (duplicate keys); problems that reject a document are returned by :func:`load_documents`.
    """

    index: int
    line: int
    value: Any
    findings: tuple[Finding, ...] = ()


class _DocumentRejected(Exception):
    """A document that parsed but must not be used (too deep, alias bomb)."""

    def __init__(self, rule: str, message: str, line: int) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.line = line


def go_number(text: str) -> int | float | str:
    """Resolve a plain scalar the way go-yaml v2 does for ints and floats; non-numbers stay ``str``."""
    special = _SPECIAL_FLOATS.get(text)
    if special is not None:
        return special
    first = text[:1]
    if first == ".":
        if _DOT_FLOAT.fullmatch(text):
            return _finite_or_text(float(text), text)
        return text
    if not first or first not in "+-0123456789":
        return text
    plain = text.replace("_", "")
    integer = _go_parse_int(plain)
    if integer is not None:
        return integer
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        return _finite_or_text(float(plain), text)
    return text


def _finite_or_text(value: float, text: str) -> float | str:
    # strconv.ParseFloat reports overflow as an error, and go-yaml then keeps the string.
    return text if math.isinf(value) else value


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), then strconv.ParseUint(text, 0, 64): the value or None."""
    body = text
    signed = body[:1] in ("+", "-")
    negative = body[:1] == "-"
    if signed:
        body = body[1:]
    if not body:
        return None
    base = 10
    if body[0] == "0":
        prefix = body[1:2].lower()
        if len(body) >= 3 and prefix in ("b", "o", "x"):
            base = {"b": 2, "o": 8, "x": 16}[prefix]
            body = body[2:]
        else:
            base = 8
            body = body[1:]
            if not body:
                return 0
    if not _DIGITS[base].fullmatch(body):
        return None
    if len(body.lstrip("0")) > _MAX_DIGITS[base]:
        return None
    value = int(body, base)
    if negative:
        value = -value
    if signed:
        return value if _INT64_MIN <= value <= _INT64_MAX else None
    return value if value <= _UINT64_MAX else None


def _json_key(value: Any, node: Node) -> str:
    """The JSON object key sigs.k8s.io/yaml makes of a resolved YAML key."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float32_text(value)
    raise ConstructorError(
        None,
        None,
        f"unsupported mapping key {node.value!r} (kubectl cannot turn it into JSON)",
        node.start_mark,
    )


def _go_float32_text(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 32) with go-yaml's names for infinities and NaN."""
    if math.isnan(value):
        return ".nan"
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        single = math.copysign(math.inf, value)
    if math.isinf(single):
        return ".inf" if single > 0 else "-.inf"
    if single == 0:
        return "-0" if math.copysign(1.0, single) < 0 else "0"
    for digits in range(1, 10):
        text = f"{single:.{digits - 1}e}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == single:
            break
    mantissa, _, exponent_text = text.partition("e")
    exponent = int(exponent_text)
    if exponent < -4 or exponent >= 6:
        return f"{mantissa}e{exponent_text[0]}{exponent_text[1:]}"
    return f"{single:.{max(digits - 1 - exponent, 0)}f}"


class KubectlLoader(_BaseLoader):
    """A libyaml loader with go-yaml v2 (kubectl) scalar resolution and line-recording mappings.

    Construction is breadth-first (PyYAML generators), so no Python recursion grows with depth.
    """

    # Own tables, filled by _register(): PyYAML's global resolvers and constructors stay untouched.
    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012
    yaml_constructors: ClassVar[dict[Any, Any]] = {}
    yaml_multi_constructors: ClassVar[dict[Any, Any]] = {}

    def __init__(self, stream: str, line_base: int = 1) -> None:
        super().__init__(stream)
        #: Added to libyaml's 0-based line numbers (1 for a whole file).
        self.line_base = line_base
        #: (key, line of this key, line of the earlier key) per duplicate key of the current document.
        self.duplicate_keys: list[tuple[str, int, int]] = []
        self._depths: dict[Node, int] = {}

    def reset_document_state(self) -> None:
        """Forget what the constructor was doing; used after a document was rejected."""
        self.constructed_objects = {}
        self.recursive_objects = {}
        self.state_generators = []
        self.deep_construct = False
        self.finish_document()

    def finish_document(self) -> list[tuple[str, int, int]]:
        """The current document's duplicate keys; clears per-document state."""
        duplicates = self.duplicate_keys
        self.duplicate_keys = []
        self._depths = {}
        return duplicates

    # -- constructors ---------------------------------------------------------------------------

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        """The tag of a node without an explicit one: the class's implicit resolvers, else str/seq/map.

        Same result as PyYAML's ``BaseResolver.resolve`` for a loader without path resolvers, minus
        its per-call list building: this runs for every node of every file.
        """
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _STR_TAG
        return _SEQ_TAG if kind is SequenceNode else _MAP_TAG

    def descend_resolver(self, current_node: Node | None, current_index: Any) -> None:
        """No path resolvers: nothing to track."""

    def ascend_resolver(self) -> None:
        """No path resolvers: nothing to track."""

    def construct_kube_mapping(self, node: Node) -> Iterator[LineDict]:
        """A mapping as a LineDict with JSON (string) keys; the last duplicate key wins."""
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, f"expected a mapping, found a {_kind_name(node)}", node.start_mark)
        depth = self._check_depth(node)
        base = self.line_base
        # LineDict.__init__ only sets the two slots; set them directly (this runs for every mapping).
        data = LineDict.__new__(LineDict)
        data.line = node.start_mark.line + base
        key_lines: list[int] = []
        data._lines = key_lines
        yield data
        child_depth = depth + 1
        scalar = self._scalar
        collection = self._collection
        merged_keys: set[str] | None = None
        for key_node, value_node in node.value:
            if type(key_node) is ScalarNode and key_node.tag == _STR_TAG:
                key = intern(key_node.value)  # one string per distinct key: -20% memory on big repos
            elif key_node.tag == _MERGE_TAG and isinstance(key_node, ScalarNode):
                merged_keys = self._apply_merge(data, value_node, depth, merged_keys)
                continue
            else:
                key = self._key(key_node)
            line = key_node.start_mark.line + base
            if key in data:
                if merged_keys is None or key not in merged_keys:
                    self.duplicate_keys.append((key, line, data.key_line(key, line) or line))
                else:
                    merged_keys.discard(key)
                data.set_key_line(key, line)
            else:
                key_lines.append(line)
            if type(value_node) is ScalarNode:
                data[key] = value_node.value if value_node.tag == _STR_TAG else scalar(value_node)
            else:
                data[key] = collection(value_node, child_depth)
        data._lines = tuple(data._lines)  # a tuple holds them in less memory than the growing list

    def construct_kube_sequence(self, node: Node) -> Iterator[list[Any]]:
        """A sequence as a plain list."""
        if not isinstance(node, SequenceNode):
            raise ConstructorError(None, None, f"expected a sequence, found a {_kind_name(node)}", node.start_mark)
        depth = self._check_depth(node)
        data: list[Any] = []
        yield data
        value = self._value
        data.extend([value(item, depth) for item in node.value])

    def construct_kube_number(self, node: Node) -> int | float | str:
        """A plain scalar that may be a go-yaml v2 number."""
        return go_number(self._scalar_text(node))

    def construct_tagged_int(self, node: Node) -> int:
        """An explicit ``!!int``: go-yaml v2 rejects values that do not resolve to an integer.

        Like every message here, the error does not repeat the value (it may be a Secret's): the
        quoted line shows it where that is safe.
        """
        text = self._scalar_text(node)
        value = go_number(text)
        if isinstance(value, int):
            return value
        raise ConstructorError(None, None, "cannot decode the scalar as a !!int", node.start_mark)

    def construct_tagged_float(self, node: Node) -> float:
        """An explicit ``!!float``: integers are widened, anything else is rejected like go-yaml v2."""
        text = self._scalar_text(node)
        value = go_number(text)
        if isinstance(value, int | float):
            return float(value)
        raise ConstructorError(None, None, "cannot decode the scalar as a !!float", node.start_mark)

    def construct_kube_bool(self, node: Node) -> bool:
        """``y/yes/on/true`` and ``n/no/off/false`` in go-yaml v2's spellings."""
        text = self._scalar_text(node)
        value = _BOOL_WORDS.get(text)
        if value is None:
            raise ConstructorError(None, None, "cannot decode the scalar as a !!bool", node.start_mark)
        return value

    def construct_kube_null(self, node: Node) -> None:
        """``~``, ``null``, ``Null``, ``NULL`` and the empty plain scalar."""
        self._scalar_text(node)

    def construct_kube_str(self, node: Node) -> str:
        """Quoted scalars, non-numbers, timestamps and scalars with unknown tags: the text itself."""
        return self._scalar_text(node)

    def construct_kube_binary(self, node: Node) -> str:
        """``!!binary``: go-yaml v2 decodes the base64 into a (JSON) string."""
        text = self._scalar_text(node)
        try:
            raw = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError) as error:
            raise ConstructorError(
                None, None, "!!binary value contains invalid base64 data", node.start_mark
            ) from error
        return raw.decode("utf-8", "replace")

    def construct_untagged(self, node: Node) -> Any:
        """Unknown tags (``!foo``, ``!!set``, ``!!omap``): go-yaml v2 ignores them and reads the node."""
        if isinstance(node, MappingNode):
            return self.construct_kube_mapping(node)
        if isinstance(node, SequenceNode):
            return self.construct_kube_sequence(node)
        return self._scalar_text(node)

    # -- helpers --------------------------------------------------------------------------------

    def _scalar_text(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise ConstructorError(
                None,
                None,
                f"expected a scalar for tag {node.tag}, found a {_kind_name(node)}",
                node.start_mark,
            )
        text: str = node.value
        return text

    def _check_depth(self, node: Node) -> int:
        depth = self._depths.pop(node, 1)
        if depth > MAX_DEPTH:
            raise _DocumentRejected(
                "input/yaml-too-deep",
                f"document is nested deeper than {MAX_DEPTH} levels",
                node.start_mark.line + self.line_base,
            )
        return depth

    def _scalar(self, node: Node) -> Any:
        """A scalar's value without construct_object's bookkeeping (scalars need no sharing)."""
        constructor = self.yaml_constructors.get(node.tag)
        if constructor is None:
            return self.construct_object(node)
        return constructor(self, node)

    def _collection(self, node: Node, depth: int) -> Any:
        """A mapping or sequence at ``depth``: the same object for every alias, filled breadth-first.

        construct_object's fast path: the recursion bookkeeping it adds is not needed because
        documents with aliases are checked for loops before construction.
        """
        known = self.constructed_objects.get(node)
        if known is not None:
            return known
        self._depths[node] = depth
        tag = node.tag
        if tag == _MAP_TAG:
            generator: Iterator[Any] = self.construct_kube_mapping(node)
        elif tag == _SEQ_TAG:
            generator = self.construct_kube_sequence(node)
        else:
            return self.construct_object(node)
        data = next(generator)
        self.constructed_objects[node] = data
        self.state_generators.append(generator)  # type: ignore[arg-type]
        return data

    def _value(self, node: Node, parent_depth: int) -> Any:
        if type(node) is ScalarNode:
            return node.value if node.tag == _STR_TAG else self._scalar(node)
        return self._collection(node, parent_depth + 1)

    def _key(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise ConstructorError(
                None,
                None,
                "mapping keys must be scalars (kubectl cannot turn them into JSON)",
                node.start_mark,
            )
        if node.tag == _STR_TAG:
            return intern(node.value)
        return _json_key(self.construct_object(node), node)

    def _apply_merge(self, data: LineDict, value_node: Node, depth: int, merged_keys: set[str] | None) -> set[str]:
        """Apply a ``<<`` entry in place, as go-yaml v2 does (later entries override earlier ones)."""
        merged = set() if merged_keys is None else merged_keys
        for key_node, item_node in self._merge_pairs(value_node):
            key = self._key(key_node)
            line = key_node.start_mark.line + self.line_base
            if key in data:
                data[key] = self._value(item_node, depth)
                data.set_key_line(key, line)
            else:
                data[key] = self._value(item_node, depth)
                lines = data._lines
                assert isinstance(lines, list)  # still being built
                lines.append(line)
            merged.add(key)
        return merged

    def _merge_pairs(self, node: Node) -> list[tuple[Node, Node]]:
        """The key/value pairs a merge value sets, in the order go-yaml v2 sets them."""
        if isinstance(node, MappingNode):
            sources: list[Node] = [node]
        elif isinstance(node, SequenceNode):
            sources = list(reversed(node.value))  # earlier maps take precedence: applied last
        else:
            sources = []
        pairs: list[tuple[Node, Node]] = []
        for source in sources:
            if not isinstance(source, MappingNode):
                raise ConstructorError(
                    None, None, "map merge requires map or sequence of maps as the value", node.start_mark
                )
            for key_node, value_node in source.value:
                if key_node.tag == _MERGE_TAG and isinstance(key_node, ScalarNode):
                    pairs.extend(self._merge_pairs(value_node))
                else:
                    pairs.append((key_node, value_node))
        if not sources:
            raise ConstructorError(
                None, None, "map merge requires map or sequence of maps as the value", node.start_mark
            )
        return pairs


def _register() -> None:
    add_resolver = KubectlLoader.add_implicit_resolver
    add_resolver(_BOOL_TAG, re.compile("^(?:" + "|".join(_BOOL_WORDS) + ")$"), list("yYnNtTfFoO"))
    add_resolver(_NULL_TAG, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    add_resolver(
        _NUMBER_TAG,
        re.compile(r"^(?:[-+]?\.?[0-9]|[-+]?\.(?:inf|Inf|INF)$|\.(?:nan|NaN|NAN)$)"),
        list("-+.0123456789"),
    )
    add_resolver(_MERGE_TAG, re.compile(r"^<<$"), ["<"])
    add = KubectlLoader.add_constructor
    add(_MAP_TAG, KubectlLoader.construct_kube_mapping)
    add(_SEQ_TAG, KubectlLoader.construct_kube_sequence)
    add(_STR_TAG, KubectlLoader.construct_kube_str)
    add(_NUMBER_TAG, KubectlLoader.construct_kube_number)
    add(_INT_TAG, KubectlLoader.construct_tagged_int)
    add(_FLOAT_TAG, KubectlLoader.construct_tagged_float)
    add(_BOOL_TAG, KubectlLoader.construct_kube_bool)
    add(_NULL_TAG, KubectlLoader.construct_kube_null)
    add(_TIMESTAMP_TAG, KubectlLoader.construct_kube_str)
    add(_MERGE_TAG, KubectlLoader.construct_kube_str)  # a "<<" that is not a key is a string
    add(_BINARY_TAG, KubectlLoader.construct_kube_binary)
    add(None, KubectlLoader.construct_untagged)


_register()


# -- decoding -----------------------------------------------------------------------------------


def decode_text(data: str | bytes, display_path: str) -> tuple[str | None, Finding | None]:
    """Decode file content: UTF-8 (BOM stripped), or UTF-16 or UTF-32 with a BOM; else a ``not-text`` finding."""
    if isinstance(data, str):
        text = data[1:] if data.startswith("\ufeff") else data
        nul = text.find("\x00")
        if nul >= 0:
            return None, _not_text(display_path, "it contains NUL characters (binary?)", _line_at(text, nul))
        return text, None
    mark, encoding = byte_order_mark(data)
    data = data[len(mark) :]
    if mark and encoding != "utf-8":
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            family = encoding.rsplit("-", 1)[0].upper()  # utf-16-le -> UTF-16
            return None, _not_text(display_path, f"it is not valid {family}", None)
        return decode_text(text, display_path)
    nul_byte = data.find(b"\x00")
    if nul_byte >= 0:
        wide = _wide_without_mark(data)
        if wide:
            why = f"it looks like {wide} without a byte-order mark; save it as UTF-8 (or {wide} with a BOM)"
            return None, _not_text(display_path, why, None)
        line = data.count(b"\n", 0, nul_byte) + 1
        return None, _not_text(display_path, "it contains NUL bytes (binary file?)", line)
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        # Neither the byte nor its offset: both would tell part of a Secret value written in Latin-1.
        return None, _not_text(display_path, "it is not valid UTF-8 (Latin-1 or another encoding?)", line)


def _wide_without_mark(data: bytes) -> str | None:
    """``UTF-16`` or ``UTF-32`` when ``data`` reads as mostly-ASCII text in it without a BOM; else None."""
    sample = data[:4096]
    for width, name in ((4, "UTF-32"), (2, "UTF-16")):
        if len(sample) < width or len(data) % width:
            continue
        units = [sample[index : index + width] for index in range(0, len(sample) - width + 1, width)]
        for order in ("little", "big"):
            codes = [int.from_bytes(unit, order) for unit in units]
            if codes and sum(1 for code in codes if 9 <= code < 0x7F) >= 0.9 * len(codes):
                return name
    return None


def _not_text(display_path: str, why: str, line: int | None) -> Finding:
    return Finding(
        "input/not-text",
        Severity.ERROR,
        f"cannot read {display_path} as YAML: {why}",
        path=display_path,
        line=line,
    )


def _line_at(text: str, index: int) -> int:
    return len(_LINE_BREAK.findall(text, 0, index)) + 1


# -- documents ----------------------------------------------------------------------------------


#: Reads one chunk from (start, line base, window): None at the end, else (restart, its line base, after an error).
ChunkReader = Callable[[int, int, int], tuple[int, int, bool] | None]


def read_in_chunks(read_chunk: ChunkReader, line_base: int) -> None:
    """Drive ``read_chunk`` over a text: in one go, then, after a syntax error, in chunks ending at ``---``.

    Each restart hands libyaml a new string, so after an error the chunks are kept short: one
    document, then twice as much after each chunk read without error. A file of thousands of
    broken documents is read in linear time (each restart used to copy the rest of the text).
    """
    start, window = 0, -1  # window < 0: the rest of the text
    while True:
        step = read_chunk(start, line_base, window)
        if step is None:
            return
        start, line_base, broke = step
        window = 0 if broke else max(2 * window, _FIRST_WINDOW)


def chunk_cut(text: str, start: int, window: int) -> int | None:
    """Where (from ``start``) the first ``---`` at least ``window`` characters on begins; None: read to the end.

    The chunk read is ``text[start : start + cut + 3]``: libyaml gets that ``---`` too, so the
    documents before it end as in the whole text, and the one it starts is left to the next chunk.
    """
    if window < 0:
        return None
    found = DOCUMENT_SEPARATOR.search(text, start + max(window, 1))
    return None if found is None else found.start() - start


def restart_after(text: str, start: int, error_index: int) -> int | None:
    """The first ``---`` line at or after the error's line (and after ``start``): where reading goes on."""
    line_start = text.rfind("\n", 0, error_index) + 1
    found = DOCUMENT_SEPARATOR.search(text, max(line_start, start + 1))
    return None if found is None else found.start()


def load_documents(text: str | bytes, display_path: str) -> tuple[list[LoadedDocument], list[Finding]]:
    """Parse every document of one file with kubectl's reading; never raises.

    Returns the documents that could be read, in order, and the problems that rejected input (each
    with ``path`` and ``line``). After a syntax error the reader skips to the next ``---`` line, as
    kubectl reads each document on its own.
    """
    decoded, problem = decode_text(text, display_path)
    if decoded is None:
        return [], [problem] if problem else []
    reader = _DocumentReader(decoded, display_path)
    reader.run()
    return reader.documents, reader.findings


class _DocumentReader:
    """Walks one file's documents, restarting after each syntax error at the next separator."""

    def __init__(self, text: str, display_path: str) -> None:
        self.text = text
        self.path = display_path
        self.documents: list[LoadedDocument] = []
        self.findings: list[Finding] = []
        self.may_alias = "*" in text and "&" in text
        self.index = 0

    def run(self) -> None:
        """Read the whole text in one go; after a syntax error, in chunks ending at a ``---`` line."""
        read_in_chunks(self._read_chunk, 1)

    def _read_chunk(self, start: int, line_base: int, window: int) -> tuple[int, int, bool] | None:
        """Read the documents from ``start`` on: None at the end, else where to read again and whether after an error.

        With ``window`` >= 0 the chunk ends with the first ``---`` at least ``window`` characters on
        (and after ``start``): libyaml gets that ``---`` too, so the documents before it end as in the
        whole text, and the document it starts is left to the next chunk.
        """
        cut = chunk_cut(self.text, start, window)  # where, in chunk, the document left to the next chunk starts
        chunk = self.text[start : start + cut + 3] if cut is not None else self.text[start:] if start else self.text
        chunk_end = len(chunk) - chunk.startswith("\ufeff")  # (libyaml does not count a leading BOM)
        try:
            loader = KubectlLoader(chunk, line_base)
        except UnicodeEncodeError as error:  # lone surrogates in a str input
            self.findings.append(
                _not_text(
                    self.path,
                    "it holds characters that are not valid Unicode",
                    _line_at(chunk, error.start) + line_base - 1,
                )
            )
            return None
        unread = 0  # where, in chunk, the documents not returned yet begin
        try:
            while True:
                try:
                    if not loader.check_node():
                        return None if cut is None else (*self._position(start, line_base, start + cut), False)
                    node = loader.get_node()
                    if node is None:
                        return None if cut is None else (*self._position(start, line_base, start + cut), False)
                except yaml.MarkedYAMLError as error:
                    error_index = self._syntax_error(error, chunk, line_base)
                    self.index += 1
                    return _after_error(self._restart_after(start, line_base, start + error_index))
                except ReaderError as error:
                    return _after_error(self._skip_unprintable(error, start, line_base, start + unread))
                except RecursionError:  # pure-Python composer only; libyaml limits nesting itself
                    self._reject("input/yaml-too-deep", "document is nested too deeply to read", line_base)
                    return None
                if cut is not None and node.start_mark.index >= chunk_end:  # the empty one the cut's `---` starts
                    return (*self._position(start, line_base, start + cut), False)
                self._build(loader, node, chunk)
                self.index += 1
                unread = node.end_mark.index
        finally:
            loader.dispose()

    def _restart_after(self, start: int, line_base: int, error_index: int) -> tuple[int, int] | None:
        """The first ``---`` line at or after the error's line (and after ``start``), with its line base."""
        restart = restart_after(self.text, start, error_index)
        return None if restart is None else self._position(start, line_base, restart)

    def _position(self, start: int, line_base: int, restart: int) -> tuple[int, int]:
        return restart, line_base + len(_LINE_BREAK.findall(self.text, start, restart))

    def _skip_unprintable(self, error: ReaderError, start: int, line_base: int, unread: int) -> tuple[int, int] | None:
        """Blank out the documents holding characters YAML forbids, then read the unread ones again.

        libyaml checks characters as it buffers input, possibly documents ahead of the last one it
        returned. Every document from ``unread`` on that holds such a character is reported and
        replaced by its line breaks alone (so lines stay right, and its ``---`` stays, so document
        indexes do too). Linear in the text: each skipped document is searched and rebuilt once.
        """
        found = NON_PRINTABLE.search(self.text, unread)
        if found is None:  # libyaml refused something else: report where it says, go on after it
            index = min(max(error.position, 0), len(self.text) - start)
            self._unprintable_finding(start + index, error.character, _line_at(self.text, start + index))
            self.index += 1
            return self._restart_after(start, line_base, start + index)
        separators = [match.start() for match in DOCUMENT_SEPARATOR.finditer(self.text, unread)]
        kept: list[str] = [self.text[:unread]]
        cursor = unread  # the text up to here is in `kept`
        line, counted_to = _line_at(self.text, unread), unread
        while found is not None:
            bad = found.start()
            after = bisect.bisect_right(separators, bad)
            region_start = separators[after - 1] if after else unread
            region_end = separators[after] if after < len(separators) else len(self.text)
            line += len(_LINE_BREAK.findall(self.text, counted_to, bad))
            counted_to = bad
            self._unprintable_finding(bad, None, line, self.text[region_start:region_end])
            keep = region_start + 3 if DOCUMENT_SEPARATOR.match(self.text, region_start) else region_start
            kept.append(self.text[cursor:keep])
            kept.append("".join(_LINE_BREAK.findall(self.text, keep, region_end)))
            cursor = region_end
            found = NON_PRINTABLE.search(self.text, region_end)
        kept.append(self.text[cursor:])
        self.text = "".join(kept)
        if unread == start:
            return start, line_base
        resume = DOCUMENT_SEPARATOR.search(self.text, unread)
        return None if resume is None else self._position(start, line_base, resume.start())

    def _unprintable_finding(self, index: int, character: Any, line: int, document: str = "") -> None:
        """The finding for a character YAML refuses; in what may be a Secret, neither the character nor its column."""
        if 0 <= index < len(self.text):
            character = ord(self.text[index])
        column: int | None = index - max(self.text.rfind("\n", 0, index) + 1, 0) + 1
        shown = f" (U+{character:04X})" if isinstance(character, int) else ""
        if "ecret" in document:  # a Secret's value may hold it: which character, and where, would tell
            shown, column = "", None
        self.findings.append(
            Finding(
                "input/yaml-syntax",
                Severity.ERROR,
                f"YAML error: control characters are not allowed{shown}; document skipped",
                path=self.path,
                line=line,
                column=column,
            )
        )

    def _build(self, loader: KubectlLoader, node: Node, chunk: str) -> None:
        line = node.start_mark.line + loader.line_base
        try:
            if self.may_alias and chunk.find("*", node.start_mark.index, node.end_mark.index) >= 0:
                _check_aliases(node, line)
            value = loader.construct_document(node)
        except _DocumentRejected as rejected:
            loader.reset_document_state()
            self._reject(rejected.rule, rejected.message, rejected.line)
            return
        except ConstructorError as error:
            loader.reset_document_state()
            self._syntax_error(error, chunk, loader.line_base)
            return
        except RecursionError:  # safety net: nested merges are bounded by the alias checks
            loader.reset_document_state()
            self._reject("input/yaml-too-deep", "document is nested too deeply to read", line)
            return
        notes = tuple(
            Finding(
                "input/yaml-duplicate-key",
                Severity.WARNING,
                f"duplicate key {key!r} (first at line {first}); kubectl keeps this last value",
                path=self.path,
                line=key_line,
            )
            for key, key_line, first in sorted(loader.finish_document(), key=lambda item: item[1])
        )
        self.documents.append(LoadedDocument(self.index, line, value, notes))

    def _reject(self, rule: str, message: str, line: int) -> None:
        self.findings.append(
            Finding(rule, Severity.ERROR, f"document {self.index + 1} skipped: {message}", path=self.path, line=line)
        )

    def _syntax_error(self, error: yaml.MarkedYAMLError, chunk: str, line_base: int) -> int:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        rule = "input/yaml-too-deep" if "nesting depth" in problem else "input/yaml-syntax"
        message = f"YAML error: {problem}"
        if error.context and error.problem:
            message += f" ({error.context}"
            if error.context_mark is not None and error.context_mark is not mark:
                message += f" at line {error.context_mark.line + line_base}"
            message += ")"
        line, column = line_base, None
        if mark is not None:
            line, column = mark.line + line_base, mark.column + 1
            if mark.index >= len(chunk):  # "unexpected end of stream": point at the last line
                line, column = min(line, self._last_line()), None
        self.findings.append(Finding(rule, Severity.ERROR, message, path=self.path, line=line, column=column))
        return min(mark.index, len(chunk)) if mark else 0

    def _last_line(self) -> int:
        text = self.text.rstrip("\r\n\x85\u2028\u2029")
        return _line_at(text, len(text))


def _after_error(restart: tuple[int, int] | None) -> tuple[int, int, bool] | None:
    return None if restart is None else (*restart, True)


def _check_aliases(root: Node, line: int) -> None:
    """Reject documents whose aliases expand too much (billion laughs), loop, or nest too deep.

    Counts, without expanding anything, the nodes a walker meets when it follows every alias: each
    node's expanded size and height are computed once (post-order, iterative) and reused.
    """
    if not isinstance(root, MappingNode | SequenceNode):
        return
    sizes: dict[int, tuple[int, int]] = {}
    on_path = {id(root)}
    written = 1
    # frame: node, children, next child position, expanded size so far, tallest child so far
    frames: list[list[Any]] = [[root, _children(root), 0, 1, 0]]
    while frames:
        frame = frames[-1]
        node, children, position = frame[0], frame[1], frame[2]
        if position == len(children):
            frames.pop()
            on_path.discard(id(node))
            size, height = frame[3], frame[4] + 1
            sizes[id(node)] = (size, height)
            if height > MAX_DEPTH:
                raise _DocumentRejected(
                    "input/yaml-too-deep",
                    f"document is nested deeper than {MAX_DEPTH} levels (through aliases)",
                    line,
                )
            if frames:
                frames[-1][3] += size
                frames[-1][4] = max(frames[-1][4], height)
            continue
        frame[2] = position + 1
        child = children[position]
        if type(child) is ScalarNode:
            frame[3] += 1
            written += 1
            continue
        known = sizes.get(id(child))
        if known is not None:  # met before: this occurrence is an alias
            frame[3] += known[0]
            frame[4] = max(frame[4], known[1])
            continue
        if id(child) in on_path:
            raise _DocumentRejected("input/yaml-alias-limit", "an alias refers to a node that contains it", line)
        on_path.add(id(child))
        written += 1
        frames.append([child, _children(child), 0, 1, 0])
    expanded = sizes[id(root)][0]
    through_aliases = expanded - written
    if through_aliases > MAX_ALIAS_EXPANSION or _excessive_aliasing(through_aliases, expanded):
        raise _DocumentRejected(
            "input/yaml-alias-limit",
            f"aliases expand it to {expanded:,} nodes ({through_aliases:,} through aliases); "
            "kubectl rejects it too (excessive aliasing)",
            line,
        )


def _excessive_aliasing(through_aliases: int, total: int) -> bool:
    """go-yaml v2's check (decode.go allowedAliasRatio), applied to the whole document."""
    if through_aliases <= 100 or total <= 1000:
        return False
    low, high = 400_000, 4_000_000
    if total <= low:
        allowed = 0.99
    elif total >= high:
        allowed = 0.10
    else:
        allowed = 0.99 - 0.89 * (total - low) / (high - low)
    return through_aliases / total > allowed


def _kind_name(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    return "sequence" if isinstance(node, SequenceNode) else "scalar"


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    children: list[Node] = node.value
    return children
