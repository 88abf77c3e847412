"""Rule metadata, the context rule checks see, and the registry."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property

from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.kube.inventory import Inventory, Typed
from pomgate.kube.models import Ingress
from pomgate.parallel import ForkedCall
from pomgate.translation.annotation_table import Version
from pomgate.translation.options import TranslateOptions
from pomgate.translation.route import TranslationResult


@dataclass(frozen=True)
class RuleContext:
    """What a rule check may look at: the typed inventory, the translation result and the host owners map."""

    inventory: Inventory
    translation: TranslationResult
    options: TranslateOptions
    #: the configuration's ``hosts:`` (host pattern -> namespaces allowed to serve it)
    host_owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: the configuration's ``controller-version:`` (None: the newest upstream release pomgate knows)
    controller_version: Version | None = None

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


#: Below this many Ingresses the rules run in this process (a second one costs more than it saves).
PARALLEL_MINIMUM_INGRESSES = 400


def run_checks(context: RuleContext) -> list[Finding]:
    """Run every rule that has a check; return their findings (lines filled from origins), in rule order.

    On a large input every other rule runs in a forked second process (`pomgate.parallel`); the
    findings are the same, in the same order, either way.
    """
    rules = [rule for rule in all_rules().values() if rule.check is not None]
    parallel = len(context.inventory.ingresses) >= PARALLEL_MINIMUM_INGRESSES
    theirs = ForkedCall(lambda: _check_each(rules[1::2], context), enabled=parallel)
    per_rule: list[list[Finding]] = [[] for _ in rules]
    per_rule[0::2] = _check_each(rules[0::2], context)
    per_rule[1::2] = theirs.result()  # (computed here when there is no second process)
    return [finding for found in per_rule for finding in found]


def _check_each(rules: Iterable[Rule], context: RuleContext) -> list[list[Finding]]:
    from pomgate.translation.translator import locate

    out: list[list[Finding]] = []
    for rule in rules:
        assert rule.check is not None
        found = list(rule.check(context))
        for finding in found:
            locate(finding, context.inventory)
        out.append(found)
    return out
