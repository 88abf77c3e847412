"""Fixes for findings whose fix is mechanical: what to write, in the file's own syntax, and the edit.

Pure: a finding and the text of its file in, a `Fix` out. A fix always has a hint (the line to
write, JSON in a JSON file); it carries an edit only when applying it cannot change what the user
meant (`pomgate check --fix` applies those):

* a bool or number annotation value is quoted (``k8s/annotation-not-string``), except a duration
  written as a bare number: which unit was meant is the user's call;
* an unknown annotation is renamed to its only did-you-mean candidate (a typo, a wrong case);
* the ``^/…$`` regex path of the older Pomerium documentation loses its anchors.

Durations written with words (``5 minutes``) or without a unit and list annotations written as one
bare string get a hint only.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

import yaml

from pomgate.findings import Finding
from pomgate.fixes.locate import Entry, Span, entry_at
from pomgate.translation import annotation_table
from pomgate.translation.values import go_duration_nanoseconds

DURATION_ANNOTATIONS = frozenset({"timeout", "idle_timeout"})
LIST_ANNOTATIONS = frozenset(
    {
        "allowed_users",
        "allowed_domains",
        "remove_request_headers",
        "allow_upgrades",
        "idp_access_token_allowed_audiences",
        "depends_on",
    }
)
DURATION_UNITS_TEXT = "ns, us, ms, s, m or h (Go durations have no d)"

_NOT_STRING_RULES = ("k8s/annotation-not-string", "k8s/label-not-string")
#: The rules whose fix needs the value as written (the file is parsed for them only).
_LOCATED_RULES = frozenset({*_NOT_STRING_RULES, "annotation/unknown", "annotation/value", "k8s/ingress-path"})


@dataclass(frozen=True)
class TextEdit:
    """Replace characters ``start:end`` of the file's text (``expected`` is what they hold now)."""

    start: int
    end: int
    expected: str
    replacement: str


@dataclass(frozen=True)
class Fix:
    """A mechanical fix: the line to write (in the file's syntax), why, and the edit when it is safe."""

    hint: str
    summary: str | None = None  # what is wrong, in the user's terms (leads the text report)
    edit: TextEdit | None = None

    @property
    def safe(self) -> bool:
        """Whether `pomgate check --fix` applies it."""
        return self.edit is not None


def is_json_file(path: str | None) -> bool:
    """Whether the file is written as JSON (by its name)."""
    return bool(path) and str(path).lower().endswith(".json")


def suggest_fix(finding: Finding, text: str | None) -> Fix | None:
    """The fix for ``finding`` in a file holding ``text``; None when there is none to suggest."""
    json_file = is_json_file(finding.path)
    entry = _entry(finding, text) if finding.rule in _LOCATED_RULES else None
    if entry is not None and text is not None:
        made = _specific_fix(finding, entry, text, json_file)
        if made is not None:
            return made
    if json_file and finding.hint:
        converted = json_hint(finding.hint, finding.field[-1] if finding.field else None)
        if converted is not None:
            return Fix(converted)
    return None


def _entry(finding: Finding, text: str | None) -> Entry | None:
    if text is None or not finding.line or not finding.field or not isinstance(finding.field[-1], str):
        return None
    return entry_at(text, finding.field[-1], finding.line)


def _specific_fix(finding: Finding, entry: Entry, text: str, json_file: bool) -> Fix | None:
    is_annotation = len(finding.field) == 3 and finding.field[:2] == ("metadata", "annotations")
    name = entry.key.rsplit("/", 1)[-1]
    if finding.rule in _NOT_STRING_RULES:
        return _quote_fix(entry, text, json_file, duration=is_annotation and name in DURATION_ANNOTATIONS)
    if finding.rule == "annotation/unknown" and is_annotation:
        return _rename_fix(finding, entry, text, json_file)
    if finding.rule == "annotation/value" and is_annotation and entry.value is not None:
        if name in DURATION_ANNOTATIONS:
            return _duration_fix(entry, json_file)
        if name in LIST_ANNOTATIONS:
            return _list_fix(entry, json_file)
    if finding.rule == "k8s/ingress-path" and entry.key == "path" and entry.value is not None:
        return _regex_path_fix(entry, text, json_file)
    return None


# ---------------------------------------------------------------- the fixes


def _quote_fix(entry: Entry, text: str, json_file: bool, *, duration: bool) -> Fix | None:
    if entry.value is None or entry.value_span.style:
        return None
    written = entry.value
    if duration and _is_number(written):
        suggested = suggest_duration(written)
        if suggested is not None:
            summary = (
                f"{entry.key} is the number {written}: an annotation must be a string, and a duration needs a "
                f"unit, {DURATION_UNITS_TEXT}; {suggested} if seconds are meant"
            )
            return Fix(_pair(entry.key, suggested, json_file), summary)
    quoted = json.dumps(written, ensure_ascii=False)
    edit = _edit(text, entry.value_span, quoted)
    return Fix(_pair(entry.key, written, json_file, force_quotes=True), None, edit)


def _rename_fix(finding: Finding, entry: Entry, text: str, json_file: bool) -> Fix | None:
    candidate = finding.hint or ""
    prefix, _, name = entry.key.rpartition("/")
    if not prefix or not candidate.startswith(prefix + "/"):
        return None
    wanted = candidate[len(prefix) + 1 :]
    if wanted not in annotation_table.KNOWN or only_candidate(name) != wanted:
        return None
    value = text[entry.value_span.start : entry.value_span.end]
    hint = f"{_key_text(candidate, json_file, '')}: {value}" if "\n" not in value else candidate
    if candidate in entry.siblings:  # renaming would write the key twice
        return Fix(hint)
    return Fix(hint, None, _edit(text, entry.key_span, _key_text(candidate, json_file, entry.key_span.style)))


def only_candidate(name: str) -> str | None:
    """The one known annotation an unknown ``name`` is a typo of (case, dashes or a close spelling); else None."""
    if name in annotation_table.RENAMED or name.endswith("_file"):
        return None  # a different setting, not a typo: its value may not fit the new name
    lowered = name.lower().replace("-", "_")
    if lowered in annotation_table.KNOWN:
        return lowered
    close = difflib.get_close_matches(lowered, sorted(annotation_table.KNOWN), n=2, cutoff=0.75)
    return close[0] if len(close) == 1 else None


def _duration_fix(entry: Entry, json_file: bool) -> Fix | None:
    written = entry.value or ""
    suggested = suggest_duration(written)
    if suggested is None:
        return None
    if _is_number(written.strip()):
        summary = (
            f"{entry.key}: {written!r} has no unit: a duration is a number and a unit, {DURATION_UNITS_TEXT}; "
            f"{suggested} if seconds are meant"
        )
    else:
        summary = f"{entry.key}: {written!r} is not a duration: write a number and a unit, {DURATION_UNITS_TEXT}"
    return Fix(_pair(entry.key, suggested, json_file), summary)


def _list_fix(entry: Entry, json_file: bool) -> Fix | None:
    written = (entry.value or "").strip()
    if not written or written.startswith(("[", "-", "{")):
        return None
    items = [item.strip() for item in re.split(r"[,\s]+", written) if item.strip()]
    listed = json.dumps(items, ensure_ascii=False)
    summary = f"{entry.key} takes a list, even for one item; the controller reads the value as YAML: {listed}"
    return Fix(_pair(entry.key, listed, json_file, force_quotes=True), summary)


def _regex_path_fix(entry: Entry, text: str, json_file: bool) -> Fix | None:
    written = entry.value or ""
    if not written.startswith("^/"):
        return None
    path = written[1:]
    if path.endswith("$") and not path.endswith("\\$"):
        path = path[:-1]
    replacement = json.dumps(path, ensure_ascii=False) if json_file else _yaml_scalar(path, entry.value_span.style)
    return Fix(_pair("path", path, json_file), None, _edit(text, entry.value_span, replacement))


# ---------------------------------------------------------------- durations


_UNIT_WORDS = {
    "ns": ("ns", 1),
    "nanosecond": ("ns", 1),
    "us": ("us", 1),
    "µs": ("us", 1),
    "microsecond": ("us", 1),
    "ms": ("ms", 1),
    "msec": ("ms", 1),
    "millisecond": ("ms", 1),
    "": ("s", 1),
    "s": ("s", 1),
    "sec": ("s", 1),
    "second": ("s", 1),
    "m": ("m", 1),
    "min": ("m", 1),
    "minute": ("m", 1),
    "h": ("h", 1),
    "hr": ("h", 1),
    "hour": ("h", 1),
    "d": ("h", 24),
    "day": ("h", 24),
    "w": ("h", 24 * 7),
    "week": ("h", 24 * 7),
}
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([a-zµ]*)")
_DURATION_GLUE = re.compile(r"[\s,]+|\band\b")


def suggest_duration(written: str) -> str | None:
    """A Go duration for what ``written`` says (``5 minutes`` → ``5m``, ``30`` → ``30s``, ``1d`` → ``24h``)."""
    text = written.strip().lower()
    parts: list[str] = []
    position = 0
    while position < len(text):
        glue = _DURATION_GLUE.match(text, position)
        if glue is not None and glue.end() > position:
            position = glue.end()
            continue
        match = _DURATION_PART.match(text, position)
        if match is None or match.end() == position:
            return None
        number, word = match.group(1), match.group(2)
        unit = _UNIT_WORDS.get(word) or _UNIT_WORDS.get(word[:-1] if word.endswith("s") else word)
        if unit is None:
            return None
        symbol, scale = unit
        amount = float(number) * scale if scale != 1 else None
        shown = number if amount is None else (str(int(amount)) if amount.is_integer() else str(amount))
        parts.append(shown + symbol)
        position = match.end()
    suggested = "".join(parts)
    if not suggested or go_duration_nanoseconds(suggested) is None or suggested == written:
        return None
    return suggested


def _is_number(text: str) -> bool:
    return re.fullmatch(r"[-+]?[0-9]+(?:\.[0-9]+)?", text) is not None


# ---------------------------------------------------------------- writing values


def _edit(text: str, span: Span, replacement: str) -> TextEdit | None:
    written = text[span.start : span.end]
    if not written or "\n" in written or "\r" in written:
        return None  # only one-line scalars are replaced
    return TextEdit(span.start, span.end, written, replacement)


def _key_text(key: str, json_file: bool, style: str) -> str:
    if json_file or style == '"':
        return json.dumps(key, ensure_ascii=False)
    if style == "'":
        return "'" + key.replace("'", "''") + "'"
    return key


def _yaml_scalar(value: str, style: str) -> str:
    """``value`` as a YAML scalar in the given quoting, when that reads back as the same string."""
    if style == "'":
        candidate = "'" + value.replace("'", "''") + "'"
    elif style == "":
        candidate = value
    else:
        candidate = json.dumps(value, ensure_ascii=False)
    try:
        loaded = yaml.safe_load("[" + candidate + "]")
    except yaml.YAMLError:
        loaded = None
    if loaded == [value]:
        return candidate
    return json.dumps(value, ensure_ascii=False)


def _pair(key: str, value: str, json_file: bool, *, force_quotes: bool = False) -> str:
    """``key: value`` as one line of the file's syntax (JSON: both quoted)."""
    if json_file:
        return f"{json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
    if force_quotes:
        shown = "'" + value.replace("'", "''") + "'" if value.startswith("[") else json.dumps(value)
    else:
        shown = _yaml_scalar(value, "")
    return f"{key}: {shown}"


def json_hint(hint: str, field_name: str | int | None) -> str | None:
    """A ``key: value`` hint written as JSON (``"key": value``), when it is one; else None.

    Only hints that set the key the finding is about (or an annotation) and whose value is data,
    not prose, are rewritten.
    """
    if "\n" in hint or ": " not in hint:
        return None
    try:
        loaded = yaml.safe_load(hint)
    except yaml.YAMLError:
        return None
    if not isinstance(loaded, dict) or len(loaded) != 1:
        return None
    ((key, value),) = loaded.items()
    if not isinstance(key, str) or (key != field_name and "/" not in key):
        return None
    if isinstance(value, str) and ("  " in value or "(" in value or value.startswith("<")):
        return None
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return f"{json.dumps(key, ensure_ascii=False)}: {shown}"
