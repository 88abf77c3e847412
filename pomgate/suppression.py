"""Per-object suppressions: annotation `pomgate.io/ignore: "<rule-id>: <reason>"`.

Several suppressions go on separate lines (or are separated by `;`). A reason is required. The
annotation deliberately lives outside the Pomerium prefix, which the controller would reject as
unknown. Suppressions that match no finding are reported, like ruff's unused-noqa; one that names
no rule or family of the catalog is an error with the nearest names (it could never match).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pomgate.config import nearest_rule_names, rule_name_problem
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
            rule, reason = match.group(1), match.group(2)
            problem = rule_name_problem(rule)
            if problem is not None:
                problems.append(_unknown_rule(ref, source.origin.path, line, rule, reason, problem))
                continue
            suppressions.append(Suppression(ref, rule, reason))
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


def _unknown_rule(ref: ObjectRef, path: str, line: int | None, rule: str, reason: str, problem: str) -> Finding:
    """The error for an entry naming no rule: it would silence nothing, and nobody would notice."""
    candidates = nearest_rule_names(rule)
    return Finding(
        rule="suppression/unknown-rule",
        severity=Severity.ERROR,
        message=f"{IGNORE_ANNOTATION}: {problem}{' ' if problem.endswith('?') else '. '}The entry suppresses "
        "nothing (`pomgate rules` lists the rules)",
        obj=ref,
        path=path,
        line=line,
        hint=f'{IGNORE_ANNOTATION}: "{candidates[0]}: {reason}"' if candidates else None,
    )
