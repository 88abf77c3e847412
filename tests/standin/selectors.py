"""Field and label selectors, parsed once per request into a predicate over objects."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_SET_TERM = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)\s*$")
_EQ_TERM = re.compile(r"^\s*([^\s!=(),]+)\s*(!=|==|=)\s*(.*?)\s*$")
_EXISTS_TERM = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


class SelectorError(ValueError):
    """A selector the real API server would refuse with 400 Bad Request."""


def _split_terms(text: str) -> list[str]:
    """Split on the commas that are not inside ``(...)`` (set-based label requirements)."""
    terms, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return [term for term in terms if term.strip()]


def _lookup(obj: Any, path: str) -> str:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    if obj is None:
        return ""
    if isinstance(obj, bool):
        return "true" if obj else "false"
    return str(obj)


def _field_is(path: str, value: str, equal: bool) -> Predicate:
    return lambda obj: (_lookup(obj, path) == value) == equal


def _label_is(key: str, value: str, equal: bool) -> Predicate:
    return lambda obj: (_labels(obj).get(key) == value) == equal


def _label_in(key: str, values: set[str], inside: bool) -> Predicate:
    return lambda obj: (_labels(obj).get(key) in values) == inside


def _label_exists(key: str, exists: bool) -> Predicate:
    return lambda obj: (key in _labels(obj)) == exists


def field_selector(text: str, fields: Mapping[str, str]) -> list[Predicate]:
    """``a=b,c==d,e!=f`` over the resource's selectable ``fields`` (label -> dotted path)."""
    predicates: list[Predicate] = []
    for term in _split_terms(text):
        match = _EQ_TERM.match(term)
        if not match:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        label, op, value = match.groups()
        if label not in fields:
            raise SelectorError(f"field label not supported: {label}")
        predicates.append(_field_is(fields[label], value, op != "!="))
    return predicates


def label_selector(text: str) -> list[Predicate]:
    """Equality (``a=b``, ``a==b``, ``a!=b``), set (``a in (x,y)``, ``a notin (x)``) and existence (``a``, ``!a``)."""
    predicates: list[Predicate] = []
    for term in _split_terms(text):
        if match := _SET_TERM.match(term):
            key, op, values = match.groups()
            predicates.append(_label_in(key, {v.strip() for v in values.split(",") if v.strip()}, op == "in"))
        elif match := _EQ_TERM.match(term):
            key, op, value = match.groups()
            predicates.append(_label_is(key, value, op != "!="))
        elif match := _EXISTS_TERM.match(term):
            negate, key = match.groups()
            predicates.append(_label_exists(key, not negate))
        else:
            raise SelectorError(f"unable to parse requirement: {term!r}")
    return predicates


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = (obj.get("metadata") or {}).get("labels") or {}
    return labels


def compile_selector(
    fields: Mapping[str, str],
    field_text: str = "",
    label_text: str = "",
    namespace: str | None = None,
    name: str | None = None,
) -> Predicate | None:
    """One predicate for all the conditions (None when there are none: everything matches)."""
    predicates = field_selector(field_text, fields) + label_selector(label_text)
    if namespace is not None:
        predicates.append(lambda obj: (obj.get("metadata") or {}).get("namespace", "") == namespace)
    if name is not None:
        predicates.append(lambda obj: (obj.get("metadata") or {}).get("name") == name)
    if not predicates:
        return None
    if len(predicates) == 1:
        return predicates[0]
    return lambda obj: all(predicate(obj) for predicate in predicates)
