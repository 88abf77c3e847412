"""Live routes: translate the Ingresses a change affects and keep Pomerium's config current.

No I/O. `Reconciler.reconcile` runs the shared translator (`translate_ingress`, the code path of
`pomgate check` and `render`) on some Ingresses, replaces their routes in the route table and says
what happened to each (those that compile regexes where the injected `isolate` puts them);
`Reconciler.document` renders the whole config, `Reconciler.fit` one under a size limit. Like upstream
(controller.md §4, §7): a failing Ingress keeps its last good routes during a run, and the initial
sync rebuilds everything from scratch, so after a restart a failing Ingress has none, unless the
runner gives it the routes the stored record had (`keep_previous`: upstream's databroker sync aborts
when it cannot fetch an Ingress's dependencies). Certificates are pruned by SAN as upstream prunes
them (`pomgate.translation.certificates.prune_unused`); `record` is the config as Pomerium's Config
message (`pomgate.controller.pomerium_config`).

With ``host_owners`` (the ``hosts:`` map of a pomgate configuration) an Ingress with a route on a host
its namespace may not serve is *refused*: it fails with the offline rule's message
(`host_ownership_violations`) and contributes no routes at all, its last good ones included. A
refusal is a decision, not a transient error that last good routes bridge, and the config must be the
same whether the replica that writes it saw the Ingress's history or started after it.
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pomgate.controller.livestate import IngressKey, LiveState
from pomgate.controller.pomerium_config import (
    EncodeError,
    config_bytes,
    config_route_field,
    encode_certificate,
    encode_route,
)
from pomgate.findings import ObjectRef
from pomgate.parallel import split_parts
from pomgate.reports.routes import config_fields, plain_value, shown_leaf
from pomgate.rules.routing.cross_namespace_host import HostOwners, HostViolation, host_ownership_violations
from pomgate.translation.certificates import PRUNE_PREFIX, CertificateError, KeyPair, parse_certificate, prune_unused
from pomgate.translation.options import TranslateOptions
from pomgate.translation.route import Route, RouteKey
from pomgate.translation.translator import compiles_regexes, translate_ingress

HEADER = b"# Pomerium routes written by `pomgate controller` from the cluster's Ingresses; edits are overwritten.\n"

#: Event texts, as the seed documentation shows them (controller.md §5).
UPDATED_MESSAGE = "updated pomerium configuration"
UPSERT_PREFIX = "upsert routes: "


@dataclass
class IngressReport:
    """What one reconcile did to one Ingress (the runner turns it into an event and a status)."""

    key: IngressKey
    #: updated | failed | removed (deleted or not managed; no event)
    state: str
    uid: str = ""
    resource_version: str = ""
    error: str | None = None
    routes: int = 0
    #: Failed because a host is not its namespace's (``hosts:``); it has no routes, not its last good ones.
    refused: bool = False

    @property
    def event_message(self) -> str:
        """The event text in the seed documentation's wording (controller.md §5).

        The seed documentation shows the controller's older texts: `updated pomerium configuration`,
        and translation errors under `upsert routes: ` with `parsing policy:` where current upstream
        code says `couldn't parse policy:`. Findings keep the current wording; events follow the docs.
        """
        if self.error is None:
            return UPDATED_MESSAGE
        if self.error.startswith(("parsing ingress: ", "config validation: ", "indexing new routes: ")):
            return UPSERT_PREFIX + self.error.replace(": couldn't parse policy: ", ": parsing policy: ", 1)
        return self.error


@dataclass
class _Entry:
    sort_key: tuple[Any, ...]
    line: bytes  # `- {json}\n`, ready to join
    host: str = ""  # the rule host (certificates are kept for the hosts routes serve)
    record: bytes = b""  # the route as a framed `Config.routes` item (databroker output only)


@dataclass
class _Certificate:
    """A TLS Secret of an Ingress as a config certificate: its list item line, key pair and encoding."""

    line: bytes
    pair: KeyPair
    record: bytes = b""


#: A translated route: (sort key, config line, rule host, framed encoded Route or b"").
_Line = tuple[tuple[Any, ...], bytes, str, bytes]
#: One Ingress translated: (managed, why not managed, error, [route lines], refused).
_Translated = tuple[bool, str | None, str | None, list[_Line], bool]
#: Starts ``work`` (the translation of ``count`` Ingresses) where it cannot hold up this process, and
#: returns what waits for its result (raising when it failed); see `pomgate.controller.isolation`.
Isolate = Callable[[Callable[[], list["_Translated | None"]], int], Callable[[], list["_Translated | None"]]]


@dataclass
class _Applied:
    """The routes and certificates of one Ingress that are in the config."""

    entries: list[_Entry]
    certificates: dict[str, _Certificate] = field(default_factory=dict)  # by "ns/name"
    #: The routes came from the config written before this process started (`keep_previous`).
    previous: bool = False


class Reconciler:
    """Route table of the live cluster, one Ingress at a time."""

    def __init__(
        self,
        options: TranslateOptions,
        *,
        base_config: Mapping[str, Any] | None = None,
        status_service: tuple[str, str] | None = None,
        isolate: Isolate | None = None,
        host_owners: HostOwners | Mapping[str, Collection[str]] | None = None,
        encode_records: bool = False,
    ) -> None:
        self.options = options
        #: Also encode each route as a `pomerium.config.Route` (the databroker output, `record`).
        self.encode_records = encode_records
        #: Who may serve which host (``hosts:``); empty: any namespace may serve any host.
        self.host_owners = host_owners if isinstance(host_owners, HostOwners) else HostOwners(host_owners or {})
        self.state = LiveState(options, status_service)
        #: Where Ingresses that compile regexes are translated (None: here, like the others).
        self.isolate = isolate
        self._applied: dict[IngressKey, _Applied] = {}
        self._sorted: list[_Entry] | None = []  # every applied route in Pomerium's order (None: sort again)
        self._route_count = 0
        self._base_text, self._base_routes, self._base_certificates = _split_base(base_config or {})
        #: Certificates of the config written before this process started, while routes from it remain.
        self._previous_certificates: dict[str, _Certificate] = {}
        self._pruned: tuple[tuple[Any, ...], set[str]] | None = None  # (inputs, names kept), see `_kept`

    # ------------------------------------------------------------------ translation
    def reconcile(self, keys: Iterable[IngressKey], *, keep_last_good: bool = True) -> list[IngressReport]:
        """Translate the Ingresses ``keys`` again; replace their routes in the table."""
        ordered = sorted(set(keys))
        costly = [key for key in ordered if self._compiles_regexes(key)] if self.isolate is not None else []
        waiting = None
        if costly and self.isolate is not None:
            waiting = self.isolate(lambda: self._translate(costly), len(costly))  # starts at once
            isolated = set(costly)
            ordered = [key for key in ordered if key not in isolated]
        reports: list[IngressReport] = []
        # Many at once (the initial sync): the second process translates half (`pomgate.parallel`);
        # this process applies its own half meanwhile.
        for part, translated in split_parts(self._translate, ordered, minimum=400):
            for key, result in zip(part, translated, strict=True):
                reports.append(self._apply(key, result, keep_last_good))
        if waiting is not None:
            try:
                results = waiting()
            except Exception as err:  # whatever stopped the isolated run fails its Ingresses, not the loop
                failed: _Translated = (True, None, f"translating its regexes did not finish: {err}", [], False)
                results = [failed] * len(costly)
            for key, result in zip(costly, results, strict=True):
                reports.append(self._apply(key, result, keep_last_good))
        return reports

    def _compiles_regexes(self, key: IngressKey) -> bool:
        """Whether Ingress ``key`` is managed and its translation compiles regexes (see `isolate`)."""
        live = self.state.ingresses.get(key)
        if live is None or not compiles_regexes(live.typed.model, self.options.prefix):
            return False
        return self.state.selector.is_managed(live.typed.model)[0]

    def _apply(self, key: IngressKey, result: _Translated | None, keep_last_good: bool) -> IngressReport:
        """Put one translated Ingress's routes in the table (or take them out); say what happened."""
        live = self.state.ingresses.get(key)
        if live is None or result is None:
            self._drop(key)
            return IngressReport(key, "removed")
        managed, unmanaged_reason, error, lines, refused = result
        report = IngressReport(key, "updated", uid=live.uid, resource_version=live.resource_version)
        if not managed:
            self._drop(key)
            report.state = "removed"
            report.error = unmanaged_reason
        elif error is not None:
            report.state = "failed"
            report.error = error
            report.refused = refused
            if refused or not keep_last_good:  # a refusal keeps nothing (see the module docstring)
                self._drop(key)
        else:
            applied = _Applied([_Entry(*line) for line in lines])
            try:
                applied.certificates = self._certificates(live.typed.model.spec, key[0])
            except CertificateError as err:  # upstream's save fails: the Ingress keeps its last good routes
                report.state, report.error = "failed", PRUNE_PREFIX + str(err)
                if not keep_last_good:
                    self._drop(key)
                return report
            self._drop(key)
            self._add(key, applied)
            report.routes = len(applied.entries)
        return report

    def _translate(self, keys: Sequence[IngressKey]) -> list[_Translated | None]:
        """The shared translator's verdict on each key, with its routes as ready config lines.

        Plain tuples, because with many keys half of them come back from the second process. An
        Ingress with a route on a host ``host_owners`` keeps from its namespace is refused.
        """
        state = self.state
        owners = self.host_owners
        results: list[_Translated | None] = []
        for key in keys:
            live = state.ingresses.get(key)
            if live is None:
                results.append(None)
                continue
            outcome = translate_ingress(live.typed, state.inventory, self.options, state.selector)
            lines: list[_Line] = []
            error = outcome.error
            if outcome.managed and error is None:
                violations = host_ownership_violations(outcome.routes, owners) if owners else []
                if violations:
                    results.append((True, None, refusal_message(violations), [], True))
                    continue
                policy_source = live.typed.model.metadata.annotation_map.get(f"{self.options.prefix}/policy")
                try:
                    lines = [
                        (route.sort_key(), _route_line(route), route.key.host, self._record(route, policy_source))
                        for route in outcome.routes
                    ]
                except EncodeError as err:
                    lines, error = [], str(err)
            results.append((outcome.managed, outcome.unmanaged_reason, error, lines, False))
        return results

    def _record(self, route: Route, policy_source: str | None) -> bytes:
        """The route as a framed `Config.routes` item when the databroker output is on, else b"".

        ``policy_source``: the Ingress's `policy` annotation text, stored as upstream stores it (`source_ppl`).
        """
        if not self.encode_records:
            return b""
        return config_route_field(encode_route(plain_value(config_fields(route), True), route.stat_name, policy_source))

    def full_sync(self, skip: Collection[IngressKey] = ()) -> list[IngressReport]:
        """Rebuild the table from scratch from every Ingress (startup) but ``skip`` (translated later)."""
        self._applied.clear()
        self._sorted = None  # many changes at once: one sort at the end beats insertions
        self._route_count = 0
        keys = [key for key in self.state.ingresses if key not in skip] if skip else list(self.state.ingresses)
        return self.reconcile(keys, keep_last_good=False)

    def _drop(self, key: IngressKey) -> None:
        applied = self._applied.pop(key, None)
        if applied is None:
            return
        self._route_count -= len(applied.entries)
        if self._sorted is None:
            return
        for entry in applied.entries:
            index = bisect.bisect_left(self._sorted, entry.sort_key, key=_sort_key)
            while self._sorted[index] is not entry:
                index += 1
            del self._sorted[index]

    def _add(self, key: IngressKey, applied: _Applied) -> None:
        self._applied[key] = applied
        self._route_count += len(applied.entries)
        if self._sorted is None:
            return
        for entry in applied.entries:
            bisect.insort(self._sorted, entry, key=_sort_key)

    def _certificates(self, spec: Any, namespace: str) -> dict[str, _Certificate]:
        """`kubernetes.io/tls` Secrets of ``spec.tls`` as config certificates (base64 PEM in config.yaml).

        Raises `CertificateError` when one does not parse (upstream's save fails then).
        """
        found: dict[str, _Certificate] = {}
        for tls in spec.tls if spec is not None else ():
            typed = self.state.inventory.secrets.get((namespace, tls.secretName))
            if typed is None or typed.model.effective_type != "kubernetes.io/tls":
                continue
            data, _bad = typed.model.decoded_data()
            cert, key = data.get("tls.crt"), data.get("tls.key")
            if cert and key:
                parse_certificate(cert)
                name = f"{namespace}/{tls.secretName}"
                found[name] = _Certificate(
                    _json_line({"cert": base64.b64encode(cert).decode(), "key": base64.b64encode(key).decode()}),
                    KeyPair(name, cert, key),
                    encode_certificate(cert, key) if self.encode_records else b"",
                )
        return found

    def keep_previous(
        self,
        keys: Collection[IngressKey],
        routes: Sequence[Mapping[str, Any]],
        certificates: Sequence[bytes],
        records: Sequence[bytes] | None = None,
    ) -> list[IngressKey]:
        """Give Ingresses ``keys`` (failing, without routes) their routes from the config written before.

        Upstream's initial sync writes nothing when it cannot fetch an Ingress's dependencies; the
        per-Ingress reconciles that follow start from the stored config, so a failing Ingress keeps the
        routes it had before the restart. ``routes`` are that config's routes (config.yaml mappings,
        each with its `id`), ``certificates`` its encoded `Settings.Certificate` items (kept, pruned as
        usual, until no Ingress has routes from before), ``records`` (optional) the stored encoding of
        each route, kept byte for byte (its `stat_name`, `source_ppl` and Rego as they were written).
        Returns the Ingresses that got routes.
        """
        stored = list(records) if records is not None else [None] * len(routes)
        by_ingress: dict[IngressKey, list[tuple[Mapping[str, Any], bytes | None]]] = {}
        for previous, record in zip(routes, stored, strict=True):
            identity = _route_key(previous)
            if identity is not None and (identity.namespace, identity.ingress) in keys:
                by_ingress.setdefault((identity.namespace, identity.ingress), []).append((previous, record))
        kept: list[IngressKey] = []
        for key, found in sorted(by_ingress.items()):
            if key in self._applied or key not in self.state.ingresses:
                continue
            entries = []
            for fields, stored_record in found:
                route_key = _route_key(fields)
                assert route_key is not None
                route = Route(key=route_key, ingress=ObjectRef("Ingress", *key), fields=dict(fields))
                record = b""
                if self.encode_records:
                    record = config_route_field(stored_record if stored_record is not None else encode_route(fields))
                entries.append(_Entry(route.sort_key(), _json_line(fields), route_key.host, record))
            self._add(key, _Applied(entries, previous=True))
            kept.append(key)
        if kept:
            for index, encoded in enumerate(certificates):
                cert = _certificate_pair(encoded)
                self._previous_certificates[f"(previous config)/{index}"] = _Certificate(
                    _json_line({"cert": base64.b64encode(cert[0]).decode(), "key": base64.b64encode(cert[1]).decode()}),
                    KeyPair(f"(previous config)/{index}", *cert),
                    encoded,
                )
        return kept

    # ------------------------------------------------------------------ output
    def applied_keys(self) -> list[IngressKey]:
        """The Ingresses whose routes are in the config."""
        return list(self._applied)

    def is_applied(self, key: IngressKey) -> bool:
        """Whether Ingress ``key`` has routes in the config."""
        return key in self._applied

    @property
    def route_count(self) -> int:
        return self._route_count

    def document(self, leave_out: Collection[IngressKey] = ()) -> bytes:
        """The whole config.yaml: the base config, then `routes` (Pomerium's order), then `certificates`.

        Each route is one line in JSON flow style (valid YAML), so the file diffs per route and is
        cheap to rebuild from the per-Ingress lines that a change did not touch. The Ingresses in
        ``leave_out`` are left out (see `fit`).
        """
        if self._sorted is None:
            self._sorted = [entry for applied in self._applied.values() for entry in applied.entries]
            self._sorted.sort(key=_sort_key)
        entries = self._sorted
        if leave_out:
            skipped = {id(entry) for key in leave_out if key in self._applied for entry in self._applied[key].entries}
            entries = [entry for entry in entries if id(entry) not in skipped]
        parts = [HEADER, self._base_text]
        if self._base_routes or entries:
            parts.append(b"routes:\n")
            parts.extend(self._base_routes)
            parts.extend([entry.line for entry in entries])
        else:
            parts.append(b"routes: []\n")
        certificates = self._kept_certificates(leave_out)
        if self._base_certificates or certificates:
            parts.append(b"certificates:\n")
            parts.extend(self._base_certificates)
            parts.extend(certificates[name].line for name in sorted(certificates))
        return b"".join(parts)

    def record(self) -> bytes:
        """The whole config as an encoded `pomerium.config.Config` (routes in Pomerium's order, then the
        certificates in use), as upstream writes it to the databroker; the base config is not in it."""
        if self._sorted is None:
            self.document()
        assert self._sorted is not None
        certificates = self._kept_certificates(())
        certificate_records = [cert.record for cert in certificates.values()]
        return config_bytes([entry.record for entry in self._sorted], certificate_records, framed=True)

    def config_routes(self) -> list[dict[str, Any]]:
        """The Ingresses' routes in Pomerium's order as config.yaml mappings (secrets shown)."""
        if self._sorted is None:
            self.document()
        assert self._sorted is not None
        return [json.loads(entry.line[2:]) for entry in self._sorted]

    def config_certificates(self) -> list[tuple[bytes, bytes]]:
        """(certificate PEM, key PEM) of the certificates in the config (pruned as upstream prunes)."""
        return [(cert.pair.certificate, cert.pair.key) for cert in self._kept_certificates(()).values()]

    def _kept_certificates(self, leave_out: Collection[IngressKey]) -> dict[str, _Certificate]:
        """The Ingresses' certificates (but ``leave_out``'s) that serve a route host, as upstream prunes
        them (`prune_unused`: SAN DNS names; a CN-only certificate serves nothing)."""
        certificates: dict[str, _Certificate] = {}
        hosts: set[str] = set()
        any_previous = False
        for key, applied in self._applied.items():
            if key in leave_out:
                continue
            any_previous = any_previous or applied.previous
            if applied.certificates:
                certificates.update(applied.certificates)
            hosts.update(entry.host for entry in applied.entries)
        if any_previous:
            certificates.update(self._previous_certificates)
        else:
            self._previous_certificates.clear()  # no routes from before remain
        if not certificates:
            return {}
        inputs = (tuple((name, cert.pair.certificate) for name, cert in sorted(certificates.items())), frozenset(hosts))
        if self._pruned is None or self._pruned[0] != inputs:
            kept = prune_unused([cert.pair for cert in certificates.values()], hosts)
            self._pruned = (inputs, {pair.name for pair in kept})
        names = self._pruned[1]
        return {name: cert for name, cert in certificates.items() if name in names}

    def fit(self, limit: int) -> tuple[bytes, list[tuple[IngressKey, int]]]:
        """The config in at most ``limit`` bytes: the Ingresses that add the most left out first.

        Returns the config and the left-out Ingresses with the bytes each added (its routes and the
        certificates no other Ingress brings), largest first. The config is still over ``limit`` when
        even the base config alone is.
        """
        document = self.document()
        if len(document) <= limit:
            return document, []
        users: dict[str, int] = {}
        for applied in self._applied.values():
            for name in applied.certificates:
                users[name] = users.get(name, 0) + 1
        sizes = {
            key: sum(len(entry.line) for entry in applied.entries)
            + sum(len(cert.line) for name, cert in applied.certificates.items() if users[name] == 1)
            for key, applied in self._applied.items()
        }
        shared = {name for name, count in users.items() if count > 1}
        left_out: list[tuple[IngressKey, int]] = []
        excluded: set[IngressKey] = set()
        estimate = len(document)
        for key in sorted(sizes, key=lambda key: (-sizes[key], key)):
            if estimate <= limit:  # the estimate leaves out a few bytes of headers: render to be sure
                document = self.document(excluded)
                if len(document) <= limit:
                    return document, left_out
            excluded.add(key)
            left_out.append((key, sizes[key]))
            estimate -= sizes[key]
            for name, cert in self._applied[key].certificates.items():
                users[name] -= 1
                if users[name] == 0 and name in shared:  # the last Ingress that brought it
                    estimate -= len(cert.line)
        return self.document(excluded), left_out


def refusal_message(violations: Sequence[HostViolation]) -> str:
    """The UpdateError text of an Ingress refused for ``violations`` (one sentence per host, in order)."""
    by_host: dict[str, str] = {}
    for violation in violations:
        by_host.setdefault(violation.host, violation.message)
    return "; ".join(by_host.values()) + "; the Ingress is refused: none of its routes are served"


def _route_key(route: Mapping[str, Any]) -> RouteKey | None:
    """The identity in a route's `id` (``{"n":..,"ns":..,"h":..,"p":..}``), or None if it has none."""
    try:
        parsed = json.loads(str(route.get("id") or ""))
    except ValueError:
        return None
    if not isinstance(parsed, dict) or not {"n", "ns", "h", "p"} <= parsed.keys():
        return None
    return RouteKey(str(parsed["ns"]), str(parsed["n"]), str(parsed["h"]), str(parsed["p"]))


def _certificate_pair(encoded: bytes) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of an encoded `Settings.Certificate`."""
    from pomgate.controller import protos

    message = protos.Certificate.FromString(encoded)
    return bytes(message.cert_bytes), bytes(message.key_bytes)


def _sort_key(entry: _Entry) -> tuple[Any, ...]:
    return entry.sort_key


#: Config lines are JSON flow style; Secret values are written (the config must hold them).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), default=shown_leaf)


def _route_line(route: Route) -> bytes:
    """One route as a config list item: `route_config(route, show_secrets=True)` without the copy."""
    return _json_line(config_fields(route))


def _json_line(value: Any) -> bytes:
    """One YAML list item holding ``value`` in JSON flow style."""
    return b"- " + _ENCODER.encode(value).encode("utf-8") + b"\n"


def _split_base(base: Mapping[str, Any]) -> tuple[bytes, list[bytes], list[bytes]]:
    """The base config without `routes`/`certificates` as YAML, and those two as JSON lines."""
    rest = {key: value for key, value in base.items() if key not in ("routes", "certificates")}
    routes = [_json_line(route) for route in base.get("routes") or []]
    certificates = [_json_line(cert) for cert in base.get("certificates") or []]
    text = b""
    if rest:
        import yaml

        dumped = yaml.safe_dump(rest, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096)
        text = dumped.encode("utf-8")
    return text, routes, certificates


def check_base_config(document: Any, where: str) -> dict[str, Any]:
    """A base config must be a mapping whose `routes`/`certificates` (if any) are lists of mappings."""
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ValueError(f"{where}: a Pomerium config must be a mapping, got {type(document).__name__}")
    for key in ("routes", "certificates"):
        value = document.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, dict) for v in value)):
            raise ValueError(f"{where}: `{key}` must be a list of mappings")
    return dict(document)
