"""Compare two analyses: routes added, removed and changed, risk flags, findings introduced and fixed.

Routes are matched by identity (namespace, Ingress, host, path), as the controller keys them.
Values are compared in their rendered form with Secret values redacted, so a diff never shows a
secret. Findings are matched by rule, object, field and message (not by line: lines shift).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pomgate.diff.explain import RouteTable
from pomgate.findings import Finding, ObjectRef
from pomgate.pipeline import Analysis
from pomgate.reports.routes import route_config
from pomgate.rules.review_helpers import grants_anyone, is_public
from pomgate.translation.ppl import PolicyError, rules_of
from pomgate.translation.route import Route, RouteKey

#: Route fields that hold who may use the route.
ACCESS_LISTS = ("allowed_users", "allowed_domains", "allowed_idp_claims")

#: Risk kinds, most serious first (the order reports use).
RISK_ORDER = (
    "became_public",
    "policy_removed",
    "policy_widened",
    "host_takeover",
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
    """Something a reviewer must not miss."""

    kind: str
    route: Route
    detail: str

    @property
    def rank(self) -> int:
        return RISK_ORDER.index(self.kind) if self.kind in RISK_ORDER else len(RISK_ORDER)


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

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.introduced or self.fixed)


def compare(base: Analysis, head: Analysis) -> DiffResult:
    """The differences from ``base`` to ``head``."""
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
    risks.sort(key=lambda risk: (risk.rank, risk.route.from_url, risk.route.key.route_id()))
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
    flagged = {(r.route.from_url, r.route.ingress) for r in risks}
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


def route_json(route: Route) -> dict[str, Any]:
    """The diff contract's ROUTE: the render contract's route object plus its Ingress."""
    out = route_config(route)
    out["ingress"] = {"namespace": route.ingress.namespace, "name": route.ingress.name}
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
        "added": [route_json(r) for r in result.added],
        "removed": [route_json(r) for r in result.removed],
        "changed": [
            {"route": route_json(c.after), "before": c.old, "after": c.new, "fields": c.fields} for c in result.changed
        ],
        "risks": [{"kind": r.kind, "route": r.route.key.route_id(), "detail": r.detail} for r in result.risks],
        "findings": {
            "introduced": [f.as_dict() for f in result.introduced],
            "fixed": [f.as_dict() for f in result.fixed],
        },
    }


__all__ = ["DiffResult", "Risk", "RouteChange", "RouteKey", "compare", "diff_json", "route_json"]
