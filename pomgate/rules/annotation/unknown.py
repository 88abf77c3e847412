"""annotation/unknown: an ingress.pomerium.io/ annotation name the controller does not know."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/lb_policy: "round_robin"
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/load_balancing_policy: "round_robin"
"""

RULE = Rule(
    id="annotation/unknown",
    severity=Severity.ERROR,
    summary="An ingress.pomerium.io/ annotation name is not one the controller accepts",
    explanation=(
        "The controller looks up every annotation that starts with `ingress.pomerium.io/` in a fixed, "
        "case-sensitive list of names and fails the whole Ingress on any other (`unknown "
        "ingress.pomerium.io/<name>`): it records an `UpdateError` event and applies none of the Ingress' "
        "routes. Typos, hyphens instead of underscores, removed names (`lb_policy` and the `*_lb_config` "
        "annotations), config.yaml-only settings (`*_file`, `idp_client_id`) and the "
        "`kubernetes_service_account_token` spelling of older docs all trigger it. pomgate suggests the "
        "intended name when it can (did you mean ...?)."
    ),
    bad=BAD,
    good=GOOD,
)
