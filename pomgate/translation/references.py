"""Looking up the objects an Ingress refers to (the controller's fetch stage, translation.md §0).

Live (controller mode) a missing object fails the Ingress like upstream. Offline a repository often
does not hold Secrets or Services (they are created elsewhere), so a missing object is a warning
and what depends on it is marked unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from pomgate.kube.inventory import Inventory
from pomgate.kube.models import EndpointSubset, Service
from pomgate.translation.route import UnknownValue


@dataclass(frozen=True)
class SecretEntry:
    """A Secret as the controller would see it, or what can be known of it offline.

    ``data`` holds values when the Secret is in the input; ``keys`` its key names whenever they are
    known (also for SealedSecrets, ExternalSecrets, SOPS files: ``producer`` names that kind).
    """

    namespace: str
    name: str
    secret_type: str | None
    keys: frozenset[str] | None
    data: dict[str, bytes] | None
    producer: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def value(self, key: str) -> bytes | UnknownValue | None:
        """The bytes of ``key``; UnknownValue when only its name is known; None when absent."""
        if self.data is not None:
            return self.data.get(key)
        if self.keys is not None and key not in self.keys:
            return None
        return UnknownValue(f"value of key {key} of {self.producer or 'Secret'} {self.ref}")

    def has_key(self, key: str) -> bool | None:
        """Whether ``key`` exists with data (None when the keys cannot be known)."""
        if self.data is not None:
            return bool(self.data.get(key))
        if self.keys is None:
            return None
        return key in self.keys


def find_secret(inv: Inventory, namespace: str, name: str) -> SecretEntry | None:
    """The Secret ``namespace/name`` from the input, or from an object that produces it."""
    typed = inv.secrets.get((namespace, name))
    if typed is not None and not typed.rejected:
        data, _bad = typed.model.decoded_data()
        return SecretEntry(namespace, name, typed.model.effective_type, frozenset(data), data)
    producer = inv.secret_producers.get((namespace, name))
    if producer is not None:
        keys = producer.keys if producer.keys_known else None
        return SecretEntry(namespace, name, producer.secret_type, keys, None, producer.source_kind)
    return None


def find_service(inv: Inventory, namespace: str, name: str) -> Service | None:
    typed = inv.services.get((namespace, name))
    return typed.model if typed is not None and not typed.rejected else None


def find_endpoint_subsets(inv: Inventory, namespace: str, name: str) -> tuple[list[EndpointSubset], bool]:
    """Endpoint subsets of a Service and whether any Endpoints-like object was found.

    Upstream reads core/v1 Endpoints only. Kubernetes mirrors EndpointSlices and Endpoints for
    selector-based Services, so when a dump holds only EndpointSlices they stand in for them.
    """
    typed = inv.endpoints.get((namespace, name))
    if typed is not None:
        return typed.model.subsets, True
    slices = inv.endpoint_slices.get((namespace, name))
    if not slices:
        return [], False
    subsets: list[EndpointSubset] = []
    for typed_slice in slices:
        es = typed_slice.model
        ports = [{"name": p.name or "", "port": p.port or 0} for p in (es.ports or []) if p.port is not None]
        ready = [{"ip": addr} for ep in es.endpoints if ep.conditions.ready is not False for addr in ep.addresses]
        subsets.append(EndpointSubset.model_validate({"addresses": ready, "ports": ports}))
    return subsets, True
