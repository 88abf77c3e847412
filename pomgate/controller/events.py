"""Kubernetes Events on Ingresses, posted in the background like client-go's recorder.

Repeats of the same event (same Ingress uid, type, reason and message) bump `count` and
`lastTimestamp` of the existing Event instead of creating another, so a flapping dependency does not
flood the namespace. Posting never blocks reconciling: a bounded queue, oldest dropped when full.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from pomgate.controller.kubeclient import EVENTS, ApiError, KubeClient
from pomgate.controller.metrics import Metrics

log = logging.getLogger("pomgate.controller")

#: The event source component of the upstream controller.
COMPONENT = "pomerium-ingress"
MAX_MESSAGE = 1024  # the API server rejects longer Event messages


@dataclass(frozen=True)
class IngressEvent:
    namespace: str
    name: str
    uid: str
    resource_version: str
    type: str  # Normal | Warning
    reason: str
    message: str


def _timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventRecorder:
    """Queue of events; `run` posts them."""

    def __init__(self, client: KubeClient, metrics: Metrics, *, instance: str = "", queue_size: int = 20000) -> None:
        self.client = client
        self.metrics = metrics
        self.instance = instance or os.environ.get("HOSTNAME", "pomgate")
        self.queue: asyncio.Queue[IngressEvent] = asyncio.Queue(maxsize=queue_size)
        self._posted: OrderedDict[tuple[str, ...], tuple[str, int]] = OrderedDict()

    def record(self, event: IngressEvent) -> None:
        """Queue an event (drops the oldest queued one when the queue is full)."""
        if len(event.message) > MAX_MESSAGE:
            event = IngressEvent(**{**event.__dict__, "message": event.message[: MAX_MESSAGE - 3] + "..."})
        if self.queue.full():
            self.queue.get_nowait()
            self.metrics.errors.inc(stage="event_dropped")
        self.queue.put_nowait(event)

    async def run(self, workers: int = 4) -> None:
        await asyncio.gather(*(self._worker() for _ in range(workers)))

    async def _worker(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.post(event)
            except ApiError as err:
                self.metrics.errors.inc(stage="event")
                log.warning("event on ingress %s/%s not posted: %s", event.namespace, event.name, err)
            finally:
                self.queue.task_done()

    async def post(self, event: IngressEvent) -> None:
        key = (event.uid, event.namespace, event.name, event.type, event.reason, event.message)
        now = _timestamp()
        seen = self._posted.get(key)
        if seen is not None:
            name, count = seen
            try:
                await self.client.merge_patch(EVENTS, event.namespace, name, {"count": count + 1, "lastTimestamp": now})
                self._posted[key] = (name, count + 1)
                self._posted.move_to_end(key)
                return
            except ApiError as err:
                if not err.not_found:
                    raise
                del self._posted[key]  # expired (events live an hour): post a new one
        name = f"{event.name}.{secrets.token_hex(8)}"
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": event.namespace},
            "involvedObject": {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "name": event.name,
                "namespace": event.namespace,
                "uid": event.uid,
                "resourceVersion": event.resource_version,
            },
            "type": event.type,
            "reason": event.reason,
            "message": event.message,
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self.instance,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        await self.client.create(EVENTS, event.namespace, body)
        self._posted[key] = (name, 1)
        if len(self._posted) > 10000:
            self._posted.popitem(last=False)
