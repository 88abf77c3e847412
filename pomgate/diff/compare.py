"""Compare two analyses: routes added, removed and changed, risk flags, findings introduced and fixed.

Routes are matched by identity (namespace, Ingress, host, path), as the controller keys them.
Values are compared in their rendered form with Secret values redacted, so a diff never shows a
secret. Findings are matched by rule, object, field and message (not by line: lines shift).

Risks are about routes, except three about the gate itself: a route the configuration's ``hosts:``
forbids (``host_not_allowed``), a configuration change that would loosen the checks
(``config_changed``; the diff itself runs under the base's configuration) and a new
``pomgate.io/ignore`` annotation (``suppression_added``), which hides findings from the diff.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pomgate.config import Config, loosening
from pomgate.diff.explain import RouteTable
from pomgate.findings import Finding, ObjectRef
from pomgate.pipeline import Analysis
from pomgate.reports.routes import route_config
from pomgate.rules.review_helpers import grants_anyone, is_public
from pomgate.rules.routing.cross_namespace_host import host_ownership_violations
from pomgate.suppression import IGNORE_ANNOTATION
from pomgate.translation.ppl import PolicyError, rules_of
from pomgate.translation.route import Route, RouteKey

#: Route fields that hold who may use the route.
ACCESS_LISTS = ("allowed_users", "allowed_domains", "allowed_idp_claims")

#: Risk kinds, most serious first (the order reports use).
RISK_ORDER = (
    "became_public",
    "policy_removed",
    "policy_widened",
    "host_not_allowed",
    "host_takeover",
    "config_changed",
    "suppression_added",
    "tls_skip_verify",
    "identity_headers_off",
    "route_removed",
)


@dataclass
class RouteChange:
    """One route present in both revisions with different settings."""

    before: Route
    after: Route
    fields: list[str]
    old: dict[str, Any]
    new: dict[str, Any]


@dataclass
class Risk:
    """Something a reviewer must not miss (about one route, or None: the configuration, an annotation)."""

    kind: str
    route: Route | None
    detail: str

    @property
    def rank(self) -> int:
        return RISK_ORDER.index(self.kind) if self.kind in RISK_ORDER else len(RISK_ORDER)

    def sort_key(self) -> tuple[int, str, str, str]:
        if self.route is None:
            return (self.rank, "", "", self.detail)
        return (self.rank, self.route.from_url, self.route.key.route_id(), self.detail)


@dataclass
class DiffResult:
    """Everything `pomgate diff` reports."""

    base: Analysis
    head: Analysis
    added: list[Route] = field(default_factory=list)
    removed: list[Route] = field(default_factory=list)
    changed: list[RouteChange] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    introduced: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    #: The environment of each route, change and risk that comes from one (by object id), when the
    #: repository has builds; the plain manifests' items have none.
    labels: dict[int, str] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.introduced or self.fixed)

    def label(self, item: object) -> str:
        """The environment ``item`` (a route, change or risk of this result) belongs to ("" for none)."""
        return self.labels.get(id(item), "")

    def include(self, other: DiffResult, environment: str) -> None:
        """Add the changes of one environment's diff, labelled with its name."""
        self.added.extend(other.added)
        self.removed.extend(other.removed)
        self.changed.extend(other.changed)
        self.risks.extend(other.risks)
        for items in (other.added, other.removed, other.changed, other.risks):
            self.labels.update((id(item), environment) for item in items)
        self.risks.sort(key=Risk.sort_key)
        self.introduced.extend(other.introduced)
        self.fixed.extend(other.fixed)


def compare(
    base: Analysis,
    head: Analysis,
    *,
    host_owners: Mapping[str, Collection[str]] | None = None,
    extra_risks: Sequence[Risk] = (),
) -> DiffResult:
    """The differences from ``base`` to ``head``; ``host_owners`` is the configuration's ``hosts:`` map."""
    result = DiffResult(base, head)
    before = {route.key: route for route in base.translation.routes}
    after = {route.key: route for route in head.translation.routes}
    rendered_before = _LazyRendered(before)
    for key, route in after.items():
        if key not in before:
            result.added.append(route)
            continue
        previous = before[key]
        if previous is route or previous.fields == route.fields:
            continue  # the same route (an unaffected Ingress reuses the base's objects)
        old, new = rendered_before[key], route_config(route)
        names = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
        if names:
            result.changed.append(
                RouteChange(
                    before[key],
                    route,
                    names,
                    {n: old[n] for n in names if n in old},
                    {n: new[n] for n in names if n in new},
                )
            )
    result.removed = [route for key, route in before.items() if key not in after]
    result.risks = _risks(result, base, head)
    result.risks.extend(_host_violations(base, head, host_owners or {}))
    result.risks.extend(_suppressions_added(base, head))
    result.risks.extend(extra_risks)
    result.risks.sort(key=Risk.sort_key)
    result.introduced, result.fixed = _finding_changes(base.findings, head.findings)
    return result


class _LazyRendered(dict[RouteKey, dict[str, Any]]):
    """route_config of the base routes, rendered only for the keys looked up."""

    def __init__(self, routes: dict[RouteKey, Route]) -> None:
        super().__init__()
        self.routes = routes

    def __missing__(self, key: RouteKey) -> dict[str, Any]:
        rendered = self[key] = route_config(self.routes[key])
        return rendered


# ---------------------------------------------------------------- risks


def _risks(result: DiffResult, base: Analysis, head: Analysis) -> list[Risk]:
    risks: list[Risk] = []
    for route in result.added:
        if is_public(route.fields):
            risks.append(Risk("became_public", route, f"new route {_where(route)} admits requests without sign-in"))
        if route.fields.get("tls_skip_verify") is True:
            risks.append(Risk("tls_skip_verify", route, f"new route {_where(route)} does not verify its upstream"))
    for change in result.changed:
        old, new, route = change.before.fields, change.after.fields, change.after
        if is_public(new) and not is_public(old):
            risks.append(Risk("became_public", route, f"{_where(route)} now admits requests without sign-in"))
        elif not is_public(new):
            if _has_policy(old) and not _has_policy(new):
                risks.append(Risk("policy_removed", route, f"{_where(route)} lost its access policy"))
            else:
                widened = _widening(old, new)
                if widened:
                    risks.append(Risk("policy_widened", route, f"{_where(route)}: {widened}"))
        if new.get("tls_skip_verify") is True and old.get("tls_skip_verify") is not True:
            risks.append(
                Risk("tls_skip_verify", route, f"{_where(route)} stopped verifying its upstream's certificate")
            )
        if old.get("pass_identity_headers") is True and new.get("pass_identity_headers") is not True:
            risks.append(
                Risk("identity_headers_off", route, f"{_where(route)} no longer passes identity headers upstream")
            )
    for route in result.removed:
        risks.append(Risk("route_removed", route, f"{_where(route)} is removed"))
    risks.extend(_takeovers(base, head))
    return risks


def _where(route: Route) -> str:
    for kind in ("path", "prefix", "regex"):
        value = route.match_value(kind)
        if value:
            return f"{route.from_url} {kind} {value} (Ingress {route.ingress.namespace}/{route.ingress.name})"
    return f"{route.from_url} (Ingress {route.ingress.namespace}/{route.ingress.name})"


def _match(route: Route) -> str:
    for kind in ("path", "prefix", "regex"):
        value = route.match_value(kind)
        if value:
            return f"{kind} {value}"
    return "for every path"


def _has_policy(fields: dict[str, Any]) -> bool:
    return fields.get("policy") is not None or any(fields.get(name) for name in ACCESS_LISTS)


def _allow_conditionals(policy: Any) -> list[tuple[str, frozenset[str]]] | None:
    """(operator, criteria texts) of each allow conditional of a PPL policy; None when unreadable."""
    import json

    try:
        rules = rules_of(policy)
    except (PolicyError, TypeError, ValueError):
        return None
    return [
        (
            conditional.operator,
            frozenset(json.dumps([c.key, c.data], sort_keys=True, default=str) for c in conditional.criteria),
        )
        for rule in rules
        if rule.action == "allow"
        for conditional in rule.conditionals
        if conditional.criteria
    ]


def _policy_widening(old_policy: Any, new_policy: Any) -> str:
    """Heuristic: an `or` conditional that gained criteria, or more allow conditionals than before."""
    before = _allow_conditionals(old_policy) if old_policy is not None else []
    now = _allow_conditionals(new_policy)
    if before is None or now is None:
        return ""
    for operator, criteria in now:
        if (operator, criteria) in before:
            continue
        if operator == "or" and any(op == "or" and old < criteria for op, old in before):
            return "an `or` of the policy accepts more criteria"
    if len(now) > len(before):
        return "the policy has more allow conditions"
    return ""


def _widening(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Why ``new`` admits more than ``old`` (empty when it does not, as far as can be told)."""
    reasons = []
    if new.get("allow_any_authenticated_user") is True and old.get("allow_any_authenticated_user") is not True:
        reasons.append("allow_any_authenticated_user turned on")
    for name in ACCESS_LISTS:
        gained = _entries(new.get(name)) - _entries(old.get(name))
        if gained:
            reasons.append(f"{name} gained {', '.join(sorted(gained))}")
    if not grants_anyone(old) and grants_anyone(new):
        reasons.append("the route admitted nobody before")
    old_policy, new_policy = old.get("policy"), new.get("policy")
    if new_policy is not None and new_policy != old_policy:
        reason = _policy_widening(old_policy, new_policy)
        if reason:
            reasons.append(reason)
    return "; ".join(reasons)


def _entries(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(item) for item in value}
    if isinstance(value, dict):
        return {f"{key}={item}" for key, item in value.items()}
    return set()


def _probe_url(route: Route) -> str | None:
    """A URL the route answers (its exact path or prefix), or None (regex, non-HTTP, wildcard host)."""
    if not route.from_url.startswith("https://") or "*" in route.from_url:
        return None
    if route.match_value("regex"):
        return None
    path = route.match_value("path") or route.match_value("prefix") or "/"
    return route.from_url + (path if path.startswith("/") else "/" + path)


def _takeovers(base: Analysis, head: Analysis) -> list[Risk]:
    """A host served (for some path) by a different Ingress than before, or by one more Ingress."""

    def servers(analysis: Analysis) -> dict[str, set[ObjectRef]]:
        out: dict[str, set[ObjectRef]] = {}
        for route in analysis.translation.routes:
            out.setdefault(route.from_url, set()).add(route.ingress)
        return out

    risks = []
    # Probe each base route's own path against the head routes with `explain`'s resolution (the host
    # group, then the first match in Pomerium's order): another Ingress answering it is a takeover.
    head_table, base_table = RouteTable(head.translation.routes), RouteTable(base.translation.routes)

    signatures: dict[tuple[int, str | None], list[tuple[Any, ...]]] = {}

    def signature(table: RouteTable, pattern: str | None) -> list[tuple[Any, ...]]:
        cache_key = (id(table), pattern)
        found = signatures.get(cache_key)
        if found is None:
            group = table.groups.get(pattern, []) if pattern else []
            found = signatures[cache_key] = [
                (r.key, r.ingress, r.from_url, r.match_value("path"), r.match_value("prefix"), r.match_value("regex"))
                for r in group
            ]
        return found

    hosts: dict[str, str] = {}
    for before in base.translation.routes:
        url = _probe_url(before)
        if url is None:
            continue
        host = hosts.get(before.from_url)
        if host is None:
            host = hosts[before.from_url] = (urlsplit(url).hostname or "").lower()
        head_group, base_group = head_table.group_for(host), base_table.group_for(host)
        if head_group == base_group and signature(head_table, head_group) == signature(base_table, base_group):
            continue  # this host's routes did not change: nobody took anything over
        found = head_table.resolve(url)
        winner = found.winner
        if winner is not None and winner.ingress != before.ingress:
            risks.append(
                Risk(
                    "host_takeover",
                    winner,
                    f"{url} is now served by Ingress {winner.ingress.namespace}/{winner.ingress.name} "
                    f"(its route {_match(winner)}), not by Ingress {before.ingress.namespace}/{before.ingress.name} "
                    "as before",
                )
            )
    old_servers = servers(base)
    flagged = {(r.route.from_url, r.route.ingress) for r in risks if r.route is not None}
    for route in head.translation.routes:
        served_by = old_servers.get(route.from_url)
        if served_by and route.ingress not in served_by and (route.from_url, route.ingress) not in flagged:
            flagged.add((route.from_url, route.ingress))
            owners = ", ".join(sorted(f"{ref.namespace}/{ref.name}" for ref in served_by))
            risks.append(
                Risk(
                    "host_takeover",
                    route,
                    f"Ingress {route.ingress.namespace}/{route.ingress.name} starts routing {route.from_url}, "
                    f"which Ingress {owners} served",
                )
            )
    return risks


def _host_violations(base: Analysis, head: Analysis, owners: Mapping[str, Collection[str]]) -> list[Risk]:
    """Routes the ``hosts:`` map forbids that the base did not have (one per Ingress and host)."""
    if not owners:
        return []
    before = {violation.route.key for violation in host_ownership_violations(base.translation.routes, owners)}
    risks = []
    seen: set[tuple[ObjectRef, str]] = set()
    for violation in host_ownership_violations(head.translation.routes, owners):
        key = (violation.route.ingress, violation.host)
        if violation.route.key in before or key in seen:
            continue
        seen.add(key)
        risks.append(Risk("host_not_allowed", violation.route, violation.message))
    return risks


def _suppression_entries(analysis: Analysis) -> dict[ObjectRef, dict[str, str]]:
    """The well-formed ``pomgate.io/ignore`` entries of each object: rule id -> the entry (whitespace normalised)."""
    out: dict[ObjectRef, dict[str, str]] = {}
    for ref, source in analysis.inventory.objects.items():
        metadata = source.raw.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        value = annotations.get(IGNORE_ANNOTATION) if isinstance(annotations, dict) else None
        if not isinstance(value, str):
            continue
        for entry in re.split(r"[;\n]", value):
            rule, colon, reason = entry.partition(":")
            if rule.strip() and colon and reason.strip():  # (one without a reason suppresses nothing)
                out.setdefault(ref, {})[rule.strip()] = " ".join(entry.split())
    return out


def _suppressions_added(base: Analysis, head: Analysis) -> list[Risk]:
    """A rule suppressed on an object in the head and not in the base: its findings vanish from the diff."""
    before = _suppression_entries(base)
    risks = []
    for ref, entries in _suppression_entries(head).items():
        for rule, entry in sorted(entries.items()):
            if rule in before.get(ref, {}):
                continue  # a reworded reason is not a new suppression
            shown = entry if len(entry) <= 120 else entry[:117] + "..."
            risks.append(
                Risk(
                    "suppression_added",
                    None,
                    f"{ref} adds {IGNORE_ANNOTATION} {shown!r}: its findings of that rule no longer show or fail",
                )
            )
    return risks


def config_risk(base: Config, head: Config | None, problem: str | None, paths: Iterable[str]) -> Risk | None:
    """``config_changed`` when the head's configuration would check less than the base's (or is unusable)."""
    if head is None:
        return None if problem is None else Risk("config_changed", None, f"the configuration is unusable: {problem}")
    from pomgate.rules import all_rules

    catalog = {rule_id: rule.severity for rule_id, rule in all_rules().items()}
    loosened = loosening(base, head, rules=catalog, paths=set(paths))
    if not loosened:
        return None
    if head.path is None:
        change = f"removing {base.path}"
    elif base.path is None:
        change = f"adding {head.path}"
    else:
        change = f"the change to {head.path}"
    return Risk(
        "config_changed",
        None,
        f"{change} would loosen the checks: {'; '.join(loosened)} (this diff is judged by the base revision's "
        "configuration)",
    )


# ---------------------------------------------------------------- findings


def _finding_key(finding: Finding) -> tuple[Any, ...]:
    return (finding.rule, finding.obj, finding.path if finding.obj is None else None, finding.field, finding.message)


def _finding_changes(before: list[Finding], after: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(introduced, fixed): findings of ``after`` not in ``before`` and the reverse (as multisets)."""
    old = Counter(_finding_key(f) for f in before)
    new = Counter(_finding_key(f) for f in after)
    introduced, fixed = [], []
    seen: Counter[tuple[Any, ...]] = Counter()
    for finding in after:
        key = _finding_key(finding)
        seen[key] += 1
        if seen[key] > old[key]:
            introduced.append(finding)
    seen.clear()
    for finding in before:
        key = _finding_key(finding)
        seen[key] += 1
        if seen[key] > new[key]:
            fixed.append(finding)
    return introduced, fixed


def route_json(route: Route, environment: str = "") -> dict[str, Any]:
    """The diff contract's ROUTE: the render contract's route object plus its Ingress (and environment)."""
    out = route_config(route)
    out["ingress"] = {"namespace": route.ingress.namespace, "name": route.ingress.name}
    if environment:
        out["environment"] = environment
    return out


def summary_counts(result: DiffResult) -> dict[str, int]:
    """Counts for the headline, the job outputs and the comment's summary table."""
    return {
        "added": len(result.added),
        "removed": len(result.removed),
        "changed": len(result.changed),
        "risks": len(result.risks),
        "introduced": len(result.introduced),
        "fixed": len(result.fixed),
    }


def diff_json(result: DiffResult) -> dict[str, Any]:
    """The JSON contract of `pomgate diff --format json`."""
    return {
        "summary": summary_counts(result),
        "added": [route_json(r, result.label(r)) for r in result.added],
        "removed": [route_json(r, result.label(r)) for r in result.removed],
        "changed": [
            {"route": route_json(c.after, result.label(c)), "before": c.old, "after": c.new, "fields": c.fields}
            for c in result.changed
        ],
        "risks": [_risk_json(r, result.label(r)) for r in result.risks],
        "findings": {
            "introduced": [f.as_dict() for f in result.introduced],
            "fixed": [f.as_dict() for f in result.fixed],
        },
    }


def _risk_json(risk: Risk, environment: str) -> dict[str, Any]:
    out = {"kind": risk.kind, "route": risk.route.key.route_id() if risk.route else "", "detail": risk.detail}
    if environment:
        out["environment"] = environment
    return out


__all__ = ["DiffResult", "Risk", "RouteChange", "RouteKey", "compare", "diff_json", "route_json"]
