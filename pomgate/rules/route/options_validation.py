"""route/options-validation: the whole-config validation rejects a route setting that needs global settings."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/bearer_token_format: BEARER_TOKEN_FORMAT_JWT
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/bearer_token_format: idp_access_token
"""

RULE = Rule(
    id="route/options-validation",
    severity=Severity.ERROR,
    summary="Pomerium's options validation rejects a route setting an Ingress-built config cannot support",
    explanation=(
        "After the routes, the controller validates the options built from its own configuration record "
        "(Pomerium's `Options.Validate`). That record holds only routes and certificates, never global "
        "settings such as `identity_providers`, so a route setting that requires them is refused: "
        "`bearer_token_format: BEARER_TOKEN_FORMAT_JWT` (or `4`) fails the update with `config validation: "
        "config: bearer_token_format=jwt requires at least one identity_providers entry (route ...)`. Use "
        "`idp_access_token` or `idp_identity_token`, or configure the route in Pomerium's own config."
    ),
    bad=BAD,
    good=GOOD,
)
