"""routing/duplicate-tcp-host: two TCP (or UDP) routes on one hostname."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from pomgate.findings import FieldPath, Finding, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.translation.route import Route


def _tunnel_host(route: Route) -> tuple[str, str] | None:
    parts = urlsplit(route.from_url)
    if parts.scheme not in ("tcp+https", "udp+https"):
        return None
    return parts.scheme.split("+", 1)[0], (parts.hostname or "")


def _host_field(route: Route) -> FieldPath:
    if route.rule_index is not None:
        return ("spec", "rules", route.rule_index, "host")
    return ("spec", "tls", 0, "hosts", 0)


def check(context: RuleContext) -> Iterator[Finding]:
    """Report every Ingress whose TCP/UDP host is also used by another TCP/UDP route of another Ingress."""
    by_host: dict[tuple[str, str], list[Route]] = {}
    for route in context.translation.routes:
        key = _tunnel_host(route)
        if key is not None:
            by_host.setdefault(key, []).append(route)
    for (protocol, host), routes in sorted(by_host.items()):
        ingresses = sorted({route.ingress for route in routes})
        if len(ingresses) < 2:
            continue
        reported = set()
        for route in routes:
            if route.ingress in reported:
                continue
            reported.add(route.ingress)
            others = ", ".join(
                f"{r.ingress.namespace}/{r.ingress.name} ({r.from_url})" for r in routes if r.ingress != route.ingress
            )
            yield Finding(
                rule=RULE.id,
                severity=RULE.severity,
                message=f"{protocol.upper()} host {host} is also used by {others}: only one {protocol.upper()} "
                "route per hostname is supported, even with different ports",
                obj=route.ingress,
                field=_host_field(route),
                hint="give each TCP/UDP service its own hostname",
            )


RULE = Rule(
    id="routing/duplicate-tcp-host",
    severity=Severity.ERROR,
    summary="Two TCP (or UDP) routes share a hostname",
    explanation=(
        "Pomerium's Ingress Controller addresses a TCP or UDP tunnel by hostname and the service port. The "
        "documentation forbids several TCP routes on one hostname, even with different ports: within one "
        "Ingress the controller rejects it as a duplicate route, and across Ingresses the clients (Pomerium "
        "Desktop and CLI) cannot tell the routes apart."
    ),
    bad=(
        '# two Ingresses, both with ingress.pomerium.io/tcp_upstream: "true"\n'
        "- host: db.example.com   # Ingress a, port 5432\n"
        "- host: db.example.com   # Ingress b, port 6379"
    ),
    good="- host: pg.example.com      # Ingress a\n- host: redis.example.com   # Ingress b",
    check=check,
)
