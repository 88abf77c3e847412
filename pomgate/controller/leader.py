"""Leader election on a `coordination.k8s.io/v1` Lease: one replica writes, the others stand by.

The algorithm of client-go's leaderelection: the holder renews `spec.renewTime` every
``retry_period``; a candidate takes the Lease only after it has seen the same holder record
unchanged for ``lease_duration`` (measured on its own clock, so clock skew between nodes does not
matter) or when the holder released it. Every write carries the resourceVersion it read, so of two
candidates racing for an expired Lease one gets 409 Conflict and stays standby. A holder that cannot
renew within ``renew_deadline`` stops writing before anyone else can take over.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Callable
from typing import Any

from pomgate.controller.kubeclient import LEASES, ApiError, KubeClient
from pomgate.controller.metrics import Metrics

log = logging.getLogger("pomgate.controller")


def micro_time(moment: datetime.datetime | None = None) -> str:
    """Kubernetes MicroTime: RFC 3339 with microseconds, UTC."""
    moment = moment or datetime.datetime.now(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaseElector:
    """Acquires and renews one Lease; `is_leader` says whether this replica may write now."""

    def __init__(
        self,
        client: KubeClient,
        namespace: str,
        name: str,
        identity: str,
        metrics: Metrics,
        *,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.metrics = metrics
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.on_change = on_change
        self._leader = False
        self._valid_until = 0.0
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0

    @property
    def is_leader(self) -> bool:
        return self._leader and time.monotonic() < self._valid_until

    async def run(self) -> None:
        """Try to acquire, then keep renewing, until cancelled (then release)."""
        try:
            while True:
                started = time.monotonic()
                try:
                    won = await self._try_acquire_or_renew()
                except ApiError as err:
                    self.metrics.errors.inc(stage="lease")
                    log.warning("lease %s/%s: %s", self.namespace, self.name, err)
                    won = False
                if won:
                    self._valid_until = started + self.renew_deadline
                    self._set(True)
                elif self._leader and time.monotonic() >= self._valid_until:
                    log.warning("lease %s/%s: could not renew in time; standing by", self.namespace, self.name)
                    self._set(False)
                elif not won and self._leader and self._observed and self._observed[0] != self.identity:
                    self._set(False)  # someone else holds it now
                await asyncio.sleep(self.retry_period)
        finally:
            if self._leader:
                await asyncio.shield(self.release())

    def _set(self, leader: bool) -> None:
        if leader != self._leader:
            self._leader = leader
            log.info(
                "lease %s/%s: %s", self.namespace, self.name, "acquired; writing" if leader else "lost; standing by"
            )
            self.metrics.leader.set(1 if leader else 0)
            if self.on_change is not None:
                self.on_change(leader)

    async def _try_acquire_or_renew(self) -> bool:
        now = micro_time()
        try:
            lease = await self.client.get(LEASES, self.namespace, self.name)
        except ApiError as err:
            if not err.not_found:
                raise
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": {
                    "holderIdentity": self.identity,
                    "leaseDurationSeconds": int(self.lease_duration),
                    "acquireTime": now,
                    "renewTime": now,
                    "leaseTransitions": 0,
                },
            }
            try:
                await self.client.create(LEASES, self.namespace, body)
            except ApiError as create_err:
                if create_err.conflict:
                    return False
                raise
            self._observed = (self.identity, now)
            self._observed_at = time.monotonic()
            return True
        spec = dict(lease.get("spec") or {})
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"), spec.get("acquireTime"), spec.get("leaseTransitions"))
        if record != self._observed:
            self._observed = record
            self._observed_at = time.monotonic()
        duration = float(spec.get("leaseDurationSeconds") or self.lease_duration)
        if holder and holder != self.identity and time.monotonic() < self._observed_at + duration:
            return False  # held by someone who renewed within the lease duration
        if holder != self.identity:
            spec["acquireTime"] = now
            # client-go counts every change of holder, a released Lease (no holder) taken over included
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        spec["holderIdentity"] = self.identity
        spec["renewTime"] = now
        spec["leaseDurationSeconds"] = int(self.lease_duration)
        lease["spec"] = spec
        try:
            await self.client.replace(LEASES, self.namespace, self.name, lease)
        except ApiError as err:
            if err.conflict:
                return False  # someone else wrote in between
            raise
        self._observed = (self.identity, now, spec.get("acquireTime"), spec.get("leaseTransitions"))
        self._observed_at = time.monotonic()
        return True

    async def release(self) -> None:
        """Give the Lease up (on shutdown) so a standby takes over at once."""
        self._set(False)
        try:
            lease = await self.client.get(LEASES, self.namespace, self.name)
            spec = dict(lease.get("spec") or {})
            if spec.get("holderIdentity") != self.identity:
                return
            spec["holderIdentity"] = ""
            spec["renewTime"] = micro_time()
            lease["spec"] = spec
            await self.client.replace(LEASES, self.namespace, self.name, lease)
            log.info("lease %s/%s: released", self.namespace, self.name)
        except ApiError as err:
            log.warning("lease %s/%s: release failed: %s", self.namespace, self.name, err)
