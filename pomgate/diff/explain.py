"""Who serves this URL: Pomerium's route choice for one request, from the translated routes.

Pomerium hands routes to Envoy grouped by host: a request's host picks the group with the exact
host if one exists, else the most specific wildcard (`*.example.com`), else the catch-all `*`.
Inside the group, routes are tried in Pomerium's order (the order `render` prints) and the first
whose path, prefix or regex matches wins. Later routes that would match too never see the request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pomgate.findings import ObjectRef
from pomgate.kube.inventory import Inventory
from pomgate.reports.routes import route_config
from pomgate.rules.review_helpers import is_public
from pomgate.rules.routing.cross_namespace_host import most_specific_pattern
from pomgate.translation.ppl import PolicyError, describe
from pomgate.translation.route import Route, TranslationResult


class ExplainError(ValueError):
    """The URL cannot be explained (not a URL Pomerium routes)."""


@dataclass
class Explanation:
    """The routes of the request's host group, which one wins, and what it shadows."""

    url: str
    host: str
    path: str
    group: list[Route] = field(default_factory=list)
    group_host: str = ""
    winner: Route | None = None
    shadowed: list[Route] = field(default_factory=list)
    #: Ingresses for this host that fail translation: (Ingress, the controller's error).
    failing: list[tuple[ObjectRef, str]] = field(default_factory=list)


def path_matches(route: Route, path: str) -> bool:
    """Whether ``route`` matches the request path (exact `path`, string `prefix`, whole-path `regex`)."""
    if route.match_value("path"):
        return path == route.match_value("path")
    if route.match_value("prefix"):
        return path.startswith(route.match_value("prefix"))
    if route.match_value("regex"):
        import re2

        try:
            return re2.fullmatch(route.match_value("regex"), path) is not None
        except Exception:  # an invalid regex never matches (and fails the Ingress anyway)
            return False
    return True


TUNNEL_SCHEMES = ("tcp+https", "udp+https")


class RouteTable:
    """Routes grouped by host pattern, built once and resolved many times (a diff probes every route).

    TCP and UDP tunnels (``tcp+https://db.example.com:5432``) are reached by their exact host and port.
    """

    def __init__(self, routes: list[Route], failed: Sequence[tuple[ObjectRef, str, Sequence[str]]] = ()) -> None:
        self.groups: dict[str, list[Route]] = {}
        self.tunnels: dict[str, list[Route]] = {}
        #: Ingresses that fail translation: (Ingress, error, the host patterns of its rules).
        self.failed = list(failed)
        for route in routes:  # already in Pomerium's order, which each group keeps
            route_parts = urlsplit(route.from_url)
            if route_parts.scheme in TUNNEL_SCHEMES:
                self.tunnels.setdefault(route.from_url.lower(), []).append(route)
                continue
            if route_parts.scheme != "https":
                continue  # SSH routes are not reached by URL
            pattern = (route_parts.hostname or "").lower() or "*"
            if "*" in route_parts.netloc:
                pattern = route_parts.netloc.lower()
            self.groups.setdefault(pattern, []).append(route)

    def group_for(self, host: str) -> str | None:
        """The host pattern whose routes a request for ``host`` uses: exact, longest wildcard, then ``*``."""
        return most_specific_pattern(host, self.groups)

    def resolve(self, url: str) -> Explanation:
        """Which route serves ``url``, and what it shadows."""
        parts = urlsplit(url if "://" in url else f"https://{url}")
        if parts.scheme not in ("http", "https", *TUNNEL_SCHEMES) or not parts.hostname:
            raise ExplainError(f"{url!r} is not an https:// (or tcp+https://, udp+https://) URL with a host")
        host, path = parts.hostname.lower(), parts.path or "/"
        found = Explanation(url, host, path)
        found.failing = [
            (ingress, error) for ingress, error, hosts in self.failed if most_specific_pattern(host, hosts) is not None
        ]
        if parts.scheme in TUNNEL_SCHEMES:
            try:
                port = parts.port
            except ValueError:
                raise ExplainError(f"{url!r} has an invalid port") from None
            if port is None:
                raise ExplainError(f"{url!r}: a TCP or UDP route is reached by host and port (host:port)")
            found.path = ""
            found.group_host = f"{parts.scheme}://{host}:{port}"
            found.group = self.tunnels.get(found.group_host, [])
            if found.group:
                found.winner, found.shadowed = found.group[0], found.group[1:]
            return found
        pattern = self.group_for(host)
        if pattern is None:
            return found
        found.group_host = pattern
        found.group = self.groups[pattern]
        matching = [route for route in found.group if path_matches(route, path)]
        if matching:
            found.winner, found.shadowed = matching[0], matching[1:]
        return found


def failed_ingresses(translation: TranslationResult, inventory: Inventory) -> list[tuple[ObjectRef, str, list[str]]]:
    """Ingresses that fail translation, with the error and the hosts their rules name (``*`` for none)."""
    typed = {item.ref: item.model for item in inventory.ingresses}
    found = []
    for outcome in translation.failed:
        model = typed.get(outcome.ingress)
        rules = model.spec.rules if model is not None and model.spec is not None else []
        hosts = sorted({(rule.host or "*").lower() for rule in rules}) or ["*"]
        found.append((outcome.ingress, outcome.error or "", hosts))
    return found


def table_of(translation: TranslationResult, inventory: Inventory) -> RouteTable:
    """The route table of an analysis, knowing the Ingresses that fail translation."""
    return RouteTable(translation.routes, failed_ingresses(translation, inventory))


def explain(routes: list[Route], url: str) -> Explanation:
    """Resolve ``url`` against ``routes`` (already in Pomerium's order)."""
    return RouteTable(routes).resolve(url)


def policy_text(fields: dict[str, Any]) -> str:
    """Who the route lets in, in words."""
    if is_public(fields):
        return "anyone, without signing in (public)"
    parts = []
    if fields.get("allow_any_authenticated_user") is True:
        parts.append("any signed-in user")
    for name in ("allowed_users", "allowed_domains", "allowed_idp_claims"):
        value = fields.get(name)
        if value:
            parts.append(f"{name}: {json.dumps(value, ensure_ascii=False, default=str)}")
    policy = fields.get("policy")
    if policy is not None:
        try:
            parts.append(f"policy: {describe(policy)}")
        except (PolicyError, TypeError, ValueError):
            parts.append("a policy pomgate cannot read")
    return "; ".join(parts) or "nobody (no access policy: Pomerium denies every request)"


def source_of(route: Route, inventory: Inventory) -> tuple[str | None, int | None]:
    """File and line of the Ingress path (or rule) that made ``route``."""
    source = inventory.source_of(route.ingress)
    if source is None:
        return None, None
    if route.rule_index is None:
        fld: tuple[str | int, ...] = ("spec", "defaultBackend")
    else:
        fld = ("spec", "rules", route.rule_index, "http", "paths", route.path_index or 0)
    return source.origin.path, source.line_of(fld)


def explanation_json(found: Explanation, inventory: Inventory, verdict: Verdict | None = None) -> dict[str, Any]:
    """The machine-readable form of an explanation (with the decision for one identity, when asked)."""

    def one(route: Route) -> dict[str, Any]:
        path, line = source_of(route, inventory)
        out = route_config(route)
        out["ingress"] = _ref(route.ingress)
        out["source"] = {"path": path, "line": line}
        return out

    return {
        "url": found.url,
        "host": found.host,
        "path": found.path,
        "host_group": found.group_host or None,
        "routes": [one(route) for route in found.group],
        "winner": one(found.winner) if found.winner else None,
        "access": policy_text(found.winner.fields) if found.winner else None,
        "shadowed": [one(route) for route in found.shadowed],
        "failing": [{"ingress": _ref(ref), "error": error} for ref, error in found.failing],
        **({"decision": verdict.as_dict()} if verdict is not None else {}),
    }


@dataclass(frozen=True)
class Verdict:
    """What the serving route's policy decides for one identity and request."""

    who: str
    decision: str
    deciding: str
    depends_on: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"as": self.who, "decision": self.decision, "deciding": self.deciding}
        if self.depends_on:
            out["depends_on"] = list(self.depends_on)
        return out


def _ref(ref: ObjectRef) -> dict[str, str]:
    return {"namespace": ref.namespace, "name": ref.name}


def _failing_lines(found: Explanation) -> list[str]:
    return [
        f"Ingress {ref.namespace}/{ref.name} names this host but fails translation, so it serves nothing: {error}"
        for ref, error in found.failing
    ]


def explanation_text(found: Explanation, inventory: Inventory, verdict: Verdict | None = None) -> str:
    """The report for a terminal (with the decision for one identity, when asked)."""
    where = f"host {found.host}, path {found.path}" if found.path else f"host {found.host}"
    lines = [f"{found.url}  ({where})"]
    if not found.group:
        lines.append("No route serves this host: Pomerium answers 404.")
        lines += _failing_lines(found)
        return "\n".join(lines) + "\n"
    lines.append(f"\nRoutes for {found.group_host}, in the order Pomerium tries them:")
    for index, route in enumerate(found.group, 1):
        match = route.match_text() or "every path"
        mark = "→" if route is found.winner else ("×" if route in found.shadowed else " ")
        path, line = source_of(route, inventory)
        where = f"{path}:{line}" if path else "?"
        lines.append(
            f"  {mark} {index:>2}. {match:<40} Ingress {route.ingress.namespace}/{route.ingress.name}  ({where})"
        )
    if found.winner is None:
        lines.append("\nNo route of this host matches the path: Pomerium answers 404.")
        lines += _failing_lines(found)
        return "\n".join(lines) + "\n"
    winner = found.winner
    path, line = source_of(winner, inventory)
    to = winner.fields.get("to")
    lines.append(
        f"\nServed by Ingress {winner.ingress.namespace}/{winner.ingress.name} ({path}:{line}) -> "
        f"{', '.join(map(str, to)) if isinstance(to, list) else to}"
    )
    lines.append(f"Who gets in: {policy_text(winner.fields)}")
    if verdict is not None and verdict.decision == "depends":
        lines.append(f"As {verdict.who}: it depends: {verdict.deciding}")
    elif verdict is not None:
        lines.append(f"As {verdict.who}: {verdict.decision.upper()}, by {verdict.deciding}")
    for route in found.shadowed:
        lines.append(
            f"Shadows Ingress {route.ingress.namespace}/{route.ingress.name}, whose route matches this URL too "
            "but comes later"
        )
    lines += _failing_lines(found)
    return "\n".join(lines) + "\n"
