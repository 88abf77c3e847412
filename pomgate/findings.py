"""Findings: what every part of pomgate reports about the input.

A finding names a rule id, a severity, a message and where it applies: an object (kind, namespace,
name) and, when known, a file and line. Parts that do not know lines (the translator) give a *field
path* inside the object instead; the line is resolved later from the object's origin.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

FieldPath = tuple[str | int, ...]

#: The rule reference shipped in the repository; every rule has an anchor there.
DOCS_PAGE = "docs/rules.md"


def docs_anchor(rule_id: str) -> str:
    """Where a rule is documented: ``docs/rules.md#family-name``."""
    return f"{DOCS_PAGE}#{rule_id.replace('/', '-')}"


class Severity(enum.StrEnum):
    """How bad a finding is; ordered info < warning < error."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __str__(self) -> str:
        return self.value


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True, order=True)
class ObjectRef:
    """A Kubernetes object by kind, namespace and name."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass
class Finding:
    """One problem (or notice) about the input."""

    rule: str
    severity: Severity
    message: str
    obj: ObjectRef | None = None
    path: str | None = None
    line: int | None = None
    column: int | None = None
    field: FieldPath = ()
    hint: str | None = None
    extra: dict[str, Any] = dataclass_field(default_factory=dict)
    #: The environments (kustomize roots, charts, "plain") the finding holds in, when the input has builds.
    environments: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract form of the finding."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "object": self.obj.as_dict() if self.obj else None,
        }
        if self.column is not None:
            out["column"] = self.column
        if self.hint:
            out["hint"] = self.hint
        if self.environments:
            out["environments"] = list(self.environments)
        out["docs"] = f"pomgate rules {self.rule}"
        return out

    @property
    def text(self) -> str:
        """The message, and the environments it holds in when the input has builds (for one-line formats)."""
        if not self.environments:
            return self.message
        return f"{self.message} [environments: {', '.join(self.environments)}]"

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path or "", self.line or 0, -self.severity.rank, self.rule, self.message)
