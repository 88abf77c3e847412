"""Rule metadata, the context rule checks see, and the registry."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, cached_property

from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.kube.inventory import Inventory, Typed
from pomgate.kube.models import Ingress
from pomgate.translation.options import TranslateOptions
from pomgate.translation.route import TranslationResult


@dataclass(frozen=True)
class RuleContext:
    """What a rule check may look at: the typed inventory and the translation result."""

    inventory: Inventory
    translation: TranslationResult
    options: TranslateOptions

    @cached_property
    def ingresses_by_ref(self) -> dict[ObjectRef, Typed[Ingress]]:
        """The input's Ingresses by reference (built once for all rules)."""
        return {typed.ref: typed for typed in self.inventory.ingresses}


Check = Callable[[RuleContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One rule: stable id (family/name), default severity, explanation and a bad/good example."""

    id: str
    severity: Severity
    summary: str
    explanation: str
    bad: str
    good: str
    check: Check | None = None

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule of the catalog by id (modules under pomgate/rules/<family>/ define ``RULE``)."""
    import pomgate.rules as package

    rules: dict[str, Rule] = {}
    for info in pkgutil.walk_packages(package.__path__, prefix="pomgate.rules."):
        if info.ispkg or info.name.endswith((".base", ".__init__")):
            continue
        module = importlib.import_module(info.name)
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            if rule.id in rules:
                raise RuntimeError(f"rule id {rule.id} defined twice ({info.name})")
            rules[rule.id] = rule
    return dict(sorted(rules.items()))


def get_rule(rule_id: str) -> Rule | None:
    return all_rules().get(rule_id)


def run_checks(context: RuleContext) -> list[Finding]:
    """Run every rule that has a check; return their findings (lines filled from origins)."""
    from pomgate.translation.translator import locate

    findings: list[Finding] = []
    for rule in all_rules().values():
        if rule.check is None:
            continue
        for finding in rule.check(context):
            locate(finding, context.inventory)
            findings.append(finding)
    return findings
