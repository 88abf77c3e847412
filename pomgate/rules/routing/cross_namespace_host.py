"""routing/cross-namespace-host: a host served by Ingresses of two namespaces, or by a namespace not allowed to.

Host patterns match the way Pomerium picks a route group for a request (`most_specific_pattern`):
the exact host, else the longest wildcard over it, else the catch-all ``*``. Two routes share a
host when some request host is matched by both patterns: equal hosts, a host under a wildcard,
nested wildcards. The check indexes routes by host pattern and parent domain, so it is linear in
the number of routes (times the labels of a host), never pairwise.

`host_ownership_violations` is the pure function a controller can call on translated routes with
the ``hosts:`` map of the configuration.
"""

from __future__ import annotations

from collections.abc import Collection, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass

from pomgate.findings import FieldPath, Finding, ObjectRef, Severity
from pomgate.kube.inventory import Inventory
from pomgate.rules.base import Rule, RuleContext
from pomgate.translation.route import Route, host_of_url

#: How many other Ingresses a message names before "and N more".
_NAMED = 3


def most_specific_pattern(host: str, patterns: Container[str]) -> str | None:
    """The pattern of ``patterns`` deciding ``host``: the host itself, the longest ``*.`` wildcard over it, or ``*``.

    This is how Pomerium picks the route group of a request. A wildcard host (``*.a.example.com``)
    is decided by itself or a wildcard over its domain (``*.example.com``).
    """
    if host in patterns:
        return host
    labels = host.split(".")
    for index in range(1, len(labels)):
        pattern = "*." + ".".join(labels[index:])
        if pattern in patterns:
            return pattern
    return "*" if "*" in patterns else None


def route_host(route: Route) -> str | None:
    """The host pattern a route serves, lower-cased (``app.example.com``, ``*.example.com``, ``*``)."""
    return host_of_url(route.from_url)


class HostOwners:
    """The ``hosts:`` map of the configuration: host pattern -> namespaces allowed to serve it."""

    def __init__(self, owners: Mapping[str, Collection[str]]) -> None:
        self.owners: dict[str, tuple[str, ...]] = {pattern.lower(): tuple(ns) for pattern, ns in owners.items()}

    def __bool__(self) -> bool:
        return bool(self.owners)

    def entry_for(self, host: str) -> str | None:
        """The pattern of the map that decides ``host`` (None: the map does not restrict it)."""
        return most_specific_pattern(host.lower(), self.owners) if self.owners else None

    def allowed(self, host: str) -> tuple[str, ...] | None:
        """The namespaces allowed to serve ``host``, or None when any namespace may."""
        entry = self.entry_for(host)
        return None if entry is None else self.owners[entry]


@dataclass(frozen=True)
class HostViolation:
    """A route on a host the ``hosts:`` map reserves for other namespaces."""

    route: Route
    host: str  # the route's host pattern
    entry: str  # the map's pattern that decides it
    allowed: tuple[str, ...]

    @property
    def message(self) -> str:
        ref = self.route.ingress
        entry = "" if self.entry == self.host else f" (entry {self.entry})"
        return (
            f"Ingress {ref.namespace}/{ref.name} serves {self.host} from namespace {ref.namespace}, but the "
            f"configuration's hosts: reserves it{entry} for namespace(s) {', '.join(self.allowed)}"
        )


def host_ownership_violations(
    routes: Iterable[Route], owners: HostOwners | Mapping[str, Collection[str]]
) -> list[HostViolation]:
    """Each route whose host the map decides and whose Ingress's namespace is not among the allowed ones.

    Pure: no I/O, no configuration file. ``owners`` maps host patterns (``app.example.com``,
    ``*.example.com``, ``*``) to namespaces, as `pomgate.config.Config.hosts` holds them. The
    result is in the order of ``routes``, one entry per route (an Ingress may have several).
    """
    table = owners if isinstance(owners, HostOwners) else HostOwners(owners)
    if not table:
        return []
    found = []
    for route in routes:
        host = route_host(route)
        if host is None:
            continue
        entry = table.entry_for(host)
        if entry is not None and route.ingress.namespace not in table.owners[entry]:
            found.append(HostViolation(route, host, entry, table.owners[entry]))
    return found


def ownership_findings(
    routes: Iterable[Route], owners: Mapping[str, Collection[str]], inventory: Inventory
) -> list[Finding]:
    """Errors for `host_ownership_violations`, one per Ingress and host, located in the manifests.

    The pipeline adds them after per-object suppressions: only the configuration that declares
    the owners can allow a namespace, not an annotation on the offending Ingress.
    """
    from pomgate.translation.translator import locate

    findings: list[Finding] = []
    reported: set[tuple[ObjectRef, str]] = set()
    for violation in host_ownership_violations(routes, owners):
        key = (violation.route.ingress, violation.host)
        if key in reported:
            continue
        reported.add(key)
        finding = Finding(
            rule=RULE.id,
            severity=Severity.ERROR,
            message=violation.message,
            obj=violation.route.ingress,
            field=_host_field(violation.route),
            hint=f"serve {violation.host} from namespace {', '.join(violation.allowed)}, or add "
            f"{violation.route.ingress.namespace} to hosts: {violation.entry} (a reviewed change to the configuration)",
        )
        locate(finding, inventory)
        findings.append(finding)
    return findings


def _host_field(route: Route) -> FieldPath:
    if route.rule_index is not None:
        return ("spec", "rules", route.rule_index, "host")
    return ("spec", "tls")


def _parents(domain: str) -> list[str]:
    """``a.b.c`` -> ``["b.c", "c"]``: the domains a wildcard over which matches ``domain``."""
    labels = domain.split(".")
    return [".".join(labels[index:]) for index in range(1, len(labels))]


@dataclass
class HostClaim:
    """The first route of one Ingress on one host pattern."""

    route: Route
    host: str
    namespace: str


def _claims(routes: Iterable[Route], owners: HostOwners) -> list[HostClaim]:
    """One claim per (Ingress, host pattern), in route order; catch-alls and hosts the map decides left out."""
    claims: list[HostClaim] = []
    seen: set[tuple[str, str, str]] = set()
    hosts: dict[str, str | None] = {}  # from URL -> host pattern (an Ingress's routes share a few URLs)
    for route in routes:
        url = route.from_url
        host = hosts[url] if url in hosts else hosts.setdefault(url, host_of_url(url))
        if host is None or host == "*":
            continue  # a catch-all only answers hosts nobody else claims
        key = (route.key.namespace, route.key.ingress, host)
        if key in seen:
            continue
        seen.add(key)
        if not owners or owners.entry_for(host) is None:
            claims.append(HostClaim(route, host, route.key.namespace))
    return claims


def overlapping_claims(routes: Iterable[Route], owners: HostOwners) -> Iterator[tuple[HostClaim, list[HostClaim]]]:
    """Each claim with the claims of other namespaces whose host patterns overlap it (first per namespace)."""
    claims = _claims(routes, owners)
    by_host: dict[str, dict[str, HostClaim]] = {}  # pattern -> namespace -> first claim
    for claim in claims:
        by_host.setdefault(claim.host, {}).setdefault(claim.namespace, claim)
    wildcards = any(host.startswith("*.") for host in by_host)
    if not wildcards and all(len(namespaces) < 2 for namespaces in by_host.values()):
        return  # no host in two namespaces and no wildcard: nothing overlaps
    below: dict[str, dict[str, HostClaim]] = {}  # domain -> namespace -> first claim strictly under it
    if wildcards:
        for claim in claims:
            for parent in _parents(claim.host.removeprefix("*.")):
                below.setdefault(parent, {}).setdefault(claim.namespace, claim)
    for claim in claims:
        domain = claim.host.removeprefix("*.")
        groups = [by_host.get(claim.host)]
        if wildcards:
            groups += [by_host.get("*." + parent) for parent in _parents(domain)]
            if claim.host.startswith("*."):
                groups.append(below.get(domain))
        others: dict[str, HostClaim] = {}
        for group in groups:
            for namespace, other in (group or {}).items():
                if namespace != claim.namespace:
                    others.setdefault(namespace, other)
        if others:
            yield claim, list(others.values())


def check(context: RuleContext) -> Iterator[Finding]:
    """Warn on each Ingress whose host another namespace's Ingress also serves (hosts the map decides excepted)."""
    for claim, others in overlapping_claims(context.translation.routes, HostOwners(context.host_owners)):
        named = ", ".join(
            f"Ingress {o.namespace}/{o.route.ingress.name}" + ("" if o.host == claim.host else f" ({o.host})")
            for o in others[:_NAMED]
        )
        more = f" and {len(others) - _NAMED} more" if len(others) > _NAMED else ""
        namespaces = sorted({claim.namespace, *(o.namespace for o in others)})
        key = f"'{claim.host}'" if claim.host.startswith("*") else claim.host  # (a bare * starts a YAML alias)
        yield Finding(
            rule=RULE.id,
            severity=RULE.severity,
            message=f"{claim.host} is also served from another namespace, by {named}{more}: either team can take "
            "requests meant for the other",
            obj=claim.route.ingress,
            field=_host_field(claim.route),
            hint=f"serve each host from one namespace, or declare its owners in the configuration: "
            f"hosts: {{{key}: [{', '.join(namespaces)}]}}",
            extra={"related": [str(o.route.ingress) for o in others]},
        )


RULE = Rule(
    id="routing/cross-namespace-host",
    severity=Severity.WARNING,
    summary="A host is served by Ingresses of two namespaces, or by a namespace `hosts:` does not allow",
    explanation=(
        "The controller merges the routes of every Ingress, whatever its namespace: an Ingress in one namespace "
        "can route a host, or a path under it, that another namespace's Ingress already serves, and Pomerium "
        "then sends some of those requests to the newcomer's backend. Hosts overlap when equal, when one is "
        "under the other's wildcard (`app.example.com` and `*.example.com`) or for nested wildcards; a "
        "catch-all `*` route is not compared, as it answers only hosts nobody else routes. Every Ingress "
        "involved gets a warning. The configuration's `hosts:` key declares who owns a host: it maps host "
        "patterns (exact, `*.example.com` wildcards or `*`) to the namespaces allowed to serve them, the most "
        "specific pattern deciding as Pomerium picks a route group. A route on a mapped host from a namespace "
        "not in its list is an error that no `pomgate.io/ignore` annotation suppresses, and namespaces the map "
        "allows to share a host get no warning. `routing/shadowed-route` is about the same host and path in two "
        "Ingresses of any namespace (which one never gets a request); this rule is about who serves a host at "
        "all. In `pomgate diff` a new route the map forbids is also the risk `host_not_allowed`."
    ),
    bad=(
        "# Ingress web in namespace team-a\n"
        "- host: app.example.com\n"
        "  http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n"
        "# Ingress grab in namespace team-b\n"
        "- host: app.example.com\n"
        "  http: {paths: [{path: /admin, pathType: Prefix, backend: {service: {name: grab, port: {number: 80}}}}]}"
    ),
    good=(
        "# .pomgate.yaml\n"
        "hosts:\n"
        "  app.example.com: [team-a]\n"
        "# Ingress grab in namespace team-b\n"
        "- host: grab.example.com\n"
        "  http: {paths: [{path: /admin, pathType: Prefix, backend: {service: {name: grab, port: {number: 80}}}}]}"
    ),
    check=check,
)
