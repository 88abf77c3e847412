"""Per-object suppressions: annotation `pomgate.io/ignore: "<rule-id>: <reason>"`.

Several suppressions go on separate lines (or are separated by `;`). A reason is required. The
annotation deliberately lives outside the Pomerium prefix, which the controller would reject as
unknown. Suppressions that match no finding are reported, like ruff's unused-noqa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.kube.inventory import Inventory

IGNORE_ANNOTATION = "pomgate.io/ignore"
_ENTRY = re.compile(r"^\s*([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.*-]+)?)\s*(?::\s*(.*?))?\s*$")


@dataclass
class Suppression:
    obj: ObjectRef
    rule: str
    reason: str
    used: bool = False

    def matches(self, finding: Finding) -> bool:
        if finding.obj != self.obj:
            return False
        return finding.rule == self.rule or finding.rule.startswith(self.rule.rstrip("/*") + "/")


def apply_suppressions(findings: list[Finding], inventory: Inventory) -> list[Finding]:
    """Remove suppressed findings; add findings for malformed and unused suppressions."""
    suppressions: list[Suppression] = []
    problems: list[Finding] = []
    for ref, source in inventory.objects.items():
        metadata = source.raw.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        if not isinstance(annotations, dict) or not isinstance(annotations.get(IGNORE_ANNOTATION), str):
            continue
        line = source.line_of(("metadata", "annotations", IGNORE_ANNOTATION))
        for entry in re.split(r"[;\n]", annotations[IGNORE_ANNOTATION]):
            if not entry.strip():
                continue
            match = _ENTRY.match(entry)
            if not match or not match.group(2):
                problems.append(
                    Finding(
                        rule="suppression/invalid",
                        severity=Severity.WARNING,
                        message=f"{IGNORE_ANNOTATION} entry {entry.strip()!r} needs the form '<rule-id>: <reason>' "
                        "(a reason is required); it suppresses nothing",
                        obj=ref,
                        path=source.origin.path,
                        line=line,
                        hint=f'{IGNORE_ANNOTATION}: "routing/duplicate-tcp-host: shared bastion, see TICKET-1"',
                    )
                )
                continue
            suppressions.append(Suppression(ref, match.group(1), match.group(2)))
    kept: list[Finding] = []
    for finding in findings:
        hit = next((s for s in suppressions if s.matches(finding)), None)
        if hit is None:
            kept.append(finding)
        else:
            hit.used = True
    for suppression in suppressions:
        if not suppression.used:
            source = inventory.objects[suppression.obj]
            problems.append(
                Finding(
                    rule="suppression/unused",
                    severity=Severity.WARNING,
                    message=f"{IGNORE_ANNOTATION} for {suppression.rule} matched no finding on {suppression.obj}; "
                    "remove it",
                    obj=suppression.obj,
                    path=source.origin.path,
                    line=source.line_of(("metadata", "annotations", IGNORE_ANNOTATION)),
                )
            )
    return kept + problems
