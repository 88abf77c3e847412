"""Shadow mode (`--shadow`): compare the record the real controller wrote with pomgate's translation.

Nothing is written: no record, no lease, no status; events only with `--shadow-events`. After each
batch of cluster changes, and every ``interval`` seconds (the real controller may write later than
pomgate translates), the `ingress-controller` record is read and compared route by route (by `id`),
then certificate by certificate. Each difference is logged once when it appears, the gauge
`pomgate_shadow_differences` holds how many there are now, and with events each Ingress concerned
gets a Warning `ShadowDifference` event.

`differences` is pure: both sides are brought to the comparable form first (`comparable_route`).

Policies are compared as PPL, never as Rego: the record's `source_ppl` (the annotation text upstream
stores) parsed as the translator parses the annotation, against the policy pomgate translated. The
Rego beside it is generated from that PPL (upstream by Pomerium's generator, pomgate by
`render_rego`); comparing its text would report any textual difference between two generators (an
order of rules, a helper's spelling) as a difference in who gets in, which it is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pomgate.controller import protos
from pomgate.controller.databroker import DatabrokerClient, DatabrokerError
from pomgate.controller.events import EventRecorder, IngressEvent
from pomgate.controller.metrics import Metrics
from pomgate.controller.pomerium_config import EncodeError, decode_route, route_identity, route_message
from pomgate.controller.reconciler import Reconciler

log = logging.getLogger("pomgate.controller")

#: Longest value shown in a difference's text.
SHOWN = 200


@dataclass(frozen=True, order=True)
class Difference:
    """One route or certificate that differs; ``ingress`` is (namespace, name) when a route says whose."""

    subject: str
    text: str
    ingress: tuple[str, str] | None = None


def comparable_route(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A config.yaml route as it reads back from the record (durations in seconds, defaults dropped).

    The PPL `policy` is set aside before the round trip and put back as it is: it is compared as the
    parsed document (see the module docstring), and encoding it would only render Rego to drop again.
    """
    rest = {key: value for key, value in fields.items() if key != "policy"}
    try:
        decoded = decode_route(route_message(rest))
    except EncodeError:
        decoded = dict(rest)
    if "policy" in fields:
        decoded["policy"] = fields["policy"]
    return decoded


#: Route fields whose values never come from a Secret: shown as they are in a difference. Any other
#: field (headers, which may be read from a Secret, TLS material, tokens) is shown as a digest.
PLAIN_FIELDS = frozenset(
    {
        "from", "to", "path", "prefix", "regex", "name", "id", "policy", "allowed_users", "allowed_domains",
        "allowed_idp_claims", "allow_public_unauthenticated_access", "allow_any_authenticated_user",
        "cors_allow_preflight", "timeout", "idle_timeout", "allow_websockets", "allow_spdy", "preserve_host_header",
        "pass_identity_headers", "tls_skip_verify", "tls_server_name", "tls_upstream_server_name", "host_rewrite",
        "host_rewrite_header", "host_path_regex_rewrite_pattern", "host_path_regex_rewrite_substitution",
        "prefix_rewrite", "regex_rewrite_pattern", "regex_rewrite_substitution", "remove_request_headers",
        "health_checks", "outlier_detection", "lb_policy", "load_balancing_weights", "depends_on",
        "bearer_token_format", "idp_access_token_allowed_audiences", "show_error_details", "healthy_panic_threshold",
    }
)  # fmt: skip


def _shown(key: str, value: Any) -> str:
    """A field's value for a log line: as it is for `PLAIN_FIELDS`, else a digest (a Secret's value never shows)."""
    text = json.dumps(value, sort_keys=True, default=str)
    if key not in PLAIN_FIELDS:
        if value is None:
            return "(unset)"
        return f"<sha256:{hashlib.sha256(text.encode()).hexdigest()[:12]}>"
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def differences(
    ours: Sequence[Mapping[str, Any]],
    theirs: Sequence[Mapping[str, Any]],
    our_certificates: Sequence[tuple[bytes, bytes]],
    their_certificates: Sequence[tuple[bytes, bytes]],
) -> list[Difference]:
    """Every route (by id) and certificate that differs between pomgate's config and the record's."""
    found: list[Difference] = []
    mine = {str(route.get("id")): comparable_route(route) for route in ours}
    recorded = {str(route.get("id")): comparable_route(route) for route in theirs}
    for route_id in sorted(mine.keys() | recorded.keys()):
        a, b = mine.get(route_id), recorded.get(route_id)
        source = a if a is not None else b
        assert source is not None
        owner = route_identity(source)
        subject = f"route {source.get('from', '')} {route_id}"
        if b is None:
            found.append(Difference(subject, "pomgate has it; the record does not", owner))
        elif a is None:
            found.append(Difference(subject, "the record has it; pomgate would not write it", owner))
        elif a != b:
            keys = sorted(key for key in a.keys() | b.keys() if a.get(key) != b.get(key))
            text = "; ".join(
                f"{key}: pomgate {_shown(key, a.get(key))}, record {_shown(key, b.get(key))}" for key in keys
            )
            found.append(Difference(subject, text, owner))
    shared = [route_id for route_id in (str(r.get("id")) for r in ours) if route_id in recorded]
    recorded_order = [route_id for route_id in (str(r.get("id")) for r in theirs) if route_id in mine]
    if shared != recorded_order:
        found.append(Difference("route order", "the same routes are in a different order"))
    our_set, their_set = set(our_certificates), set(their_certificates)
    for index, pair in enumerate(sorted(our_set - their_set)):
        found.append(
            Difference(f"certificate {index}", f"pomgate keeps it; the record does not ({len(pair[0])} bytes)")
        )
    for index, pair in enumerate(sorted(their_set - our_set)):
        found.append(
            Difference(f"certificate {index}", f"the record has it; pomgate would drop it ({len(pair[0])} bytes)")
        )
    return found


class ShadowReporter:
    """Reads the record, compares, reports (see the module docstring)."""

    def __init__(
        self,
        client: DatabrokerClient,
        reconciler: Reconciler,
        metrics: Metrics,
        events: EventRecorder,
        post_events: bool,
    ) -> None:
        self.client = client
        self.reconciler = reconciler
        self.metrics = metrics
        self.events = events
        self.post_events = post_events
        self.current: list[Difference] = []
        self._wake = asyncio.Event()
        self.compared = 0

    def request(self) -> None:
        """Compare soon (after a batch of cluster changes)."""
        self._wake.set()

    async def run(self, interval: float) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            self._wake.clear()
            try:
                await self.compare()
            except DatabrokerError as err:
                self.metrics.errors.inc(stage="shadow")
                log.warning("shadow: cannot read the record: %s", err)

    async def compare(self) -> list[Difference]:
        """One comparison; the differences now (new ones logged and, if asked, posted as events)."""
        data = await self.client.get_config()
        config = protos.Config.FromString(data or b"")
        theirs = [decode_route(route) for route in config.routes]
        their_certificates = [(bytes(c.cert_bytes), bytes(c.key_bytes)) for c in config.settings.certificates]
        ours, our_certificates = self.reconciler.config_routes(), self.reconciler.config_certificates()
        found = await asyncio.to_thread(differences, ours, theirs, our_certificates, their_certificates)
        before = set(self.current)
        for difference in found:
            if difference not in before:
                log.warning("shadow: %s: %s", difference.subject, difference.text)
                self._post(difference)
        for difference in before - set(found):
            log.info("shadow: %s: no longer differs", difference.subject)
        self.current = found
        self.compared += 1
        self.metrics.shadow_differences.set(len(found))
        return found

    def _post(self, difference: Difference) -> None:
        if not self.post_events or difference.ingress is None:
            return
        live = self.reconciler.state.ingresses.get(difference.ingress)
        if live is None:
            return
        namespace, name = difference.ingress
        self.events.record(
            IngressEvent(
                namespace,
                name,
                live.uid,
                live.resource_version,
                "Warning",
                "ShadowDifference",
                f"{difference.subject}: {difference.text}",
            )
        )
