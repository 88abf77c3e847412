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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pomgate.config import Config, loosening
from pomgate.diff.access import AccessClass, compare_access
from pomgate.diff.explain import RouteTable
from pomgate.findings import Finding, ObjectRef
from pomgate.pipeline import Analysis
from pomgate.reports.routes import route_config
from pomgate.rules.routing.cross_namespace_host import host_ownership_violations
from pomgate.suppression import IGNORE_ANNOTATION
from pomgate.translation.evaluation import route_rules
from pomgate.translation.ppl import PolicyError
from pomgate.translation.route import Route, RouteKey

if TYPE_CHECKING:
    from pomgate.access.changes import AccessTestChange

#: Route fields that hold who may use the route.
ACCESS_LISTS = ("allowed_users", "allowed_domains", "allowed_idp_claims")

#: Route fields that decide who gets in (they make the policy Pomerium evaluates).
ACCESS_FIELDS = (
    "policy",
    "allow_public_unauthenticated_access",
    "allow_any_authenticated_user",
    "cors_allow_preflight",
    *ACCESS_LISTS,
)

#: Risk kinds, most serious first (the order reports use).
RISK_ORDER = (
    "became_public",
    "access_widened",
    "deny_removed",
    "policy_removed",
    "host_not_allowed",
    "host_takeover",
    "config_changed",
    "suppression_added",
    "tls_skip_verify",
    "identity_headers_off",
    "route_removed",
    "access_narrowed",
)
#: Kinds that inform and do not make a change risky.
INFORMATIONAL = frozenset({"access_narrowed"})


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
    #: The classes of identities and requests concerned (access risks), as JSON data.
    classes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def informational(self) -> bool:
        return self.kind in INFORMATIONAL

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
    #: Each included environment's own two sides: (name, base, head).
    environment_sides: list[tuple[str, Analysis, Analysis]] = field(default_factory=list)
    #: Access tests whose result differs between the sides (`pomgate.access.changes`).
    access_tests: list[AccessTestChange] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.introduced or self.fixed or self.access_tests)

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
        self.environment_sides.append((environment, other.base, other.head))


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
        risks.extend(_access_risks(route, {}, route.fields, new_route=True))
        if route.fields.get("tls_skip_verify") is True:
            risks.append(Risk("tls_skip_verify", route, f"new route {_where(route)} does not verify its upstream"))
    for change in result.changed:
        old, new, route = change.before.fields, change.after.fields, change.after
        risks.extend(_access_risks(route, old, new))
        if new.get("tls_skip_verify") is True and old.get("tls_skip_verify") is not True:
            risks.append(
                Risk("tls_skip_verify", route, f"{_where(route)} stopped verifying its upstream's certificate")
            )
        if old.get("pass_identity_headers") is True and new.get("pass_identity_headers") is not True:
            risks.append(
                Risk("identity_headers_off", route, f"{_where(route)} no longer passes identity headers upstream")
            )
    failing = {outcome.ingress: outcome.error for outcome in head.translation.failed}
    for route in result.removed:
        error = failing.get(route.ingress)
        if error is None:
            risks.append(Risk("route_removed", route, f"{_where(route)} is removed"))
            continue
        finding = _failure_finding(head, route.ingress)
        where = f" (see {finding.path}:{finding.line}, {finding.rule})" if finding and finding.path else ""
        risks.append(
            Risk(
                "route_removed",
                route,
                f"{_where(route)} is removed because its Ingress now fails translation: {error}{where}",
            )
        )
    risks.extend(_takeovers(base, head))
    return risks


def _failure_finding(analysis: Analysis, ingress: ObjectRef) -> Finding | None:
    """The error finding that fails ``ingress``'s translation (the first one, in report order)."""
    return next((f for f in analysis.findings if f.obj == ingress and f.severity.value == "error"), None)


def _classes_words(classes: Sequence[AccessClass], limit: int = 6) -> str:
    shown = [item.words for item in classes[:limit]]
    more = len(classes) - limit
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _access_risks(route: Route, old: dict[str, Any], new: dict[str, Any], *, new_route: bool = False) -> list[Risk]:
    """became_public, access_widened, deny_removed, policy_removed and access_narrowed, from both policies."""
    if not new_route and all(old.get(name) == new.get(name) for name in ACCESS_FIELDS):
        return []
    try:
        change = compare_access(route_rules(old), route_rules(new))
    except (PolicyError, TypeError, ValueError):
        return []  # an unreadable policy fails its Ingress: the finding says so
    where = _where(route)
    partial = (
        " (the policies name more cases than pomgate compares; the list may be incomplete)" if change.partial else ""
    )
    risks = []
    if new_route:
        public = [item for item in change.gained if item.data.get("signed_in") is not True]
        if public:
            words = _classes_words(public)
            risks.append(
                Risk("became_public", route, f"new route {where} admits {words} without sign-in", _data(public))
            )
        return risks
    if change.became_public:
        risks.append(
            Risk(
                "became_public",
                route,
                f"{where} now admits {_classes_words(change.gained)}{partial}",
                _data(change.gained),
            )
        )
    elif change.gained:
        risks.append(
            Risk(
                "access_widened",
                route,
                f"{where} now also admits {_classes_words(change.gained)}{partial}",
                _data(change.gained),
            )
        )
    if change.deny_removed:
        risks.append(
            Risk(
                "deny_removed",
                route,
                f"{where} lost its deny rule(s): {'; '.join(change.deny_removed)}",
                _data(change.gained),
            )
        )
    if change.admits_nobody:
        risks.append(
            Risk(
                "policy_removed",
                route,
                f"{where} now admits nobody (before: {_classes_words(change.lost)})",
                _data(change.lost),
            )
        )
    elif change.lost:
        risks.append(
            Risk(
                "access_narrowed",
                route,
                f"{where} no longer admits {_classes_words(change.lost)}{partial}",
                _data(change.lost),
            )
        )
    return risks


def _data(classes: Sequence[AccessClass]) -> list[dict[str, Any]]:
    return [item.as_dict() for item in classes]


def _where(route: Route) -> str:
    match = f"{route.from_url} {route.match_text()}".rstrip()
    return f"{match} (Ingress {route.ingress.namespace}/{route.ingress.name})"


def _match(route: Route) -> str:
    return route.match_text() or "for every path"


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
            probe = _probe_url(route)
            if probe is not None and head_table.resolve(probe).winner is not route:
                continue  # it never receives a request (routing/shadowed-route says so): nothing is taken over
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
        "version": 1,
        "summary": summary_counts(result),
        "added": [route_json(r, result.label(r)) for r in result.added],
        "removed": [route_json(r, result.label(r)) for r in result.removed],
        "changed": [
            {"route": route_json(c.after, result.label(c)), "before": c.old, "after": c.new, "fields": c.fields}
            for c in result.changed
        ],
        "risks": [_risk_json(r, result.label(r)) for r in result.risks],
        "access_tests": [change.as_dict() for change in result.access_tests],
        "findings": {
            "introduced": [f.as_dict() for f in result.introduced],
            "fixed": [f.as_dict() for f in result.fixed],
        },
    }


def _risk_json(risk: Risk, environment: str) -> dict[str, Any]:
    """A risk in the diff contract: its ``route`` is the route's identity as an object (null: about no one route)."""
    route: dict[str, Any] | None = None
    if risk.route is not None:
        key = risk.route.key
        route = {
            "from": risk.route.from_url,
            "ingress": {"namespace": key.namespace, "name": key.ingress},
            "host": key.host,
            "path": key.path,
        }
    out: dict[str, Any] = {"kind": risk.kind, "route": route, "detail": risk.detail}
    if risk.classes:
        out["classes"] = risk.classes
    if risk.informational:
        out["informational"] = True
    if environment:
        out["environment"] = environment
    return out


__all__ = ["DiffResult", "Risk", "RouteChange", "RouteKey", "compare", "diff_json", "route_json"]
