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
from pomgate.translation.values import remember

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


#: (public, empty, readable) per policy, by its frozen form: every route of an Ingress, and often
#: hundreds of Ingresses, carry the same policy; reading its rules once is enough.
_VERDICTS: dict[Any, tuple[bool, bool, bool]] = {}


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a JSON value (types kept apart: 1, 1.0, True and "1" differ)."""
    if isinstance(value, dict):
        return ("{", tuple((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("[", tuple(_frozen(item) for item in value))
    return (type(value).__name__, value)


def _policy_verdict(policy: Any) -> tuple[bool, bool, bool]:
    """(grants public access, has no rules, could be read) for a route's policy."""
    try:
        key = _frozen(policy)
        known = _VERDICTS.get(key)
    except TypeError:  # an unhashable leaf: judge it without the memo
        key, known = None, None
    if known is None:
        try:
            rules = rules_of(policy)
            known = (grants_public_access(rules), is_empty(rules), True)
        except (PolicyError, TypeError, ValueError):
            known = (False, False, False)
        if key is not None:
            remember(_VERDICTS, key, known)
    return known


def is_public(fields: Mapping[str, Any]) -> bool:
    """The route admits anyone, signed in or not."""
    if fields.get("allow_public_unauthenticated_access") is True:
        return True
    policy = fields.get("policy")
    if policy is None:
        return False
    public, _empty, _readable = _policy_verdict(policy)
    return public


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
    _public, empty, readable = _policy_verdict(policy)
    return not readable or not empty


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
