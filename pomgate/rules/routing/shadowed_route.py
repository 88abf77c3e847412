"""routing/shadowed-route: the same host and path claimed by two Ingresses; one never gets traffic."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from pomgate.findings import FieldPath, Finding, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.translation.route import MATCH_KINDS, Route


def _match(route: Route) -> tuple[str, str, str, str] | None:
    if urlsplit(route.from_url).scheme not in ("http", "https"):
        return None  # TCP/UDP/SSH hosts: routing/duplicate-tcp-host
    return (route.from_url, *(route.match_value(kind) for kind in MATCH_KINDS))  # type: ignore[return-value]


def _describe(route: Route) -> str:
    return f"{route.from_url} {route.match_text() or '(every path)'}"


def _path_field(route: Route) -> FieldPath:
    if route.rule_index is None:
        return ("spec", "defaultBackend")
    if route.path_index is None:
        return ("spec", "rules", route.rule_index, "host")
    return ("spec", "rules", route.rule_index, "http", "paths", route.path_index, "path")


def check(context: RuleContext) -> Iterator[Finding]:
    """Warn on each Ingress whose route is matched after an identical route of another Ingress."""
    first: dict[tuple[str, str, str, str], Route] = {}
    reported: set[tuple[object, tuple[str, str, str, str]]] = set()
    for route in context.translation.routes:  # already in Pomerium's matching order
        key = _match(route)
        if key is None:
            continue
        winner = first.setdefault(key, route)
        if winner.ingress == route.ingress or (route.ingress, key) in reported:
            continue
        reported.add((route.ingress, key))
        yield Finding(
            rule=RULE.id,
            severity=RULE.severity,
            message=f"{_describe(route)} is also routed by Ingress {winner.ingress.namespace}/{winner.ingress.name}, "
            "which Pomerium matches first: this route never receives a request",
            obj=route.ingress,
            field=_path_field(route),
            hint="keep each host+path in one Ingress, or give this one a more specific path",
            extra={"related": [str(winner.ingress)]},
        )


RULE = Rule(
    id="routing/shadowed-route",
    severity=Severity.WARNING,
    summary="Two Ingresses route the same host and path; one is shadowed",
    explanation=(
        "Routes of different Ingresses never collide in the controller: both are kept and Pomerium sorts "
        "them, so for the same host and the same path (or prefix, or regex) the route of the Ingress with "
        "the smaller route id (namespace and name order) wins and the other never sees a request. Neither "
        "the controller nor Kubernetes warns about it; it is usually a copy-paste mistake or two teams "
        "claiming one hostname, and which service answers can change when an Ingress is renamed."
    ),
    bad=(
        "# Ingress a\n"
        "- host: app.example.com\n"
        "  http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: v1, port: {number: 80}}}}]}\n"
        "# Ingress b\n"
        "- host: app.example.com\n"
        "  http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: v2, port: {number: 80}}}}]}"
    ),
    good=(
        "# Ingress a\n"
        "- host: app.example.com\n"
        "  http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: v1, port: {number: 80}}}}]}\n"
        "# Ingress b\n"
        "- host: app.example.com\n"
        "  http: {paths: [{path: /v2, pathType: Prefix, backend: {service: {name: v2, port: {number: 80}}}}]}"
    ),
    check=check,
)
