"""annotation/mcp: an MCP annotation has an invalid value or combination."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/mcp_server: "yes"
    ingress.pomerium.io/mcp_server_upstream_oauth2_auth_style: "header"
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/mcp_server: "true"
    ingress.pomerium.io/mcp_server_upstream_oauth2_auth_style: "in_header"
"""

RULE = Rule(
    id="annotation/mcp",
    severity=Severity.ERROR,
    summary="An MCP annotation value is invalid, or server and client modes are mixed",
    explanation=(
        "The `mcp_*` annotations are parsed by the controller itself, not as YAML: `mcp_server` and "
        "`mcp_client` must be exactly `true` or empty; an Ingress cannot be both an MCP server (any "
        "`mcp_server*` annotation) and an MCP client; `mcp_server_max_request_bytes` must be a decimal "
        "32-bit unsigned number; `mcp_server_upstream_oauth2_auth_style` must be `in_params` or "
        "`in_header`; `mcp_server_upstream_oauth2_authorization_url_params` must be a YAML map of scalars. "
        "Any violation fails the whole Ingress (`UpdateError` event, none of its routes applied)."
    ),
    bad=BAD,
    good=GOOD,
)
