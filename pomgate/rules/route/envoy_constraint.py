"""route/envoy-constraint: a route option Envoy refuses (its API's field rules, header formatter, upgrades)."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/outlier_detection: '{"max_ejection_percent": 150}'
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/outlier_detection: '{"max_ejection_percent": 50}'
"""

RULE = Rule(
    id="route/envoy-constraint",
    severity=Severity.ERROR,
    summary="A route option decodes, but Envoy's own rules refuse its value",
    explanation=(
        "Release builds of the controller validate the Envoy configuration Pomerium generates "
        "(`envoy --mode validate`), so a value that decodes fine but breaks one of Envoy's rules fails "
        "the update with `config validation: <Envoy's message>`. pomgate checks the rules of every route "
        "option it renders, from Envoy's API (`validate.rules`) and its config code: health checks need "
        "`timeout`, `interval` (above 0s), `healthy_threshold`, `unhealthy_threshold` and one checker "
        "(`http_health_check` with a `path`, `tcp_health_check` or `grpc_health_check`); outlier "
        "detection's percentages are at most 100 and its intervals above 0s; `healthy_panic_threshold` is "
        "between 0 and 100; timeouts are not negative; header names and values hold no NUL, CR or LF, "
        "response header values follow Envoy's format (a literal `%` is written `%%`), `:`-prefixed and "
        "`host` headers are neither set nor removed; an `allow_upgrades` type may not repeat, ignoring "
        "case, `websocket` or `spdy/3.1`; `tls_server_name` is at most 255 bytes. The finding names the "
        "annotation, the place in its value and the limit."
    ),
    bad=BAD,
    good=GOOD,
)
