"""Ingress `status.loadBalancer` copied from Pomerium's proxy Service (controller.md §5)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from pomgate.controller.kubeclient import INGRESSES, ApiError, KubeClient
from pomgate.controller.livestate import IngressKey, LiveState
from pomgate.controller.metrics import Metrics
from pomgate.kube.models import Service

log = logging.getLogger("pomgate.controller")


def desired_load_balancer(service: Service | None) -> list[dict[str, Any]]:
    """LoadBalancer: the Service's own entries; NodePort: its cluster IP; anything else: none."""
    if service is None:
        return []
    if service.spec.type == "LoadBalancer":
        return [entry.model_dump(exclude_none=True) for entry in service.status.loadBalancer.ingress]
    if service.spec.type == "NodePort" and service.spec.clusterIP:
        return [{"ip": service.spec.clusterIP}]
    return []


def missing_service_message(source: tuple[str, str]) -> str:
    """Upstream's error chain when the ``--update-status-from-service`` Service does not exist."""
    namespace, name = source
    return f'update /status: get pomerium-proxy service {namespace}/{name}: services "{name}" not found'


class StatusWriter:
    """Writes `status.loadBalancer.ingress` of Ingresses whose status differs from the proxy Service's."""

    def __init__(self, client: KubeClient, state: LiveState, metrics: Metrics, source: tuple[str, str]) -> None:
        self.client = client
        self.state = state
        self.metrics = metrics
        self.source = source
        self._missing_logged = False
        self._pending: set[IngressKey] = set()
        self._wake = asyncio.Event()

    def request(self, keys: Iterable[IngressKey]) -> None:
        """Queue Ingresses for a status check (`run` writes in the background)."""
        self._pending.update(keys)
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            keys, self._pending = sorted(self._pending), set()
            await self.update(keys)

    def wanted(self) -> list[dict[str, Any]] | None:
        """The status to write, or None while the proxy Service is missing."""
        typed = self.state.inventory.services.get(self.source)
        if typed is None:
            if not self._missing_logged:
                namespace, name = self.source
                log.warning(
                    'get pomerium-proxy service %s/%s: services "%s" not found; Ingress status not updated',
                    namespace,
                    name,
                    name,
                )
                self._missing_logged = True
            return None
        self._missing_logged = False
        return desired_load_balancer(typed.model)

    async def update(self, keys: list[IngressKey]) -> None:
        """Bring the status of ``keys`` in line with the proxy Service (only where it differs)."""
        wanted = self.wanted()
        if wanted is None:
            return
        for key in keys:
            live = self.state.ingresses.get(key)
            if live is None or live.load_balancer == wanted:
                continue
            namespace, name = key
            try:
                await self.client.merge_patch(
                    INGRESSES, namespace, name, {"status": {"loadBalancer": {"ingress": wanted}}}, subresource="status"
                )
                live.load_balancer = wanted
            except ApiError as err:
                self.metrics.errors.inc(stage="status")
                log.warning("update /status of ingress %s/%s: %s", namespace, name, err)
