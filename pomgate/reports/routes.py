"""Routes as Pomerium `config.yaml` data: key order, omitted empties, secret redaction."""

from __future__ import annotations

from typing import Any

from pomgate.translation.route import Route, SecretValue, UnknownValue

# The keys people look for first; the rest follow alphabetically.
KEY_ORDER = (
    "from",
    "to",
    "prefix",
    "path",
    "regex",
    "name",
    "id",
    "description",
    "logo_url",
    "policy",
    "allow_public_unauthenticated_access",
    "allow_any_authenticated_user",
    "allowed_users",
    "allowed_domains",
    "allowed_idp_claims",
    "cors_allow_preflight",
    "pass_identity_headers",
)
_RANK = {key: index for index, key in enumerate(KEY_ORDER)}
# Pomerium keeps an explicit `false` for these (tri-state); other false booleans are the default.
TRI_STATE = frozenset({"pass_identity_headers"})


def route_config(route: Route, *, show_secrets: bool = False) -> dict[str, Any]:
    """One route as a config.yaml mapping (unset keys omitted, secrets redacted unless shown)."""
    return {key: plain_value(value, show_secrets) for key, value in config_fields(route).items()}


def config_fields(route: Route) -> dict[str, Any]:
    """The route's set keys in config.yaml order, values as they are (Secret and unknown leaves kept).

    For encoders that turn the leaves into text themselves (see `shown_leaf`) instead of copying the
    whole value through `plain_value`.
    """
    fields = route.fields
    out: dict[str, Any] = {}
    for key in sorted(fields, key=_order):
        value = fields[key]
        if value is None or (value is False and key not in TRI_STATE):
            continue
        out[key] = value
    return out


def _order(key: str) -> tuple[int, str]:
    return (_RANK.get(key, len(_RANK)), key)


def shown_leaf(value: Any) -> str:
    """A JSON encoder's ``default``: SecretValue as its value, UnknownValue as its text (secrets shown)."""
    if isinstance(value, SecretValue):
        return value.value
    if isinstance(value, UnknownValue):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def plain_value(value: Any, show_secrets: bool) -> Any:
    """Replace SecretValue/UnknownValue leaves by text (the secret only when asked for)."""
    if isinstance(value, SecretValue):
        return value.value if show_secrets else value.redacted()
    if isinstance(value, UnknownValue):
        return str(value)
    if isinstance(value, dict):
        return {k: plain_value(v, show_secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v, show_secrets) for v in value]
    return value


def routes_config(routes: list[Route], *, show_secrets: bool = False) -> dict[str, Any]:
    """The `{"routes": [...]}` document."""
    return {"routes": [route_config(route, show_secrets=show_secrets) for route in routes]}
