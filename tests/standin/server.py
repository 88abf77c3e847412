"""``StandInApiServer``: the stand-in API server on a TCP port, run by a background thread, for synchronous tests.

The objects live in a ``Store`` owned by this object, not by the HTTP server: ``stop()`` kills the listener and
every connection (watch streams die mid-stream, as when an API server process is killed) and ``start()`` serves
the same objects again on the same port (an API server restart with etcd intact).
"""

from __future__ import annotations

import asyncio
import builtins
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import aiohttp.web
import yaml
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler

from tests.standin.emulator import Fault, Faults, RequestRecord, StandInEmulator
from tests.standin.patches import MERGE
from tests.standin.resources import resolve
from tests.standin.store import Obj, Store

T = TypeVar("T")
#: The API server takes request bodies up to 3 MiB (a 1 MiB Secret is 1.4 MB in base64); aiohttp's default is 1 MiB.
MAX_REQUEST_BODY = 3 * 1024 * 1024


def _clone(obj: T) -> T:
    """A deep copy (faster than copy.deepcopy for JSON data): test code never shares dicts with the store."""
    return cast(T, json.loads(json.dumps(obj)))


def read_manifests(path: str | Path) -> builtins.list[Obj]:
    """The objects of a YAML (or JSON) file with one or more documents; ``kind: List`` documents are unpacked."""
    objects: builtins.list[Obj] = []
    for document in yaml.safe_load_all(Path(path).read_text()):
        if isinstance(document, dict) and document.get("kind", "").endswith("List") and "items" in document:
            objects.extend(document["items"] or [])
        elif isinstance(document, builtins.list):
            objects.extend(document)
        elif document:
            objects.append(document)
    return objects


class StandInApiServer:
    """A local Kubernetes API server for end-to-end tests (see the package docstring for what it does)."""

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        history_limit: int | None = 10_000,
        bookmark_interval: float = 60.0,
    ) -> None:
        self.host = host
        self.bookmark_interval = bookmark_interval
        self.store = Store(history_limit)
        self.faults = Faults()
        self.requests: builtins.list[RequestRecord] = []  # every request: (method, path, query dict)
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: aiohttp.web.ServerRunner | None = None
        self._emulator: StandInEmulator | None = None
        self._lifecycle = threading.Lock()  # start() and stop() may come from different threads

    # Lifecycle.

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the stand-in API server has not been started yet: no port")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    def start(self) -> Self:
        """Listen on ``host:port`` (a free port the first time if 0; the same one on every later start)."""
        with self._lifecycle:
            if self.running:
                return self
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._thread = threading.Thread(target=loop.run_forever, name="standin-apiserver", daemon=True)
            self._thread.start()
            try:
                asyncio.run_coroutine_threadsafe(self._start(), loop).result(timeout=30)
            except BaseException:
                self._end_loop()
                raise
            return self

    def stop(self) -> None:
        """Close the listener and every open connection; the objects stay for the next ``start()``."""
        with self._lifecycle:
            if self._loop is None:
                return
            try:
                if self.running:
                    asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
            finally:
                self._end_loop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    async def _start(self) -> None:
        emulator = StandInEmulator(
            store=self.store, faults=self.faults, log=self.requests, bookmark_interval=self.bookmark_interval
        )
        await emulator.__aenter__()
        loop = asyncio.get_running_loop()

        def request(
            message: RawRequestMessage,
            payload: StreamReader,
            protocol: RequestHandler,
            writer: AbstractStreamWriter,
            task: asyncio.Task[None],
        ) -> aiohttp.web.BaseRequest:
            return aiohttp.web.BaseRequest(
                message, payload, protocol, writer, task, loop, client_max_size=MAX_REQUEST_BODY
            )

        server = aiohttp.web.Server(emulator, handler_cancellation=True, request_factory=request)
        runner = aiohttp.web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        site = aiohttp.web.TCPSite(runner, self.host, self._port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            await emulator.__aexit__(None, None, None)
            raise
        self._port = int(runner.addresses[0][1])
        self._runner, self._emulator = runner, emulator

    async def _stop(self) -> None:
        runner, emulator = self._runner, self._emulator
        assert runner is not None and emulator is not None and runner.server is not None
        self._runner = self._emulator = None
        for site in builtins.list(runner.sites):
            await site.stop()  # no new connections
        for connection in runner.server.connections:  # and the open ones die as if the process were killed
            if connection.transport is not None:
                connection.transport.abort()
        await runner.cleanup()
        await emulator.__aexit__(None, None, None)
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _end_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()

    # Clients.

    def write_kubeconfig(self, path: str | Path, namespace: str = "default") -> Path:
        """A kubeconfig for kubectl and other clients: this server, a dummy bearer token, ``namespace``."""
        path = Path(path)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "standin", "cluster": {"server": self.url}}],
            "users": [{"name": "standin", "user": {"token": "standin-dummy-token"}}],
            "contexts": [
                {"name": "standin", "context": {"cluster": "standin", "user": "standin", "namespace": namespace}}
            ],
            "current-context": "standin",
            "preferences": {},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    # Synchronous helpers: the same store, history and watch notifications as HTTP requests.

    @property
    def resource_version(self) -> str:
        """The current global resourceVersion."""
        return str(self.store.resource_version)

    def create(self, obj: Obj) -> Obj:
        """Create ``obj`` (namespace from its metadata, default "default"). Unlike a POST, this keeps a given
        uid, creationTimestamp and status (seeding); a given resourceVersion is ignored. 409 if it exists."""
        res = resolve(obj.get("apiVersion", ""), obj.get("kind", ""))
        return _clone(self.store.create(res, None, _clone(obj), seed=True))

    def replace(self, obj: Obj, *, subresource: str | None = None) -> Obj:
        """PUT ``obj``: 409 Conflict when its metadata.resourceVersion is set and stale; the stored status stays
        (for kinds with a status subresource) unless ``subresource="status"``."""
        res = resolve(obj.get("apiVersion", ""), obj.get("kind", ""))
        meta = obj.get("metadata") or {}
        body = _clone(obj)
        return _clone(
            self.store.replace(res, meta.get("namespace"), meta.get("name", ""), body, subresource=subresource)
        )

    def patch(
        self,
        api_version: str,
        kind: str,
        namespace: str,
        name: str,
        patch: Any,
        *,
        patch_type: str = MERGE,
        subresource: str | None = None,
    ) -> Obj:
        """PATCH (a JSON merge patch by default; see ``patches.PATCH_TYPES``)."""
        res = resolve(api_version, kind)
        return _clone(self.store.patch(res, namespace, name, _clone(patch), patch_type, subresource=subresource))

    def delete(self, api_version: str, kind: str, namespace: str, name: str) -> Obj:
        """DELETE; the object as deleted (404 ApiError if there is none)."""
        return _clone(self.store.delete(resolve(api_version, kind), namespace, name))

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> Obj | None:
        obj = self.store.get(resolve(api_version, kind), namespace, name)
        return None if obj is None else _clone(obj)

    def load(self, objects: Iterable[Obj]) -> int:
        """Create many objects fast, without HTTP (as ``create`` does each); how many."""
        return self.store.load(_clone(builtins.list(objects)))

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> builtins.list[Obj]:
        """The objects of a kind (all namespaces when ``namespace`` is None), sorted by namespace and name."""
        return _clone(self.store.list(resolve(api_version, kind), namespace))

    # Faults.

    def compact_history(self) -> None:
        """Forget the event history: a watch from any older resourceVersion gets 410 Expired."""
        self.store.compact()

    def drop_watches(self) -> int:
        """End every open watch stream (the server keeps running); how many there were."""
        return self.store.end_watches()

    @property
    def watch_count(self) -> int:
        """How many watch streams are open."""
        return self.store.watcher_count()

    def inject_fault(
        self,
        method: str | None = None,
        path_regex: str | None = None,
        status: int | None = None,
        times: int | None = 1,
        delay: float = 0.0,
        retry_after: float | None = None,
        watch: bool | None = None,
    ) -> Fault:
        """The next ``times`` requests (None: all) with this method and a path matching ``path_regex``
        (``re.search``, path without the query; ``watch`` True/False narrows to watches/non-watches) wait
        ``delay`` seconds, then fail with a ``Status`` of code ``status`` (with ``Retry-After`` if given) or,
        without ``status``, are served normally. The returned ``Fault`` counts its ``hits``."""
        if status is None and not delay:
            raise ValueError("a fault needs a status, a delay or both")
        return self.faults.add(Fault(method, path_regex, status, times, delay, retry_after, watch))

    def clear_faults(self) -> None:
        self.faults.clear()
