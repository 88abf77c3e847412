"""Every `ingress.pomerium.io/*` annotation the controller accepts, by group (annotations.md §3).

`ADDED_IN` says which controller release first accepted each annotation that v0.15.0 did not. It
was derived from the upstream repository (github.com/pomerium/ingress-controller): for every
release tag, the names in the known-annotation maps of `pomerium/ingress_annotations.go` (constants
resolved from `model/*.go`) were listed, and each name is recorded with the lowest tag whose list
holds it; every later tag holds it too (checked), and `git log -S'"<name>"' -- model/
pomerium/ingress_annotations.go` finds the commit, e.g. `subtle_allow_empty_host` in #945 (v0.26.0)
and `allow_upgrades` in #1374 (v0.33.0). `healthy_panic_threshold` was backported: v0.30.4 has it
although the commit is first tagged v0.31.0. Names not listed are in every release since v0.15.0
(2021-10). Removed names (`lb_policy` and the `*_lb_config` ones, accepted from v0.16.1 to v0.31.x;
`allowed_groups`, unsupported since v0.20.0) are not judged by version.
"""

from __future__ import annotations

import difflib
import re

BASE = frozenset(
    {
        "allow_any_authenticated_user",
        "allow_public_unauthenticated_access",
        "allow_spdy",
        "allow_upgrades",
        "allow_websockets",
        "bearer_token_format",
        "circuit_breaker_thresholds",
        "cors_allow_preflight",
        "depends_on",
        "description",
        "enable_google_cloud_serverless_authentication",
        "health_checks",
        "healthy_panic_threshold",
        "host_path_regex_rewrite_pattern",
        "host_path_regex_rewrite_substitution",
        "host_rewrite",
        "host_rewrite_header",
        "idle_timeout",
        "idp_access_token_allowed_audiences",
        "load_balancing_policy",
        "logo_url",
        "name",
        "outlier_detection",
        "pass_identity_headers",
        "prefix_rewrite",
        "preserve_host_header",
        "regex_rewrite_pattern",
        "regex_rewrite_substitution",
        "remove_request_headers",
        "rewrite_response_headers",
        "set_request_headers",
        "set_response_headers",
        "timeout",
        "tls_server_name",
        "tls_skip_verify",
    }
)
POLICY_LISTS = frozenset({"allowed_domains", "allowed_idp_claims", "allowed_users"})
POLICY = POLICY_LISTS | {"policy"}
TLS_SECRETS = frozenset({"tls_client_secret", "tls_custom_ca_secret", "tls_downstream_client_ca_secret"})
SECRETS = frozenset(
    {
        "kubernetes_service_account_token_secret",
        "set_request_headers_secret",
        "set_response_headers_secret",
        "identity_provider_secret",
        "mcp_server_upstream_oauth2_secret",
    }
)
MCP_SERVER = frozenset(
    {
        "mcp_server",
        "mcp_server_max_request_bytes",
        "mcp_server_path",
        "mcp_server_authorization_server_url",
        "mcp_server_upstream_oauth2_auth_url",
        "mcp_server_upstream_oauth2_token_url",
        "mcp_server_upstream_oauth2_scopes",
        "mcp_server_upstream_oauth2_auth_style",
        "mcp_server_upstream_oauth2_authorization_url_params",
    }
)
MCP = MCP_SERVER | {"mcp_client"}
TUNNEL = frozenset({"upstream_tunnel", "upstream_tunnel_ssh_policy"})
ELSEWHERE = frozenset(
    {
        "path_regex",
        "secure_upstream",
        "service_proxy_upstream",
        "tcp_upstream",
        "udp_upstream",
        "ssh_upstream",
        "subtle_allow_empty_host",
    }
)
UNSUPPORTED = frozenset({"allowed_groups"})

KNOWN = BASE | POLICY | TLS_SECRETS | SECRETS | MCP | TUNNEL | ELSEWHERE

ALLOWED_GROUPS_MESSAGE = (
    "{prefix}/allowed_groups no longer supported, "
    "see https://docs.pomerium.com/docs/overview/upgrading#idp-directory-sync"
)

# Names users meet in documentation or older versions, with what to use instead.
RENAMED = {
    "kubernetes_service_account_token": (
        "the public Ingress Controller documentation lists `kubernetes_service_account_token`, but the "
        "controller only accepts `kubernetes_service_account_token_secret` (the name of a "
        "kubernetes.io/service-account-token Secret)",
        "kubernetes_service_account_token_secret",
    ),
    "lb_policy": ("`lb_policy` was removed in January 2026", "load_balancing_policy"),
    "least_request_lb_config": ("`least_request_lb_config` was removed in January 2026", "load_balancing_policy"),
    "ring_hash_lb_config": ("`ring_hash_lb_config` was removed in January 2026", "load_balancing_policy"),
    "maglev_lb_config": ("`maglev_lb_config` was removed in January 2026", "load_balancing_policy"),
    "tls_upstream_server_name": ("the Ingress Controller has no `tls_upstream_server_name`", "tls_server_name"),
    "idp_client_id": ("IdP credentials come from a Secret", "identity_provider_secret"),
    "idp_client_secret": ("IdP credentials come from a Secret", "identity_provider_secret"),
    "tls_client_cert": ("certificates come from a Secret", "tls_client_secret"),
    "tls_client_key": ("certificates come from a Secret", "tls_client_secret"),
    "tls_custom_ca": ("certificates come from a Secret", "tls_custom_ca_secret"),
    "tls_downstream_client_ca": ("certificates come from a Secret", "tls_downstream_client_ca_secret"),
}

# Group application order (first error wins upstream).
GROUP_ORDER = ("base", "tls-secret", "secret", "mcp", "tunnel", "policy")


def group_of(name: str) -> str | None:
    """The annotation group of ``name`` (after the prefix), or None if the controller rejects it."""
    if name in BASE:
        return "base"
    if name in POLICY:
        return "policy"
    if name in TLS_SECRETS:
        return "tls-secret"
    if name in SECRETS:
        return "secret"
    if name in MCP:
        return "mcp"
    if name in TUNNEL:
        return "tunnel"
    if name in ELSEWHERE:
        return "elsewhere"
    return None


def suggest(name: str) -> tuple[str | None, str | None]:
    """A replacement for an unknown annotation name and a note explaining it, if one is likely."""
    if name in RENAMED:
        note, replacement = RENAMED[name]
        return replacement, note
    if name.endswith("_file"):
        return None, "file-based settings (`*_file`) are not available through annotations; use the `_secret` form"
    lowered = name.lower().replace("-", "_")
    if lowered in KNOWN and lowered != name:
        return lowered, "annotation names are case-sensitive and use underscores"
    close = difflib.get_close_matches(lowered, sorted(KNOWN), n=1, cutoff=0.75)
    return (close[0], None) if close else (None, None)


# ---------------------------------------------------------------- controller versions

#: The newest upstream controller release this table knows (tag v0.33.1, 2026-08-04).
CURRENT_CONTROLLER_VERSION = "0.33.1"
#: The oldest release the table can judge: every annotation not in `ADDED_IN` exists there.
OLDEST_JUDGED_VERSION = "0.15.0"

#: Annotation name -> the first controller release that accepts it (see the module docstring).
ADDED_IN: dict[str, str] = {
    "host_path_regex_rewrite_pattern": "0.15.1",
    "host_path_regex_rewrite_substitution": "0.15.1",
    "host_rewrite": "0.15.1",
    "host_rewrite_header": "0.15.1",
    "allow_spdy": "0.15.2",
    "path_regex": "0.15.3",
    "service_proxy_upstream": "0.16.1",
    "kubernetes_service_account_token_secret": "0.17.2",
    "prefix_rewrite": "0.17.2",
    "regex_rewrite_pattern": "0.17.2",
    "regex_rewrite_substitution": "0.17.2",
    "set_request_headers_secret": "0.17.2",
    "set_response_headers_secret": "0.17.2",
    "tcp_upstream": "0.17.2",
    "subtle_allow_empty_host": "0.26.0",
    "bearer_token_format": "0.29.0",
    "description": "0.29.0",
    "idp_access_token_allowed_audiences": "0.29.0",
    "logo_url": "0.29.0",
    "udp_upstream": "0.29.0",
    "circuit_breaker_thresholds": "0.30.0",
    "depends_on": "0.30.0",
    "mcp_client": "0.30.0",
    "mcp_server": "0.30.0",
    "mcp_server_max_request_bytes": "0.30.0",
    "mcp_server_upstream_oauth2_scopes": "0.30.0",
    "mcp_server_upstream_oauth2_secret": "0.30.0",
    "mcp_server_upstream_oauth2_token_url": "0.30.0",
    "healthy_panic_threshold": "0.30.4",
    "mcp_server_path": "0.31.0",
    "mcp_server_upstream_oauth2_auth_url": "0.31.0",
    "name": "0.31.0",
    "identity_provider_secret": "0.32.0",
    "load_balancing_policy": "0.32.0",
    "allow_upgrades": "0.33.0",
    "enable_google_cloud_serverless_authentication": "0.33.0",
    "mcp_server_authorization_server_url": "0.33.0",
    "mcp_server_upstream_oauth2_auth_style": "0.33.0",
    "mcp_server_upstream_oauth2_authorization_url_params": "0.33.0",
    "ssh_upstream": "0.33.0",
    "upstream_tunnel": "0.33.0",
    "upstream_tunnel_ssh_policy": "0.33.0",
}

_VERSION = re.compile(r"^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?$")
Version = tuple[int, int, int]


def parse_version(text: str) -> Version | None:
    """``0.31``, ``0.31.2`` or ``v0.31.2`` as a comparable tuple (None when it is not a version)."""
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def version_text(version: Version) -> str:
    """A version tuple as upstream tags it, without the ``v``."""
    return ".".join(str(part) for part in version)


def added_after(name: str, version: Version) -> str | None:
    """The release that added annotation ``name`` when it is newer than ``version``, else None."""
    added = ADDED_IN.get(name)
    if added is None:
        return None
    parsed = parse_version(added)
    assert parsed is not None
    return added if parsed > version else None
