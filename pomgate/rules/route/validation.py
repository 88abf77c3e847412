"""route/validation: Pomerium core rejects the translated route."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/allow_public_unauthenticated_access: "true"
    ingress.pomerium.io/allow_any_authenticated_user: "true"
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/allow_any_authenticated_user: "true"
"""

RULE = Rule(
    id="route/validation",
    severity=Severity.ERROR,
    summary="Pomerium core's route validation rejects a translated route",
    explanation=(
        "After translation the controller converts each route to Pomerium's own type and validates it, as "
        "for a route in config.yaml. Among the checks reachable from an Ingress: an upstream URL without "
        "scheme or host; TCP or UDP upstreams mixed with other schemes; "
        "`allow_public_unauthenticated_access` together with `allow_any_authenticated_user`; a client "
        "certificate without its key (or PEM data that does not decode); a CA that is not valid base64; "
        "both `prefix_rewrite` and `regex_rewrite_pattern`; more than five or malformed `depends_on` "
        "entries; an MCP `authorization_server_url` that is not an https URL. The update fails with "
        "`config validation: ...`: an `UpdateError` event, and none of the Ingress' routes applied. pomgate "
        "reports the first failing check of each route, as core does."
    ),
    bad=BAD,
    good=GOOD,
)
