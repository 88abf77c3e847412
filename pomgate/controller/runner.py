"""`pomgate controller`: watch the cluster, translate, write Pomerium's config.

One asyncio loop. Reflectors feed watch events into `Reconciler.state`; the main loop translates
the Ingresses each batch of events affects and, while this replica holds the Lease, writes the
config (only when it changed), posts events and updates Ingress status. Nothing is written before
every watched kind has been listed once, so a restart never writes an empty config.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from pomgate.controller.events import EventRecorder, IngressEvent
from pomgate.controller.kubeclient import (
    ENDPOINT_SLICES,
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
from pomgate.controller.livestate import IngressKey
from pomgate.controller.metrics import Metrics
from pomgate.controller.output import ConfigWriter, FileConfigWriter, SecretConfigWriter
from pomgate.controller.reconciler import IngressReport, Reconciler
from pomgate.controller.reflector import Backoff, Reflector
from pomgate.controller.status import StatusWriter
from pomgate.translation.options import TranslateOptions

log = logging.getLogger("pomgate.controller")

WATCHED: tuple[Resource, ...] = (INGRESS_CLASSES, INGRESSES, SERVICES, ENDPOINTS, ENDPOINT_SLICES, SECRETS)


@dataclass
class ControllerSettings:
    """The parsed command line of `pomgate controller`."""

    cluster: ClusterConfig
    options: TranslateOptions
    config_file: Path | None = None
    base_config: dict[str, Any] = field(default_factory=dict)
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


class Controller:
    """The running controller (see the module docstring)."""

    def __init__(self, settings: ControllerSettings, client: KubeClient) -> None:
        self.settings = settings
        self.client = client
        self.metrics = Metrics()
        self.reconciler = Reconciler(
            settings.options, base_config=settings.base_config, status_service=settings.status_service
        )
        self.pending: set[IngressKey] = set()
        self.status_refresh = False
        self.wake = asyncio.Event()
        self.synced = False
        self.events = EventRecorder(client, self.metrics, instance=settings.identity)
        self.status = (
            StatusWriter(client, self.reconciler.state, self.metrics, settings.status_service)
            if settings.status_service
            else None
        )
        self.writers: list[ConfigWriter] = []
        if settings.config_file is not None:
            self.writers.append(FileConfigWriter(settings.config_file))
        if settings.config_secret is not None:
            self.writers.append(SecretConfigWriter(client, *settings.config_secret))
        self.elector: LeaseElector | None = None
        if settings.leader_election:
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
        for resource in WATCHED:
            scopes: list[str | None] = [None] if not resource.namespaced or not namespaces else list(namespaces)
            if resource is SERVICES and namespaces and self.settings.status_service:
                status_namespace = self.settings.status_service[0]
                if status_namespace not in namespaces:
                    scopes.append(status_namespace)
            for scope in scopes:
                reflectors.append(
                    Reflector(
                        self.client,
                        resource,
                        self._on_event,
                        self.metrics,
                        namespace=scope,
                        watch_timeout=self.settings.watch_timeout,
                    )
                )
        return reflectors

    def _on_event(self, kind: str, event_type: str, obj: dict[str, Any]) -> None:
        change = self.reconciler.state.apply(kind, event_type, obj)
        if change.ingresses or change.status_source:
            self.pending |= change.ingresses
            self.status_refresh = self.status_refresh or change.status_source
            self.wake.set()

    def _leadership_changed(self, leader: bool) -> None:
        if leader:
            self._write_pending = True  # the new leader writes what it has (if it differs)
        self.wake.set()

    async def _all_listed(self) -> None:
        for reflector in self.reflectors:
            await reflector.synced.wait()

    @property
    def is_leader(self) -> bool:
        return self.elector is None or self.elector.is_leader

    def readiness(self) -> tuple[bool, str]:
        """Ready once every watched kind was listed, as leader or hot standby (see deploy/README.md)."""
        if not self.synced:
            return False, "waiting for the initial list of every watched kind"
        return True, "ok (leader)" if self.is_leader else "ok (standby)"

    # ------------------------------------------------------------------ main loop
    async def run(self) -> None:
        tasks = [asyncio.create_task(reflector.run(), name=f"watch {reflector.label}") for reflector in self.reflectors]
        tasks.append(asyncio.create_task(self.events.run(), name="events"))
        if self.elector is not None:
            tasks.append(asyncio.create_task(self.elector.run(), name="lease"))
        if self.status is not None:
            tasks.append(asyncio.create_task(self.status.run(), name="status"))
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
        self.pending.clear()
        self.status_refresh = False
        reports = self.reconciler.full_sync()
        # The cluster's objects live as long as the process: keep the cyclic collector from walking
        # them on every full collection (at 10k Ingresses that walk is a 100 ms pause).
        gc.freeze()
        if collecting:
            gc.enable()
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
            if not self.pending and not self.status_refresh and not self._write_pending:
                self.wake.clear()
                await self._wait_for_work(tasks)
            batch_started = time.monotonic()
            await asyncio.sleep(0)  # let the events that arrived together join one batch
            keys, self.pending = self.pending, set()
            refresh, self.status_refresh = self.status_refresh, False
            reports = self.reconciler.reconcile(keys)
            ok = await self._publish(reports, batch_started, status_refresh=refresh)
            if ok:
                backoff.reset()
            else:
                await asyncio.sleep(backoff.next())

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
            return True
        became_leader = not self._was_leader
        self._was_leader = True
        if self._unannounced:
            fresh = {report.key for report in reports}
            reports = [r for key, r in sorted(self._unannounced.items()) if key not in fresh] + reports
            self._unannounced.clear()
        wrote = await self._write(started)
        if not wrote:
            self._write_pending = True
            for report in reports:
                if report.state == "updated":
                    report.state, report.error = "failed", f"saving config: {self._last_write_error}"
        else:
            self._write_pending = False
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
                keys = list(self.reconciler.applied_keys())
            else:
                keys = [report.key for report in reports if report.state == "updated"]
            if keys:
                self.status.request(keys)
        return wrote

    _last_write_error = ""

    async def _write(self, started: float) -> bool:
        rendered = time.monotonic()
        document = self.reconciler.document()
        log.debug(
            "config rendered in %.1f ms (batch started %.1f ms ago)",
            1000 * (time.monotonic() - rendered),
            1000 * (rendered - started),
        )
        ok = True
        for writer in self.writers:
            try:
                if await writer.write(document):
                    self.metrics.config_writes.inc(target=writer.target.split()[0])
                    log.info(
                        "wrote %s (%d routes, %d bytes)", writer.target, self.reconciler.route_count, len(document)
                    )
            except (ApiError, OSError) as err:
                ok = False
                self._last_write_error = f"{writer.target}: {err}"
                self.metrics.errors.inc(stage="write")
                log.error("writing %s failed: %s", writer.target, err)
        log.debug("config written %.1f ms after the batch started", 1000 * (time.monotonic() - started))
        if ok:
            self.metrics.last_write.set(time.time())
            self.metrics.reconcile_seconds.observe(time.monotonic() - started)
        return ok

    def _update_gauges(self) -> None:
        self.metrics.routes.set(self.reconciler.route_count)
        self.metrics.ingresses.set(len(self.reconciler.state.ingresses), state="seen")
        self.metrics.ingresses.set(len(self.reconciler.applied_keys()), state="routed")


# ---------------------------------------------------------------------- HTTP endpoints


async def start_http(controller: Controller) -> list[web.AppRunner]:
    """Probes on the health address, metrics on the metrics address (the same server if they match)."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

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
        controller = Controller(settings, client)
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
        log.info("controller stopped")
