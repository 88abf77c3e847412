"""List, then watch, one resource kind and hand every change to the controller.

The API server's list+watch protocol: a LIST gives the objects and a resourceVersion; a WATCH from
that version streams every later change. A broken connection re-watches from the last version seen;
a 410 Gone (the version was compacted away) lists again and hands over the difference to what was
known, so nothing is lost or duplicated across disconnects and API-server restarts.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from typing import Any

from pomgate.controller.kubeclient import ApiError, KubeClient, Resource
from pomgate.controller.metrics import Metrics

Sink = Callable[[str, str, dict[str, Any]], None]
log = logging.getLogger("pomgate.controller")


class Backoff:
    """Exponential backoff with jitter: 0.2 s doubling to ``ceiling``; `reset` after a success."""

    def __init__(self, first: float = 0.2, ceiling: float = 10.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self.current = first

    def next(self, floor: float | None = None) -> float:
        delay = self.current * random.uniform(0.8, 1.2)
        self.current = min(self.current * 2, self.ceiling)
        return max(delay, floor or 0.0)

    def reset(self) -> None:
        self.current = self.first


class Reflector:
    """Keeps the controller's view of one resource (optionally one namespace) current."""

    def __init__(
        self,
        client: KubeClient,
        resource: Resource,
        sink: Sink,
        metrics: Metrics,
        *,
        namespace: str | None = None,
        watch_timeout: int = 300,
        page_size: int | None = None,
        after: Sequence[asyncio.Event] = (),
    ) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.sink = sink
        self.metrics = metrics
        self.watch_timeout = watch_timeout
        #: List this many objects per request (None: all at once), each page handed over before the next.
        self.page_size = page_size
        #: The first list waits for these (Secrets after Ingresses: which ones are referenced is known).
        self.after = after
        self.synced = asyncio.Event()
        self.resource_version: str | None = None
        self._known: dict[tuple[str, str], str] = {}

    @property
    def label(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.resource.plural}{where}"

    async def run(self) -> None:
        """List and watch until cancelled."""
        backoff = Backoff()
        while True:
            try:
                if self.resource_version is None:
                    for ready in self.after:
                        await ready.wait()
                    count, version = await self._list()
                    self.resource_version = version
                    if not self.synced.is_set():
                        log.info("listed %d %s", count, self.label)
                    self.synced.set()
                    backoff.reset()
                async for event in self.client.watch(
                    self.resource, self.resource_version, self.namespace, timeout_seconds=self.watch_timeout
                ):
                    self._event(event)
                    backoff.reset()
                self.metrics.watch_restarts.inc(kind=self.resource.kind, reason="timeout")
            except ApiError as err:
                if err.gone:
                    log.info("watch of %s expired (%s); listing again", self.label, err.message)
                    self.metrics.watch_restarts.inc(kind=self.resource.kind, reason="expired")
                    self.resource_version = None
                    continue
                reason = "unreachable" if err.status == 0 else f"http_{err.status}"
                self.metrics.watch_restarts.inc(kind=self.resource.kind, reason=reason)
                delay = backoff.next(err.retry_after)
                log.warning("watch of %s failed: %s; retrying in %.1fs", self.label, err, delay)
                await asyncio.sleep(delay)

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        obj = event.get("object") or {}
        meta = obj.get("metadata") or {}
        version = str(meta.get("resourceVersion") or "")
        if version:
            self.resource_version = version
        if kind == "BOOKMARK" or kind not in ("ADDED", "MODIFIED", "DELETED"):
            return
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if kind == "DELETED":
            if self._known.pop(key, None) is None:
                return  # already gone (seen in a relist)
        else:
            if self._known.get(key) == version and version:
                return  # replayed after a reconnect
            self._known[key] = version
        self.sink(self.resource.kind, kind, obj)

    async def _list(self) -> tuple[int, str]:
        """List (a page at a time) and hand over the difference; (objects listed, the list's version)."""
        seen: dict[tuple[str, str], str] = {}
        version = ""
        pages = self.client.list_pages(self.resource, self.namespace, page_size=self.page_size)
        async for items, page_version in pages:
            self._hand_over(items, seen)
            version = page_version
            del items  # not held while the next page arrives
        self._hand_over_deleted(seen)
        return len(seen), version

    def _hand_over(self, items: list[dict[str, Any]], seen: dict[tuple[str, str], str]) -> None:
        """Objects of a list that are new or changed since the last one (their versions go into ``seen``)."""
        for obj in items:
            meta = obj.get("metadata") or {}
            key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            version = str(meta.get("resourceVersion") or "")
            seen[key] = version
            previous = self._known.get(key)
            if previous is None:
                self.sink(self.resource.kind, "ADDED", obj)
            elif previous != version or not version:
                self.sink(self.resource.kind, "MODIFIED", obj)

    def _hand_over_deleted(self, seen: dict[tuple[str, str], str]) -> None:
        """Objects known before that a complete list (``seen``) no longer holds."""
        for key in [key for key in self._known if key not in seen]:
            namespace, name = key
            self.sink(
                self.resource.kind,
                "DELETED",
                {
                    "apiVersion": self.resource.api_version,
                    "kind": self.resource.kind,
                    "metadata": {"namespace": namespace, "name": name},
                },
            )
        self._known = seen
