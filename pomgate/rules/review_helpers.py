"""Shared helpers of the review rules: per-Ingress route groups and what a route lets in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pomgate.findings import FieldPath
from pomgate.kube.inventory import Typed
from pomgate.kube.models import Ingress
from pomgate.rules.base import RuleContext
from pomgate.translation.ppl import PolicyError, grants_public_access, is_empty, rules_of
from pomgate.translation.route import Route

SOLVER_LABEL = "acme.cert-manager.io/http01-solver"


def ingress_routes(context: RuleContext) -> Iterator[tuple[Typed[Ingress], list[Route]]]:
    """Each managed Ingress that translated, with its routes (HTTP-01 solver Ingresses left out)."""
    by_ref = context.ingresses_by_ref
    for outcome in context.translation.outcomes:
        if not outcome.managed or outcome.failed or not outcome.routes:
            continue
        typed = by_ref.get(outcome.ingress)
        if typed is None or is_http01_solver(typed.model):
            continue
        yield typed, outcome.routes


def is_http01_solver(ingress: Ingress) -> bool:
    """cert-manager's temporary challenge Ingress (public by design)."""
    return ingress.metadata.label_map.get(SOLVER_LABEL, "").lower() == "true"


def _policy_rules(policy: Any) -> list[Any] | None:
    try:
        return rules_of(policy)
    except (PolicyError, TypeError, ValueError):
        return None


def is_public(fields: Mapping[str, Any]) -> bool:
    """The route admits anyone, signed in or not."""
    if fields.get("allow_public_unauthenticated_access") is True:
        return True
    policy = fields.get("policy")
    if policy is None:
        return False
    rules = _policy_rules(policy)
    return rules is not None and grants_public_access(rules)


def grants_anyone(fields: Mapping[str, Any]) -> bool:
    """Some setting lets at least one user in (public, any signed-in user, a list or a policy)."""
    if fields.get("allow_public_unauthenticated_access") is True or fields.get("allow_any_authenticated_user") is True:
        return True
    for key in ("allowed_users", "allowed_domains", "allowed_idp_claims"):
        if fields.get(key):
            return True
    policy = fields.get("policy")
    if policy is None:
        return False
    rules = _policy_rules(policy)
    return rules is None or not is_empty(rules)


def annotation_field(ingress: Ingress, prefix: str, *names: str) -> FieldPath:
    """The field path of the first of ``names`` (under ``prefix``) set on the Ingress."""
    annotations = ingress.metadata.annotation_map
    for name in names:
        key = f"{prefix}/{name}"
        if key in annotations:
            return ("metadata", "annotations", key)
    if annotations:
        return ("metadata", "annotations")
    return ("metadata", "name")


def hosts_of(routes: list[Route]) -> str:
    """The distinct `from` URLs of routes, for messages."""
    return ", ".join(sorted({route.from_url for route in routes}))
