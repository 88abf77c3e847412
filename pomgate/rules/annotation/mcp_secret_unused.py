"""annotation/mcp-secret-unused: the MCP upstream OAuth2 Secret has no effect."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: tools
  annotations:
    ingress.pomerium.io/mcp_server_upstream_oauth2_secret: "github-oauth"
spec:
  ingressClassName: pomerium
  rules:
    - host: mcp.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: mcp-github
                port:
                  number: 8080
---
apiVersion: v1
kind: Secret
metadata:
  name: github-oauth
type: Opaque
stringData:
  client_id: Iv1.0123456789abcdef
  client_secret: change-me
"""

GOOD = BAD.replace(
    '    ingress.pomerium.io/mcp_server_upstream_oauth2_secret: "github-oauth"\n',
    '    ingress.pomerium.io/mcp_server: "true"\n'
    '    ingress.pomerium.io/mcp_server_upstream_oauth2_secret: "github-oauth"\n',
)

RULE = Rule(
    id="annotation/mcp-secret-unused",
    severity=Severity.WARNING,
    summary="mcp_server_upstream_oauth2_secret is set but the Ingress is not an MCP server",
    explanation=(
        "`mcp_server_upstream_oauth2_secret` belongs to the Secret annotations, not the MCP ones: the "
        "controller reads the Secret, but the upstream OAuth2 client it describes is only kept when the "
        "Ingress is in MCP server mode (some `mcp_server*` annotation is present). On its own, or next to "
        "`mcp_client`, the value is silently discarded: the Ingress is accepted, but the route has no MCP "
        "upstream OAuth2 settings. Reported when the Secret is in the input and holds `client_id` or "
        "`client_secret`."
    ),
    bad=BAD,
    good=GOOD,
)
