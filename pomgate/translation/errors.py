"""Translation problems with the upstream error chain and where in the Ingress they arise."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

from pomgate.findings import FieldPath, Severity


@dataclass
class Problem:
    """One problem found while translating an Ingress.

    ``chain`` is the controller's event text (``parsing ingress: annotations: ...``); ``detail``
    adds what pomgate knows beyond upstream (a documentation difference, a suggestion).
    Error problems fail the Ingress; warnings and infos do not.
    """

    rule: str
    chain: str
    field: FieldPath = ()
    severity: Severity = Severity.ERROR
    detail: str | None = None
    hint: str | None = None
    related: list[str] = dataclass_field(default_factory=list)
    #: Text inside the annotation value the problem is about (e.g. an unknown policy operator).
    token: str | None = None
    #: What the problem is about, as data for the code that reads findings (e.g. ``missing``: the object
    #: a reference names); copied into the finding's ``extra``.
    facts: dict[str, str] = dataclass_field(default_factory=dict)

    @property
    def message(self) -> str:
        return f"{self.chain} ({self.detail})" if self.detail else self.chain


class TranslationFailure(Exception):
    """Raised inside the translator to stop processing one part of an Ingress."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.chain)
        self.problem = problem
