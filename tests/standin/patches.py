"""PATCH bodies: JSON merge patch (RFC 7386), a strategic merge patch approximation, JSON patch (RFC 6902).

All functions return new containers where something changed and share the untouched subtrees with
the original (stored objects are never mutated, so sharing is safe).
"""

from __future__ import annotations

import copy
from typing import Any

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
PATCH_TYPES = (MERGE, STRATEGIC, JSON_PATCH)


class PatchError(ValueError):
    """A patch that cannot be applied (the real server answers 422 or 400)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


_DELETE = object()


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """A merge patch that understands ``$patch: replace|delete`` and ``$retainKeys`` and ignores other directives.

    Lists are replaced as a whole (the real server merges lists with a patchMergeKey, e.g. containers or
    Service ports, by that key); kubectl's ``$setElementOrder/...`` and ``$deleteFromPrimitiveList/...``
    are dropped.
    """
    result = _strategic(target, patch)
    return {} if result is _DELETE else result


def _strategic(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    result = {} if directive == "replace" or not isinstance(target, dict) else dict(target)
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        merged = None if value is None else _strategic(result.get(key), value)
        if merged is None or merged is _DELETE:
            result.pop(key, None)
        else:
            result[key] = merged
    if isinstance(patch.get("$retainKeys"), list):
        keep = set(patch["$retainKeys"])
        result = {key: value for key, value in result.items() if key in keep}
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer: {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _index(container: list[Any], token: str, *, adding: bool = False) -> int:
    if adding and token == "-":
        return len(container)
    if not token.isdigit():
        raise PatchError(f"invalid array index: {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not adding):
        raise PatchError(f"array index out of range: {index}")
    return index


def _get(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list):
            doc = doc[_index(doc, part)]
        else:
            raise PatchError(f"path not found: /{'/'.join(parts)}")
    return doc


def _parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    if not parts:
        raise PatchError("the whole document cannot be the target of this operation")
    return _get(doc, parts[:-1]), parts[-1]


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test (on a deep copy of ``target``)."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"invalid JSON patch operation: {op!r}")
        kind, parts = op["op"], _pointer(op["path"])
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"{kind} needs a value: {op!r}")
        if kind == "test":
            if _get(doc, parts) != op["value"]:
                raise PatchError(f"test failed at {op['path']}")
            continue
        if kind in ("move", "copy"):
            source = _pointer(op.get("from", ""))
            value = copy.deepcopy(_get(doc, source))
            if kind == "move":
                doc = _remove(doc, source)
            doc = _add(doc, parts, value)
        elif kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc = _remove(doc, parts)
        elif kind == "replace":
            _get(doc, parts)  # must exist
            doc = _add(_remove(doc, parts), parts, copy.deepcopy(op["value"])) if parts else op["value"]
        else:
            raise PatchError(f"unknown JSON patch operation: {kind!r}")
    return doc


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent, key = _parent(doc, parts)
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, key, adding=True), value)
    else:
        raise PatchError(f"cannot add at /{'/'.join(parts)}")
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    parent, key = _parent(doc, parts)
    if isinstance(parent, dict) and key in parent:
        del parent[key]
    elif isinstance(parent, list):
        del parent[_index(parent, key)]
    else:
        raise PatchError(f"path not found: /{'/'.join(parts)}")
    return doc


def apply_patch(target: dict[str, Any], patch: Any, content_type: str) -> Any:
    """Apply ``patch`` of the given Content-Type (one of ``PATCH_TYPES``)."""
    if content_type == JSON_PATCH:
        return json_patch(target, patch)
    if not isinstance(patch, dict):
        raise PatchError("a merge patch must be a JSON object")
    if content_type == STRATEGIC:
        return strategic_merge_patch(target, patch)
    return merge_patch(target, patch)
