"""What of a manifest line may be quoted under a finding: never a Secret's data.

Which parts of a file are Secret data is decided from what libyaml parses of it (its events and
their positions), not from how one line looks; after a syntax error reading restarts at the next
``---`` line, as the loader's does.

- A mapping whose ``kind`` names a secret (`SECRET_KINDS`, or any kind containing "secret", a
  kind cut short by an error included) is Secret-like wherever it sits: a document, an item of a
  ``List``, block or flow style, JSON on one line. Every value in it is masked but ``apiVersion``,
  ``kind``, ``type``, ``metadata.name`` and ``metadata.namespace``, and so are its comments and
  the keys below its fields (the names of its data stay). A kind given by an alias, a merge
  (``<<``), a tag or an escape counts; so does any one of several ``kind`` keys.
- Where the kind cannot be known, values are masked too, and keys but common field names: an
  object that breaks off before its ``kind``, a ``List`` item without one, a kindless document
  right after an error in a Secret (its rest cut loose by a ``---``), the unread text from an
  error to the next ``---`` (unless what encloses it is known not to be a Secret and the text
  cannot spell one), and documents holding characters YAML refuses.
- In any object: values under ``stringData`` (only Secrets have one), under ``data`` of kindless
  documents (patches), and under token/password/header-like keys (`is_sensitive_key`:
  ``X-Api-Key``, ``Authorization``, ``client_secret``...), such ``key: value`` pairs written
  inside a string (a header map in an annotation), and the value of ``{name: API_TOKEN, value: ...}``.

Only files with a quoted line are parsed this way, once each; reading manifests never comes here.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from pomgate.scanning.loader import DOCUMENT_SEPARATOR, NON_PRINTABLE, chunk_cut, read_in_chunks, restart_after
from pomgate.translation.annotation_table import SECRETS, TLS_SECRETS

try:
    from yaml import CSafeLoader as _EventSource
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _EventSource  # type: ignore[assignment]

#: Kinds whose manifests hold secret values (or their ciphertext).
SECRET_KINDS = frozenset({"Secret", "SealedSecret", "ExternalSecret", "ClusterExternalSecret", "SecretProviderClass"})
#: What a masked part of a line is replaced by.
REDACTED = "<redacted>"

#: Fields of a Secret-like mapping that name it rather than hold its data (paths below the mapping).
_IDENTITY_FIELDS = frozenset({("apiVersion",), ("kind",), ("type",), ("metadata", "name"), ("metadata", "namespace")})
#: Mappings (paths below a Secret-like object) whose keys are shown: its fields, metadata's, and the
#: names of its data (a SealedSecret's under spec.encryptedData).
_VISIBLE_KEY_PARENTS = frozenset({(), ("metadata",), ("data",), ("stringData",), ("spec",), ("spec", "encryptedData")})
#: Keys shown in an object whose kind is unknown (a key there may as well be a value cut loose).
_COMMON_FIELD_NAMES = frozenset(
    {"apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "type", "data"}
    | {"stringData", "items", "status"}
)
#: Keys whose values kindless documents (patches, Helm values) may carry Secret data under.
_DATA_KEYS = frozenset({"data", "stringData"})
_DATA_PATHS = frozenset({("data",), ("stringData",)})
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# Where a comment may start for libyaml: a "#" at the start of a line, after a blank, a flow
# indicator or a closing quote.
_COMMENT = re.compile(r"(?:^|(?<=[\s,\[\]{}\"']))#")
# `kind: Secret` (or SealedSecret...) written inside a string: YAML or JSON.
_EMBEDDED_SECRET_KIND = re.compile(r"""kind["']?\s*:\s*["']?\w*Secret""", re.IGNORECASE)
_SEPARATORS_AFTER_VALUE = re.compile(r"[ \t]*(?:[:,][ \t]*)?")
_NOT_A_LINE_BREAK = re.compile("[^\r\n\x85\u2028\u2029]")

#: Words that make a key sensitive once the key is lower-cased and stripped of ``-``, ``_``, ``.``...
_SENSITIVE_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "privkey",
    "tlskey",
    "sshkey",
    "accesskey",
    "signingkey",
    "sessionkey",
    "authorization",
    "cookie",
    "credential",
    "bearer",
)
#: Endings of keys that name, locate or describe a secret instead of holding it (``secretName``,
#: ``tokenSecretRef``, ``bearer_token_format``, ``idp_access_token_allowed_audiences``).
_REFERENCE_ENDINGS = (
    "name",
    "names",
    "ref",
    "namespace",
    "kind",
    "type",
    "path",
    "file",
    "files",
    "url",
    "uri",
    "endpoint",
    "format",
    "audiences",
    "header",
    "headers",
)
#: Pomerium annotations whose values are the names of Secrets, not secrets (``ingress.pomerium.io/`` prefix).
_SECRET_NAME_ANNOTATIONS = SECRETS | TLS_SECRETS

# A ``key: value`` (or ``key=value``) pair anywhere in a line: in flow mappings, JSON, or inside a
# string such as an annotation holding a header map. Unquoted keys need a blank after ``:``.
_INLINE_PAIR = re.compile(
    r"""(?:"(?P<double>[^"\\\n]{1,200})"\s*:\s*"""
    r"""|'(?P<single>[^'\n]{1,200})'\s*:\s*"""
    r"""|(?<![\w.\-/])(?P<plain>[A-Za-z_][\w.\-/]{0,200})(?::(?:[ \t]+|$)|[ \t]*=[ \t]*))"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?|[^\s,}\]][^,}\]]*)"""
)

Position = tuple[int, int]  # (0-based line, 0-based column)
#: Masked parts of one line: (start column, end column or None for the end of the line); a start of
#: -1 means "from the line's first non-blank character" (a value continued from an earlier line),
#: and (`COMMENTS`, None) "the comment on this line" (inside a Secret, an old value may be commented out).
Segment = tuple[int, int | None]
COMMENTS = -2


@lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    """Whether values under ``key`` are secrets: tokens, passwords, API keys, auth headers, cookies.

    ``X-Api-Key``, ``Authorization``, ``X-Auth-Token``, ``client_secret`` and ``cookie_secret`` are;
    keys that name a secret (``secretName``, ``ingress.pomerium.io/set_request_headers_secret``) or
    describe one (``bearer_token_format``) are not.
    """
    if key.rpartition("/")[2] in _SECRET_NAME_ANNOTATIONS:
        return False
    folded = "".join(character for character in key.lower() if character.isalnum())
    if not any(word in folded for word in _SENSITIVE_WORDS):
        return False
    return not folded.endswith(_REFERENCE_ENDINGS)


def mask_inline_pairs(line: str) -> str:
    """``line`` with the values of sensitive ``key: value`` pairs replaced by `REDACTED`.

    Pairs are looked for inside other values too (a header map written in an annotation's string).
    """
    if ":" not in line and "=" not in line:
        return line
    pieces: list[str] = []
    cursor = 0
    match = _INLINE_PAIR.search(line)
    while match is not None:
        key = match.group("double") or match.group("single") or match.group("plain")
        value = match.group("value").rstrip()
        start = match.start("value")
        if key and value != REDACTED and is_sensitive_key(key):
            pieces.append(line[cursor:start])
            pieces.append(REDACTED)
            cursor = start + len(value)
            match = _INLINE_PAIR.search(line, cursor)
        else:  # the value may itself hold pairs: look inside it
            match = _INLINE_PAIR.search(line, start + 1 if value[:1] in ("'", '"') else start)
    if not pieces:
        return line
    pieces.append(line[cursor:])
    return "".join(pieces)


def redact_line(line: str, segments: list[Segment]) -> str:
    """``line`` with every masked segment replaced by `REDACTED` (overlapping segments merged)."""
    if not segments:
        return line
    indent = len(line) - len(line.lstrip(" \t"))
    resolved: list[tuple[int, int]] = []
    for start, end in segments:
        if start == COMMENTS:
            continue
        first = indent if start < 0 else start
        last = len(line) if end is None else min(end, len(line))
        if first < last:
            resolved.append((first, last))
    if (COMMENTS, None) in segments:
        for comment in _COMMENT.finditer(line):
            if not any(first <= comment.start() < last for first, last in resolved):
                resolved.append((comment.end(), len(line)))
                break
    resolved.sort()
    pieces: list[str] = []
    cursor = 0
    for first, last in resolved:
        if last <= cursor:
            continue
        if first > cursor or not pieces:
            pieces.append(line[cursor:first])
            pieces.append(REDACTED)
        cursor = last  # (a segment overlapping or touching the one before extends it)
    pieces.append(line[cursor:])
    return "".join(pieces)


def secret_segments(text: str) -> dict[int, list[Segment]]:
    """The masked parts of each line (0-based) of a file's text: Secret data and sensitive values."""
    reader = _SecretReader(text)
    reader.run()
    return reader.segments()


@dataclass(slots=True, eq=False)
class _Span:
    """Where one value (a scalar or an alias) lies, and what is known about it."""

    start: Position
    end: Position | None  # None: to the end of the file
    path: tuple[str | None, ...]  # keys from the document's root (None: a sequence item or complex key)
    key: bool = False  # a mapping key: shown unless it sits deep in Secret data (or an alias to it does)
    name: str | None = None  # a key's text
    decided: bool = False  # the kind of an enclosing object is known
    masked: bool = False
    aliased: list[_Span] | None = None  # an alias: the spans of the node it stands for


@dataclass(slots=True, eq=False)
class _Node:
    """A mapping or sequence being read."""

    mapping: bool
    path: tuple[str | None, ...]
    first: int  # index of this node's first span
    first_line: int
    anchor: str | None
    object_like: bool  # a document root or a List item: an object's own mapping, if it is a mapping
    sensitive: bool  # under a token/password-like key: every value masked
    key: str | None = None  # the key whose value is being read (mappings)
    awaiting_key: bool = True
    has_api_version: bool = False
    kinds: list[str | None] = field(default_factory=list)  # None: a kind that cannot be read
    names_secret: bool = False  # {name: API_TOKEN, value: ...}: its value is masked
    value_ranges: list[tuple[int, int]] = field(default_factory=list)  # spans under the key "value"
    key_span: _Span | None = None  # the span of the key whose value is being read


@dataclass(slots=True, eq=False)
class _Anchored:
    """What an alias to an anchor stands for."""

    spans: list[_Span]
    kinds: list[str | None]
    text: str | None  # a scalar's text


class _SecretReader:
    """Walks a file's YAML events, restarting after syntax errors at the next ``---`` (as the loader does)."""

    def __init__(self, text: str) -> None:
        # libyaml skips a leading BOM without counting it in columns.
        self.bom = 1 if text.startswith("\ufeff") else 0
        self.spans: list[_Span] = []
        self.text = self._blank_unreadable(text[self.bom :])
        self.stack: list[_Node] = []
        self.anchors: dict[str, _Anchored] = {}
        self.document_first = 0
        self.last_root: _Node | None = None
        self.last_end: Position = (0, 0)
        self.lines: list[str] | None = None  # the text's lines, split only after a syntax error
        self.cut_loose = False  # the last syntax error was in what may be a Secret
        self.document_line = 0  # where the current document starts
        self.comment_lines: list[tuple[int, int]] = []  # (first, last) lines whose comments are masked
        self.last_line = len(_LINE_BREAK.findall(self.text))

    def _blank_unreadable(self, text: str) -> str:
        """Mask the documents holding characters YAML refuses (the loader skips them), and blank them.

        Blanking keeps every line break and the ``---``, so positions stay those of the file.
        """
        found = NON_PRINTABLE.search(text)
        if found is None:
            return text
        separators = [match.start() for match in DOCUMENT_SEPARATOR.finditer(text)]
        line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
        kept: list[str] = []
        cursor = 0  # the text up to here is in `kept`
        while found is not None:
            after = bisect.bisect_right(separators, found.start())
            start = separators[after - 1] + 3 if after else 0
            end = separators[after] if after < len(separators) else len(text)
            self.spans.append(_Span(_position(line_starts, start), _position(line_starts, end), (), masked=True))
            kept.append(text[cursor:start])
            kept.append(_NOT_A_LINE_BREAK.sub(" ", text[start:end]))
            cursor = end
            found = NON_PRINTABLE.search(text, end)
        kept.append(text[cursor:])
        return "".join(kept)

    # -- reading ------------------------------------------------------------------------------------

    def run(self) -> None:
        """Read the text in one go; after a syntax error in chunks ending at a ``---`` line (as the loader)."""
        read_in_chunks(self._read_chunk, 0)

    def _read_chunk(self, start: int, line_base: int, window: int) -> tuple[int, int, bool] | None:
        """Read from ``start`` on: None at the end, else where to read again and whether after an error.

        With ``window`` >= 0 the chunk ends with the first ``---`` at least ``window`` characters on;
        the document that ``---`` starts is left to the next chunk.
        """
        cut = chunk_cut(self.text, start, window)
        chunk = self.text[start : start + cut + 3] if cut is not None else self.text[start:]
        loader = _EventSource(chunk)
        self.stack = []
        self.last_root = None
        self.document_first = len(self.spans)
        self.last_end = (line_base, 0)
        try:
            while loader.check_event():
                event = loader.get_event()
                if cut is not None and isinstance(event, DocumentStartEvent) and _index(event) >= cut:
                    next_line = line_base + len(_LINE_BREAK.findall(self.text, start, start + cut))
                    return start + cut, next_line, False
                self._on_event(event, line_base)
            return None
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            error_index = start + min(mark.index, len(chunk)) if mark is not None else start
            restart = restart_after(self.text, start, error_index)
            if restart is None:
                self._break_off(None)
                return None
            restart_line = line_base + len(_LINE_BREAK.findall(self.text, start, restart))
            self._break_off((restart_line, 0))
            return restart, restart_line, True
        except yaml.YAMLError:  # not expected (the text is blanked of what YAML refuses): mask the rest
            self._break_off(None)
            return None
        finally:
            loader.dispose()

    def _on_event(self, event: Event | None, line_base: int) -> None:
        if event is None or event.start_mark is None or event.end_mark is None:
            return
        start = (event.start_mark.line + line_base, event.start_mark.column)
        end = (event.end_mark.line + line_base, event.end_mark.column)
        if isinstance(event, ScalarEvent):
            self._on_leaf(start, end, event.anchor, _scalar_text(event), None)
        elif isinstance(event, AliasEvent):
            anchored = self.anchors.get(str(event.anchor))
            self._on_leaf(start, end, None, None if anchored is None else anchored.text, anchored)
        elif isinstance(event, MappingStartEvent | SequenceStartEvent):
            self._push(isinstance(event, MappingStartEvent), event.anchor, start[0])
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            self._pop(end[0])
        elif isinstance(event, DocumentStartEvent):
            self.anchors = {}
            self.last_root = None
            self.document_first = len(self.spans)
            self.document_line = start[0]
        elif isinstance(event, DocumentEndEvent):
            self._finish_document(end[0])
        if end != start:  # (an empty value libyaml adds at the error would skip the text before it)
            self.last_end = end

    def _on_leaf(
        self, start: Position, end: Position, anchor: str | None, text: str | None, alias: _Anchored | None
    ) -> None:
        """A scalar or an alias: a mapping key, or a value to record."""
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.mapping and parent.awaiting_key:
            parent.key = text
            parent.awaiting_key = False
            if parent.key == "apiVersion":
                parent.has_api_version = True
            key_span = _Span(
                start, end, parent.path, key=True, name=text, aliased=None if alias is None else alias.spans
            )
            self.spans.append(key_span)
            if _embeds_a_secret(text):
                _mask(key_span)
            parent.key_span = key_span
            if anchor is not None:
                self.anchors[anchor] = _Anchored([key_span], [], text)
            return
        key = parent.key if parent is not None and parent.mapping else None
        span = _Span(start, end, (*parent.path, key) if parent is not None else ())
        if alias is not None:
            span.aliased = alias.spans
        first = len(self.spans)
        self.spans.append(span)
        if anchor is not None:
            self.anchors[anchor] = _Anchored([span], [], text)
        if _embeds_a_secret(text):
            _mask(span)
        if parent is None:
            return
        if parent.mapping and text == "" and parent.key_span is not None and parent.path[-1:] in _DATA_PATHS:
            # `{a: x, zq...}`: a data key without a value is most likely a value that lost its key.
            parent.key_span.key = False
            parent.key_span.path = span.path
        if (
            parent.sensitive
            or (parent.mapping and key is not None and is_sensitive_key(key))
            or "stringData" in span.path
        ):
            _mask(span)  # (only Secrets have stringData: its values are masked in any object)
        self._child_done(parent, first, text, alias.kinds if alias is not None else [])

    def _push(self, mapping: bool, anchor: str | None, first_line: int) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is None:
            path: tuple[str | None, ...] = ()
            object_like, sensitive = True, False
        else:
            key = parent.key if parent.mapping and not parent.awaiting_key else None
            path = (*parent.path, key)
            object_like = not parent.mapping and parent.path[-1:] == ("items",)
            sensitive = parent.sensitive or (key is not None and is_sensitive_key(key))
        self.stack.append(_Node(mapping, path, len(self.spans), first_line, anchor, object_like, sensitive))

    def _pop(self, last_line: int) -> None:
        node = self.stack.pop()
        self._decide(node, last_line, closed=True)
        spans = self.spans[node.first :]
        if node.anchor is not None:
            self.anchors[node.anchor] = _Anchored(spans, list(node.kinds), None)
        parent = self.stack[-1] if self.stack else None
        if parent is None:
            self.last_root = node
            return
        self._child_done(parent, node.first, None, node.kinds)

    def _child_done(self, parent: _Node, first: int, text: str | None, kinds: list[str | None]) -> None:
        """A value of ``parent`` was read (its spans start at ``first``): note what it says about ``parent``."""
        if not parent.mapping:
            parent.kinds.extend(kinds)  # (a sequence's kinds matter only under "<<")
            return
        if parent.awaiting_key:  # a mapping or sequence used as a key
            parent.key = None
            parent.awaiting_key = False
            return
        key = parent.key
        if key == "kind":
            parent.kinds.append(text)  # None: an alias or tag that cannot be read: counted as unknown
        elif key == "<<":
            parent.kinds.extend(kinds)  # a merged mapping may bring the kind
        elif key == "name" and text is not None and is_sensitive_key(text):
            parent.names_secret = True
        elif key == "value":
            parent.value_ranges.append((first, len(self.spans)))
        parent.awaiting_key = True

    # -- deciding -----------------------------------------------------------------------------------

    def _decide(self, node: _Node, last_line: int, *, closed: bool) -> None:
        """Mask or clear the spans of a mapping whose kind is known (or, open, may never be).

        ``last_line``: where the mapping ends, or (open) where reading restarts.
        """
        if not node.mapping:
            return
        for first, last in node.value_ranges if node.names_secret else ():
            for span in self.spans[first:last]:
                _mask(span)
        depth = len(node.path)
        kinds = node.kinds
        if not closed and not kinds:  # broken off, kind unknown: data in it may be a Secret's
            self._mask_kindless_data(node.first, depth)
        if kinds and not _list_kinds(kinds):
            secret = any(kind is not None and _secret_like(kind) for kind in kinds)
            known = secret or None not in kinds
        elif not (kinds or node.object_like or node.has_api_version):
            return
        elif closed and not kinds and node.path:  # a List item without a kind: not an object, maybe a Secret's remains
            secret, known = False, False
        elif closed:  # a document without a kind (a patch, Helm values) or a List: data in it may be a Secret's
            self._mask_kindless_data(node.first, depth)
            return
        elif kinds:  # a List broken off: its items decided for themselves, the rest is masked after the error
            return
        else:  # the document broke off before this object's kind: it may be a Secret
            secret, known = False, False
        names = _names_the_object if known else _names_any_object
        for span in self.spans[node.first :]:
            span.decided = True
            if (secret or not known) and not names(span, span.path[depth:]):
                _mask(span)
        if secret or not known:
            self.comment_lines.append((node.first_line, last_line))

    def _finish_document(self, last_line: int) -> None:
        """Values under data/stringData of kindless documents (patches, Helm values) are masked.

        Right after a syntax error in what may be a Secret, a kindless document may be the rest of
        that Secret cut loose by a ``---``: all of it is masked but common field names.
        """
        root = self.last_root
        if self.cut_loose and (root is None or not root.kinds):
            for span in self.spans[self.document_first :]:
                if not (span.decided or _names_any_object(span, span.path)):
                    _mask(span)
            self.comment_lines.append((self.document_line, last_line))
        self.cut_loose = False
        self._mask_kindless_data(self.document_first, 0)

    def _mask_kindless_data(self, first: int, depth: int) -> None:
        """Mask what lies under data/stringData below ``depth``, among the undecided spans from ``first``."""
        for span in self.spans[first:]:
            if span.decided or span.masked:
                continue
            below = span.path[depth:-1] if span.key else span.path[depth:]  # a key only below data's own keys
            if not _DATA_KEYS.isdisjoint(below):
                _mask(span)

    def _break_off(self, restart_at: Position | None) -> None:
        """A syntax error: decide the open nodes with what was read, mask what stays unknown."""
        unread_from = self._unread_from(self.last_end)
        masks_unread = not self._encloses_no_secret() or _may_spell_secret_kind(
            self._text_between(unread_from, restart_at), self._secret_anchor()
        )
        restart_line = self.last_line if restart_at is None else restart_at[0]
        for node in reversed(self.stack):
            self._decide(node, restart_line, closed=False)
        for span in self.spans[self.document_first :]:
            if not (span.decided or _names_any_object(span, span.path)):
                _mask(span)
        if masks_unread:
            self.spans.append(_Span(unread_from, restart_at, (), masked=True))
        self.cut_loose = masks_unread
        self.stack = []

    def _split_lines(self) -> list[str]:
        if self.lines is None:
            self.lines = _LINE_BREAK.split(self.text)
        return self.lines

    def _unread_from(self, position: Position) -> Position:
        """Past the blanks and the ``:`` or ``,`` that follow the last event: where unread text starts."""
        lines = self._split_lines()
        line, column = position
        if line >= len(lines):
            return position
        found = _SEPARATORS_AFTER_VALUE.match(lines[line], column)
        return (line, found.end()) if found is not None else position

    def _text_between(self, start: Position, end: Position | None) -> str:
        lines = self._split_lines()
        (first, column), last = start, (len(lines) if end is None else end[0])
        return "\n".join([lines[first][column:], *lines[first + 1 : last]]) if first < len(lines) else ""

    def _secret_anchor(self) -> bool:
        """Whether an anchor of this document stands for a Secret-like kind (an alias may bring it)."""
        return any(
            (anchored.text is not None and _secret_like(anchored.text)) or _any_secret(anchored.kinds)
            for anchored in self.anchors.values()
        )

    def _encloses_no_secret(self) -> bool:
        """Whether what encloses the error is known to be neither Secret-like, nor a List, nor sensitive."""
        if not self.stack:
            root = self.last_root
            return root is not None and _plain_object(root.kinds)
        known_plain = False
        for node in self.stack:
            if node.sensitive or (node.mapping and not node.awaiting_key and _sensitive(node.key)):
                return False
            if not node.mapping:
                continue
            if node.kinds:
                if not _plain_object(node.kinds):
                    return False
                known_plain = True
            elif node.object_like or node.has_api_version:
                return False
        return known_plain

    # -- output -------------------------------------------------------------------------------------

    def segments(self) -> dict[int, list[Segment]]:
        by_line: dict[int, list[Segment]] = {}
        last_line = self.last_line
        covered = -1  # comment zones nest (a List of Secrets): each line is marked once
        for first, last in sorted(self.comment_lines):
            for line in range(max(first, covered + 1), last + 1):
                by_line.setdefault(line, []).append((COMMENTS, None))
            covered = max(covered, last)
        for span in self.spans:
            if not span.masked:
                continue
            (first_line, first_column), end = span.start, span.end
            last, last_column = end if end is not None else (last_line, None)
            if first_line == 0:
                first_column += self.bom
            if last == 0 and last_column is not None:
                last_column += self.bom
            if last == first_line:
                by_line.setdefault(first_line, []).append((first_column, last_column))
                continue
            by_line.setdefault(first_line, []).append((first_column, None))
            for line in range(first_line + 1, last):
                by_line.setdefault(line, []).append((-1, None))
            if last_column is None or last_column > 0:
                by_line.setdefault(last, []).append((-1, last_column))
        return by_line


def _mask(span: _Span) -> None:
    """Mask a span and, through aliases, the spans it stands for."""
    pending = [span]
    while pending:
        current = pending.pop()
        if current.masked and current is not span:
            continue
        current.masked = True
        if current.aliased:
            pending.extend(s for s in current.aliased if not s.masked)


def _names_the_object(span: _Span, below_object: tuple[str | None, ...]) -> bool:
    """Whether a span of a Secret-like object (``below_object``: its path from there) is not its data.

    Values: apiVersion, kind, type, metadata.name and metadata.namespace. Keys: the object's own
    field names, its metadata's and spec's, and the names of its data (their values stay masked).
    """
    if span.key:
        return below_object in _VISIBLE_KEY_PARENTS
    return below_object in _IDENTITY_FIELDS


def _names_any_object(span: _Span, below_object: tuple[str | None, ...]) -> bool:
    """Like `_names_the_object` for an object of unknown kind: keys only where they are common field names."""
    if span.key:
        return below_object in _VISIBLE_KEY_PARENTS and span.name in _COMMON_FIELD_NAMES
    return below_object in _IDENTITY_FIELDS


def _sensitive(key: str | None) -> bool:
    return key is not None and is_sensitive_key(key)


def _embeds_a_secret(text: str | None) -> bool:
    """Whether a scalar holds a Secret's manifest as text (inline in a ConfigMap, a Helm value...)."""
    return text is not None and "ecret" in text and _EMBEDDED_SECRET_KIND.search(text) is not None


def _secret_like(kind: str) -> bool:
    """A kind that may hold secrets: `SECRET_KINDS`, SecretStores, and any kind naming a secret.

    Broader than the kinds themselves on purpose: a plain scalar cut short by a syntax error
    (``kind: Secret`` continued by the next line) still reads as one.
    """
    return "secret" in kind.lower()


def _list_kinds(kinds: list[str | None]) -> bool:
    """Kinds of a List (``List``, ``IngressList``...): what its items are says nothing about it."""
    return all(kind is not None and kind.endswith("List") and not _secret_like(kind) for kind in kinds)


def _any_secret(kinds: list[str | None]) -> bool:
    return any(kind is None or _secret_like(kind) for kind in kinds)


def _plain_object(kinds: list[str | None]) -> bool:
    """Kinds known to hold no Secret: not Secret-like, and not a List (whose items may be Secrets)."""
    return bool(kinds) and all(
        kind is not None and not _secret_like(kind) and not kind.endswith("List") for kind in kinds
    )


def _may_spell_secret_kind(unread: str, secret_anchor: bool) -> bool:
    """Whether unparsed text may hold a Secret-like ``kind``: the word, an escape, a tag, or an alias to one."""
    return "ecret" in unread or "\\" in unread or "!" in unread or (secret_anchor and "*" in unread)


def _scalar_text(event: ScalarEvent) -> str | None:
    """A scalar's text as kubectl reads it for ``kind``: ``!!binary`` decoded; None when it cannot be."""
    tag = event.tag or ""
    if not tag.endswith(":binary"):
        return str(event.value)
    try:
        return base64.b64decode("".join(str(event.value).split()), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def _index(event: Event) -> int:
    return -1 if event.start_mark is None else int(event.start_mark.index)


def _position(line_starts: list[int], index: int) -> Position:
    """(line, column) of a text index, from the indexes where the text's lines start."""
    line = bisect.bisect_right(line_starts, index) - 1
    return line, index - line_starts[line]
