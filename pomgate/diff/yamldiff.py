"""A changed list or mapping (a policy, allowed_users, headers) as a unified diff of its YAML."""

from __future__ import annotations

import difflib
from typing import Any

import yaml


def is_structured(value: Any) -> bool:
    """Whether a field value reads better as YAML lines than as one JSON line."""
    return isinstance(value, (dict, list))


def _yaml_lines(name: str, value: Any, present: bool) -> list[str]:
    if not present:
        return []
    text = yaml.safe_dump({name: value}, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    return text.splitlines()


def yaml_diff(name: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The lines of ``name`` before and after, as YAML, each prefixed with ``-``, ``+`` or a space."""
    old = _yaml_lines(name, before.get(name), name in before)
    new = _yaml_lines(name, after.get(name), name in after)
    lines = []
    for line in difflib.ndiff(old, new):
        if line.startswith(("- ", "+ ", "  ")):
            lines.append(line[0] + line[2:])
    return lines
