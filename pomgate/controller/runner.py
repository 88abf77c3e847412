"""`pomgate controller`: watch the cluster, translate, write Pomerium's config.

One asyncio loop. Reflectors feed watch events into `Reconciler.state`; the main loop translates
the Ingresses each batch of events affects and, while this replica holds the Lease, writes the
config (only when it changed), posts events and updates Ingress status. Nothing is written before
every watched kind has been listed once, so a restart never writes an empty config.

No tenant stalls the others: translation runs in a worker thread (the probes, watches and events
go on meanwhile; watch events wait in a buffer until it ends), and Ingresses that compile regexes
in a forked child (RE2 holds the GIL while it compiles), each within its budget
(`TranslateOptions.ingress_budget`); a config over its target's size limit leaves out the Ingresses
that add the most and writes the rest; Secrets no Ingress refers to are kept without their data.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from aiohttp import web

from pomgate.controller import protos
from pomgate.controller.databroker import (
    DatabrokerClient,
    DatabrokerConfigWriter,
    DatabrokerError,
    DatabrokerLeaseElector,
    DatabrokerSettings,
)
from pomgate.controller.events import EventRecorder, IngressEvent
from pomgate.controller.isolation import release_free_memory, start_isolated
from pomgate.controller.kubeclient import (
    ENDPOINTS,
    INGRESS_CLASSES,
    INGRESSES,
    SECRETS,
    SERVICES,
    ApiError,
    ClusterConfig,
    KubeClient,
    Resource,
)
from pomgate.controller.leader import LeaseElector
from pomgate.controller.livestate import Change, IngressKey
from pomgate.controller.metrics import Metrics
from pomgate.controller.output import ConfigWriter, FileConfigWriter, SecretConfigWriter
from pomgate.controller.pomerium_config import decode_route
from pomgate.controller.reconciler import IngressReport, Reconciler
from pomgate.controller.reflector import Backoff, Reflector
from pomgate.controller.shadow import ShadowReporter
from pomgate.controller.status import StatusWriter, missing_service_message
from pomgate.translation.options import TranslateOptions

log = logging.getLogger("pomgate.controller")
T = TypeVar("T")
Params = ParamSpec("Params")

#: Upstream reads core/v1 Endpoints only: a Service with only EndpointSlices fails live (`endpoints "x" not found`).
WATCHED: tuple[Resource, ...] = (INGRESS_CLASSES, INGRESSES, SERVICES, ENDPOINTS, SECRETS)
#: Error chains of the fetch stage: one of them in the initial sync aborts it upstream (controller.md §7).
FETCH_ERRORS = ("tls: get secret ", "services: ")
#: Secrets are listed this many at a time: each page is sorted (data kept or dropped) before the next
#: arrives, so memory holds one page of other teams' Secrets at most (a Secret holds up to 1 MiB).
SECRET_PAGE = 25
#: Seconds an isolated translation may take beyond its Ingresses' budgets before its process is killed.
ISOLATION_MARGIN = 10.0
ISOLATION_MARGIN_PER_INGRESS = 2.0
#: Seconds after a Secret event before the memory its data took is handed back to the system.
RELEASE_DELAY = 0.2


@dataclass
class ControllerSettings:
    """The parsed command line of `pomgate controller`."""

    cluster: ClusterConfig
    options: TranslateOptions
    config_file: Path | None = None
    base_config: dict[str, Any] = field(default_factory=dict)
    #: The ``hosts:`` map of --hosts-config: host pattern -> namespaces allowed to serve it (empty: any).
    host_owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    config_secret: tuple[str, str] | None = None
    status_service: tuple[str, str] | None = None
    health_address: tuple[str, int] | None = ("", 8081)
    metrics_address: tuple[str, int] | None = ("", 8080)
    leader_election: bool = True
    lease_namespace: str = "default"
    lease_name: str = "pomgate-ingress-controller"
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    identity: str = ""
    watch_timeout: int = 300
    #: Write to (or, with ``shadow``, only read from) Pomerium's databroker.
    databroker: DatabrokerSettings | None = None
    #: Compare with the record another controller wrote; write nothing (`pomgate.controller.shadow`).
    shadow: bool = False
    shadow_events: bool = False
    shadow_interval: float = 10.0


class Controller:
    """The running controller (see the module docstring)."""

    def __init__(
        self, settings: ControllerSettings, client: KubeClient, databroker: DatabrokerClient | None = None
    ) -> None:
        self.settings = settings
        self.client = client
        self.databroker = databroker
        self.metrics = Metrics()
        writes_record = databroker is not None and not settings.shadow
        self.reconciler = Reconciler(
            settings.options,
            base_config=settings.base_config,
            status_service=settings.status_service,
            isolate=self._isolate,
            host_owners=settings.host_owners,
            encode_records=writes_record,
        )
        #: Ingresses whose status could not be written in a bulk sync (the proxy Service was missing).
        self._status_failed: set[IngressKey] = set()
        self.pending: set[IngressKey] = set()
        self.status_refresh = False
        self.wake = asyncio.Event()
        self.synced = False
        #: Secrets an Ingress started to refer to whose data was not kept: GET them before translating.
        self.fetch_pending: set[tuple[str, str]] = set()
        #: Of those, the ones whose GET failed (retried after a backoff); their Ingresses wait meanwhile.
        self._fetch_failed: set[tuple[str, str]] = set()
        self._fetch_backoff = Backoff(first=0.5, ceiling=30.0)
        #: Watch events that arrive while a translation runs in the worker thread (applied after it).
        self._buffered: list[tuple[str, str, dict[str, Any]]] | None = None
        #: Ingresses left out of the last config written (too large for its target), with the reason.
        self.left_out: dict[IngressKey, str] = {}
        self._write_error: str | None = None
        self._release_scheduled = False
        self.events = EventRecorder(client, self.metrics, instance=settings.identity)
        self.status = (
            StatusWriter(client, self.reconciler.state, self.metrics, settings.status_service)
            if settings.status_service
            else None
        )
        self.writers: list[ConfigWriter] = []
        self.shadow: ShadowReporter | None = None
        if settings.shadow:
            assert databroker is not None
            self.shadow = ShadowReporter(databroker, self.reconciler, self.metrics, self.events, settings.shadow_events)
        else:
            if settings.config_file is not None:
                self.writers.append(FileConfigWriter(settings.config_file))
            if settings.config_secret is not None:
                self.writers.append(SecretConfigWriter(client, *settings.config_secret))
            if databroker is not None:
                self.writers.append(DatabrokerConfigWriter(databroker))
        self.elector: LeaseElector | DatabrokerLeaseElector | None = None
        if settings.shadow:
            self.metrics.leader.set(0)
        elif settings.leader_election and databroker is not None and settings.databroker is not None:
            self.elector = DatabrokerLeaseElector(
                databroker,
                self.metrics,
                duration=settings.databroker.lease_duration,
                on_change=self._leadership_changed,
            )
        elif settings.leader_election:
            self.elector = LeaseElector(
                client,
                settings.lease_namespace,
                settings.lease_name,
                settings.identity,
                self.metrics,
                lease_duration=settings.lease_duration,
                renew_deadline=settings.renew_deadline,
                retry_period=settings.retry_period,
                on_change=self._leadership_changed,
            )
        else:
            self.metrics.leader.set(1)
        self.reflectors = self._reflectors()
        self._write_pending = False
        self._was_leader = False
        self._unannounced: dict[IngressKey, IngressReport] = {}

    # ------------------------------------------------------------------ wiring
    def _reflectors(self) -> list[Reflector]:
        namespaces = sorted(self.settings.options.namespaces)
        reflectors: list[Reflector] = []
        ingresses_listed: list[asyncio.Event] = []
        for resource in WATCHED:
            scopes: list[str | None] = [None] if not resource.namespaced or not namespaces else list(namespaces)
            if resource is SERVICES and namespaces and self.settings.status_service:
                status_namespace = self.settings.status_service[0]
                if status_namespace not in namespaces:
                    scopes.append(status_namespace)
            for scope in scopes:
                secrets = resource is SECRETS
                reflector = Reflector(
                    self.client,
                    resource,
                    self._on_event,
                    self.metrics,
                    namespace=scope,
                    watch_timeout=self.settings.watch_timeout,
                    page_size=SECRET_PAGE if secrets else None,
                    # Secrets after Ingresses: which to keep whole is known while they are listed.
                    after=ingresses_listed if secrets else (),
                )
                if resource is INGRESSES:
                    ingresses_listed.append(reflector.synced)
                reflectors.append(reflector)
        return reflectors

    def _on_event(self, kind: str, event_type: str, obj: dict[str, Any]) -> None:
        if kind == "Secret" and not self._release_scheduled:
            self._release_scheduled = True  # its data (up to 1 MiB) is dropped, or replaces older data
            asyncio.get_running_loop().call_later(RELEASE_DELAY, self._release_memory)
        if self._buffered is not None:  # the worker thread is reading the state: apply it afterwards
            if kind == "Secret":
                obj = self.reconciler.state.without_data(obj)  # (reads the state; the thread only reads)
            self._buffered.append((kind, event_type, obj))
            return
        self._take(self.reconciler.state.apply(kind, event_type, obj))

    def _take(self, change: Change) -> None:
        """Queue what a change of the state means: Ingresses to translate, Secrets to fetch, status."""
        if change.ingresses or change.status_source or change.fetch:
            self.pending |= change.ingresses
            self.fetch_pending |= change.fetch
            self.status_refresh = self.status_refresh or change.status_source
            self.wake.set()

    async def _off_the_loop(self, work: Callable[Params, T], *args: Params.args, **kwargs: Params.kwargs) -> T:
        """Run ``work`` (translation) in a worker thread; the loop serves probes and watches meanwhile.

        Watch events wait in a buffer, so the thread reads a state that does not change under it.
        """
        self._buffered = []
        try:
            result = await asyncio.to_thread(work, *args, **kwargs)
        except asyncio.CancelledError:
            raise  # shutting down, and the thread may still be reading: the events stay where they are
        finally:
            if not _cancelling():
                buffered, self._buffered = self._buffered, None
                for event in buffered:
                    self._on_event(*event)
        return result

    async def _fetch_secrets(self) -> None:
        """GET the Secrets in ``fetch_pending`` that are still unfetched; note the ones that failed."""
        state = self.reconciler.state
        wanted = sorted(secret for secret in self.fetch_pending if state.is_unfetched(secret))
        self.fetch_pending = set()
        for secret, ok in zip(wanted, await asyncio.gather(*map(self._fetch_secret, wanted)), strict=True):
            if ok:
                self._fetch_failed.discard(secret)
            else:
                self._fetch_failed.add(secret)

    async def _fetch_secret(self, secret: tuple[str, str]) -> bool:
        """GET one Secret whose data was dropped when no Ingress referred to it; False on an API error."""
        state = self.reconciler.state
        version = state.secret_versions.get(secret, "")
        try:
            obj: dict[str, Any] | None = await self.client.get(SECRETS, *secret)
        except ApiError as err:
            if not err.not_found:
                self.metrics.errors.inc(stage="fetch")
                log.warning("get secret %s/%s: %s", secret[0], secret[1], err)
                return False
            obj = None
        if obj is not None:
            obj.setdefault("apiVersion", "v1")
            obj.setdefault("kind", "Secret")
        self._take(state.fetched_secret(secret, version, obj))
        return True

    async def _ready_to_translate(self) -> tuple[set[IngressKey], set[IngressKey]]:
        """Fetch the Secrets pending Ingresses need: (Ingresses to translate now, those that wait).

        An Ingress whose Secret could not be fetched is not translated without it (the translation
        would call it missing): it waits, and is retried after a backoff.
        """
        if self.fetch_pending:
            await self._fetch_secrets()
        keys, self.pending = self.pending, set()
        state = self.reconciler.state
        self._fetch_failed = {secret for secret in self._fetch_failed if state.is_unfetched(secret)}
        if not self._fetch_failed:
            self._fetch_backoff.reset()
            return keys, set()
        waiting = {key for key in keys if state.unfetched_secrets(key) & self._fetch_failed}
        if waiting:
            asyncio.get_running_loop().call_later(self._fetch_backoff.next(), self._retry, waiting)
        return keys - waiting, waiting

    def _retry(self, keys: set[IngressKey]) -> None:
        state = self.reconciler.state
        self._take(Change(ingresses=keys, fetch={s for key in keys for s in state.unfetched_secrets(key)}))

    def _release_memory(self) -> None:
        self._release_scheduled = False
        release_free_memory()

    def _isolate(self, work: Callable[[], T], count: int) -> Callable[[], T]:
        """Start translating ``count`` Ingresses that compile regexes in a child process (`isolation`).

        RE2 holds the GIL while it compiles; in a child it cannot hold up the probes. The child gets
        each Ingress's budget and a margin before it is killed (its Ingresses then fail).
        """
        budget = self.settings.options.ingress_budget
        timeout = None if budget is None else ISOLATION_MARGIN + count * (budget + ISOLATION_MARGIN_PER_INGRESS)
        return start_isolated(work, timeout)

    def _leadership_changed(self, leader: bool) -> None:
        if leader:
            self._write_pending = True  # the new leader writes what it has (if it differs)
        self.wake.set()

    async def _all_listed(self) -> None:
        for reflector in self.reflectors:
            await reflector.synced.wait()

    @property
    def is_leader(self) -> bool:
        if self.shadow is not None:
            return False
        return self.elector is None or self.elector.is_leader

    def readiness(self) -> tuple[bool, str]:
        """Ready once every watched kind was listed, as leader or hot standby (see deploy/README.md).

        A leader whose last write failed is not ready: the config Pomerium reads is not the cluster's.
        """
        if not self.synced:
            return False, "waiting for the initial list of every watched kind"
        if self.shadow is not None:
            return True, "ok (shadow: comparing with the databroker record, writing nothing)"
        if not self.is_leader:
            if isinstance(self.elector, DatabrokerLeaseElector):
                return False, "waiting for databroker lease"  # upstream's readiness (controller.md §1)
            return True, "ok (standby)"
        if self._write_error is not None:
            return False, f"config not written: {self._write_error}"
        if self.left_out:
            return True, f"ok (leader); left out of the config (over its size limit): {len(self.left_out)} Ingress(es)"
        return True, "ok (leader)"

    # ------------------------------------------------------------------ main loop
    async def run(self) -> None:
        tasks = [asyncio.create_task(reflector.run(), name=f"watch {reflector.label}") for reflector in self.reflectors]
        tasks.append(asyncio.create_task(self.events.run(), name="events"))
        if self.elector is not None:
            tasks.append(asyncio.create_task(self.elector.run(), name="lease"))
        if self.status is not None:
            tasks.append(asyncio.create_task(self.status.run(), name="status"))
        if self.shadow is not None:
            tasks.append(asyncio.create_task(self.shadow.run(self.settings.shadow_interval), name="shadow"))
        try:
            await self._main(tasks)
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _main(self, tasks: list[asyncio.Task[Any]]) -> None:
        started = time.monotonic()
        # The initial lists build every object the controller keeps; a full collection in between
        # would walk all of them again, many times. Collect normally once they are frozen below.
        collecting = gc.isenabled()
        gc.disable()
        listed = asyncio.create_task(self._all_listed())
        done, _ = await asyncio.wait([listed, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if listed not in done:
            listed.cancel()
            for task in done:
                task.result()  # a watcher or helper died: raise its error
            raise RuntimeError("a background task ended before the initial list")
        # Everything listed: build the routes from scratch (controller.md §7).
        _ready, waiting = await self._ready_to_translate()
        self.pending.clear()
        self.status_refresh = False
        reports = await self._off_the_loop(self.reconciler.full_sync, skip=waiting)
        await self._keep_previous_routes(reports)
        # The cluster's objects live as long as the process: keep the cyclic collector from walking
        # them on every full collection (at 10k Ingresses that walk is a 100 ms pause).
        gc.freeze()
        if collecting:
            gc.enable()
        release_free_memory()  # what the lists passed through (other teams' Secrets) goes back now
        self.synced = True
        log.info(
            "initial sync: %d Ingresses, %d routes in %.2fs",
            len(self.reconciler.state.ingresses),
            self.reconciler.route_count,
            time.monotonic() - started,
        )
        await self._publish(reports, time.monotonic(), initial=True)
        backoff = Backoff(first=0.5, ceiling=30.0)
        while True:
            if not self.pending and not self.status_refresh and not self._write_pending and not self.fetch_pending:
                self.wake.clear()
                await self._wait_for_work(tasks)
            batch_started = time.monotonic()
            await asyncio.sleep(0)  # let the events that arrived together join one batch
            keys, _waiting = await self._ready_to_translate()
            refresh, self.status_refresh = self.status_refresh, False
            reports = await self._off_the_loop(self.reconciler.reconcile, keys) if keys else []
            ok = await self._publish(reports, batch_started, status_refresh=refresh)
            if ok:
                backoff.reset()
            else:
                await asyncio.sleep(backoff.next())

    async def _keep_previous_routes(self, reports: list[IngressReport]) -> None:
        """Upstream's initial sync writes nothing when an Ingress's dependencies cannot be fetched; the
        reconciles after it start from the stored record, so failing Ingresses keep its routes."""
        writer = next((w for w in self.writers if isinstance(w, DatabrokerConfigWriter)), None)
        if writer is None:
            return
        failing = {r.key for r in reports if r.state == "failed" and (r.error or "").startswith(FETCH_ERRORS)}
        if not failing:
            return
        failing |= {r.key for r in reports if r.state == "failed"}
        try:
            previous = await writer.client.get_config()
        except DatabrokerError as err:
            log.warning("initial sync: could not read the previous config to keep failing Ingresses' routes: %s", err)
            return
        if previous is None:
            return
        config = protos.Config.FromString(previous)
        routes = [decode_route(route) for route in config.routes]
        records = [bytes(route.SerializeToString(deterministic=True)) for route in config.routes]
        certificates = [bytes(cert.SerializeToString()) for cert in config.settings.certificates]
        for key in self.reconciler.keep_previous(failing, routes, certificates, records):
            log.info("ingress %s/%s: kept its routes from the stored config (initial sync failed to fetch)", *key)

    async def _wait_for_work(self, tasks: list[asyncio.Task[Any]]) -> None:
        wake = asyncio.create_task(self.wake.wait())
        try:
            done, _ = await asyncio.wait([wake, *tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
        for task in done:
            if task is not wake and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _publish(
        self, reports: list[IngressReport], started: float, *, initial: bool = False, status_refresh: bool = False
    ) -> bool:
        """Count, write (leader only), then events and status. False when the write failed."""
        for report in reports:
            self.metrics.reconciles.inc(result=report.state)
            if report.state == "failed":
                log.warning("ingress %s/%s: %s", report.key[0], report.key[1], report.event_message)
        self._update_gauges()
        leader = self.is_leader
        if not leader:
            # A standby posts nothing; it keeps the latest outcome per Ingress and posts those when it
            # takes over (as upstream's new leader does after its bulk sync).
            for report in reports:
                self._unannounced[report.key] = report
            self._was_leader = False
            self._write_pending = False
            if self.shadow is not None:
                self.shadow.request()
            return True
        became_leader = not self._was_leader
        self._was_leader = True
        if self._unannounced:
            fresh = {report.key for report in reports}
            reports = [r for key, r in sorted(self._unannounced.items()) if key not in fresh] + reports
            self._unannounced.clear()
        previously_left_out = self.left_out
        wrote = await self._write(started)
        if not wrote:
            self._write_pending = True
            for report in reports:
                if report.state == "updated":
                    report.state, report.error = "failed", f"saving config: {self._last_write_error}"
        else:
            self._write_pending = False
            reports = self._account_left_out(reports, previously_left_out)
            if (initial or became_leader) and self.status is not None:
                reports = self._status_verdicts(reports)
            elif (
                status_refresh and self._status_failed and self.status is not None and self.status.wanted() is not None
            ):
                reports = reports + [
                    r for key in sorted(self._status_failed) for r in self._state_report(key, "updated", None)
                ]
                self._status_failed.clear()
        for report in reports:
            if report.state == "removed":
                continue
            namespace, name = report.key
            self.events.record(
                IngressEvent(
                    namespace,
                    name,
                    report.uid,
                    report.resource_version,
                    "Normal" if report.state == "updated" else "Warning",
                    "Updated" if report.state == "updated" else "UpdateError",
                    report.event_message,
                )
            )
        if self.status is not None and wrote:
            if initial or became_leader or status_refresh:
                keys = [key for key in self.reconciler.applied_keys() if key not in self.left_out]
            else:
                keys = [report.key for report in reports if report.state == "updated"]
            if keys:
                self.status.request(keys)
        return wrote

    def _status_verdicts(self, reports: list[IngressReport]) -> list[IngressReport]:
        """A bulk sync upstream fails each Ingress whose status it cannot write (the proxy Service is
        missing) with `update /status: ...` instead of `Updated`; it is retried when the Service appears."""
        assert self.status is not None
        if self.status.wanted() is not None:
            return reports
        message = missing_service_message(self.status.source)
        for report in reports:
            if report.state == "updated":
                report.state, report.error = "failed", message
                self._status_failed.add(report.key)
        return reports

    def _account_left_out(self, reports: list[IngressReport], previously: dict[IngressKey, str]) -> list[IngressReport]:
        """Reports for what the size limit changed: Ingresses left out fail, ones back in are updated.

        An Ingress left out again for the same reason gets no new event unless it changed itself.
        """
        by_key = {report.key: report for report in reports}
        extra: list[IngressReport] = []
        for key, reason in sorted(self.left_out.items()):
            report = by_key.get(key)
            if report is not None:
                if report.state == "updated":
                    report.state, report.error, report.routes = "failed", reason, 0
            elif key not in previously:
                extra.extend(self._state_report(key, "failed", reason))
            if key not in previously:
                log.warning("ingress %s/%s left out of the config: %s", key[0], key[1], reason)
        for key in sorted(previously.keys() - self.left_out.keys()):
            if key not in by_key and self.reconciler.is_applied(key):
                extra.extend(self._state_report(key, "updated", None))
        return reports + extra

    def _state_report(self, key: IngressKey, state: str, error: str | None) -> list[IngressReport]:
        """A report on a live Ingress that was not translated in this batch (none if it is gone)."""
        live = self.reconciler.state.ingresses.get(key)
        if live is None:
            return []
        return [IngressReport(key, state, uid=live.uid, resource_version=live.resource_version, error=error)]

    _last_write_error = ""

    async def _write(self, started: float) -> bool:
        """Write the config to every target; a target with a size limit gets it without the largest
        Ingresses when it is over (`left_out`). False when a target could not be written."""
        rendered = time.monotonic()
        # The YAML document only for the file/Secret outputs; the record is built from its own encodings.
        only_record = all(writer.kind == "record" for writer in self.writers)
        document = b"" if only_record else self.reconciler.document()
        log.debug(
            "config rendered in %.1f ms (batch started %.1f ms ago)",
            1000 * (time.monotonic() - rendered),
            1000 * (rendered - started),
        )
        ok = True
        left_out: dict[IngressKey, str] = {}
        for writer in self.writers:
            content = document
            try:
                if writer.kind == "record":
                    content = self.reconciler.record()
                    log.debug("record built %.1f ms after the batch started", 1000 * (time.monotonic() - started))
                elif writer.limit is not None and len(document) > writer.limit:
                    content, dropped = self.reconciler.fit(writer.limit)
                    for key, size in dropped:
                        left_out.setdefault(key, _left_out_reason(writer.target, writer.limit, len(document), size))
                if await writer.write(content):
                    self.metrics.config_writes.inc(target=writer.target.split()[0])
                    log.info("wrote %s (%d routes, %d bytes)", writer.target, self.reconciler.route_count, len(content))
            except (ApiError, OSError, DatabrokerError) as err:
                ok = False
                self._last_write_error = f"{writer.target}: {err}"
                self.metrics.errors.inc(stage="write")
                log.error("writing %s failed: %s", writer.target, err)
        log.debug("config written %.1f ms after the batch started", 1000 * (time.monotonic() - started))
        self._write_error = None if ok else self._last_write_error
        if ok:
            self.left_out = left_out
            self.metrics.ingresses.set(len(left_out), state="left_out")
            self.metrics.last_write.set(time.time())
            self.metrics.reconcile_seconds.observe(time.monotonic() - started)
        return ok

    def _update_gauges(self) -> None:
        self.metrics.routes.set(self.reconciler.route_count)
        self.metrics.ingresses.set(len(self.reconciler.state.ingresses), state="seen")
        self.metrics.ingresses.set(len(self.reconciler.applied_keys()), state="routed")
        self.metrics.ingresses.set(len(self.left_out), state="left_out")


def _cancelling() -> bool:
    """Whether the running task is being cancelled."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _left_out_reason(target: str, limit: int, size: int, share: int) -> str:
    """The UpdateError text of an Ingress left out of a config over its target's size limit."""
    return (
        f"saving config: {target}: the config is {size:,} bytes, over the {limit:,} a Kubernetes Secret holds; "
        f"this Ingress adds {share:,} bytes, among the most, so its routes were left out and the others' written "
        "(a --config-file on a shared volume has no size limit)"
    )


# ---------------------------------------------------------------------- HTTP endpoints


async def start_http(controller: Controller) -> list[web.AppRunner]:
    """Probes on the health address, metrics on the metrics address (the same server if they match)."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def startupz(_request: web.Request) -> web.Response:
        return web.Response(text="ok\n")  # upstream: the process is up (its manifests probe it)

    async def readyz(_request: web.Request) -> web.Response:
        ready, why = controller.readiness()
        return web.Response(text=why + "\n", status=200 if ready else 503)

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(
            text=controller.metrics.exposition(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    settings = controller.settings
    apps: dict[tuple[str, int], web.Application] = {}
    if settings.health_address is not None:
        app = apps.setdefault(settings.health_address, web.Application())
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/startupz", startupz)
        app.router.add_get("/readyz", readyz)
    if settings.metrics_address is not None:
        app = apps.setdefault(settings.metrics_address, web.Application())
        app.router.add_get("/metrics", metrics)
    runners = []
    for (host, port), app in apps.items():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host or None, port).start()
        runners.append(runner)
        log.info(
            "serving %s on %s:%d",
            ", ".join(sorted({r.resource.canonical for r in app.router.routes() if r.resource is not None})),
            host or "*",
            port,
        )
    return runners


async def run_controller(settings: ControllerSettings) -> None:
    """Run until SIGTERM/SIGINT; release the Lease on the way out."""
    if not settings.identity:
        host = os.environ.get("HOSTNAME") or socket.gethostname()  # the pod name in a cluster
        settings.identity = f"{host}_{uuid.uuid4().hex[:8]}"
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with KubeClient(settings.cluster, user_agent=f"pomgate-controller/{os.getpid()}") as client:
        databroker = DatabrokerClient(settings.databroker) if settings.databroker is not None else None
        controller = Controller(settings, client, databroker)
        runners = await start_http(controller)
        log.info(
            "controller %s started: watching %s as %s",
            settings.options.controller_name,
            ", ".join(sorted(settings.options.namespaces)) or "all namespaces",
            settings.identity,
        )
        main = asyncio.create_task(controller.run())
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([main, stopper], return_when=asyncio.FIRST_COMPLETED)
            if main in done:
                main.result()
        finally:
            main.cancel()
            stopper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await main
            for runner in runners:
                await runner.cleanup()
            if databroker is not None:
                await databroker.close()
        log.info("controller stopped")
