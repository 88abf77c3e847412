"""The resource kinds the stand-in serves, with their discovery information and selectable fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
SUBRESOURCE_VERBS = ("get", "patch", "update")

# Field selectors every resource supports; the values are dotted paths into the object.
COMMON_FIELDS = {"metadata.name": "metadata.name", "metadata.namespace": "metadata.namespace"}
CORE_EVENT_FIELDS = {
    **{f"involvedObject.{f}": f"involvedObject.{f}" for f in ("kind", "namespace", "name", "uid", "apiVersion")},
    **{f"involvedObject.{f}": f"involvedObject.{f}" for f in ("resourceVersion", "fieldPath")},
    "reason": "reason",
    "reportingComponent": "reportingComponent",
    "source": "source.component",
    "type": "type",
}

# events.k8s.io/v1 Event field -> core/v1 Event field: both are views of the same stored objects.
EVENT_RENAMES = {
    "regarding": "involvedObject",
    "note": "message",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
    "reportingController": "reportingComponent",
}


@dataclass(frozen=True)
class ResourceDef:
    """One served resource (group/version/plural) and what discovery says about it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    fields: Mapping[str, str] = field(default_factory=lambda: dict(COMMON_FIELDS))
    storage: str = ""  # the qualified name whose objects this resource shows (default: its own)
    renames: Mapping[str, str] = field(default_factory=dict)  # own field -> stored field

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``ingresses.networking.k8s.io`` (or ``services`` for core): how error messages name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def storage_key(self) -> str:
        return self.storage or self.qualified

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def to_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        """This resource's representation -> the stored one (a new top-level dict)."""
        if not self.renames:
            return dict(obj)
        out = {self.renames.get(key, key): value for key, value in obj.items()}
        out["apiVersion"], out["kind"] = "v1", self.kind
        return out

    def from_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The stored representation -> this resource's (the same dict when there is nothing to convert)."""
        if not self.renames:
            return obj
        back = {stored: own for own, stored in self.renames.items()}
        out = {back.get(key, key): value for key, value in obj.items()}
        out["apiVersion"], out["kind"] = self.api_version, self.kind
        return out


EVENTS_V1_FIELDS = {
    **COMMON_FIELDS,
    **{f"regarding.{f}": f"regarding.{f}" for f in ("kind", "namespace", "name", "uid", "apiVersion")},
    **{f"regarding.{f}": f"regarding.{f}" for f in ("resourceVersion", "fieldPath")},
    "reason": "reason",
    "reportingController": "reportingController",
    "type": "type",
}

RESOURCES: tuple[ResourceDef, ...] = (
    ResourceDef(
        "",
        "v1",
        "namespaces",
        "Namespace",
        namespaced=False,
        short_names=("ns",),
        subresources=("status",),
        fields={**COMMON_FIELDS, "status.phase": "status.phase"},
    ),
    ResourceDef("", "v1", "services", "Service", short_names=("svc",), subresources=("status",), categories=("all",)),
    ResourceDef("", "v1", "endpoints", "Endpoints", short_names=("ep",)),
    ResourceDef("", "v1", "secrets", "Secret", fields={**COMMON_FIELDS, "type": "type"}),
    ResourceDef("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    ResourceDef("", "v1", "events", "Event", short_names=("ev",), fields={**COMMON_FIELDS, **CORE_EVENT_FIELDS}),
    ResourceDef("networking.k8s.io", "v1", "ingresses", "Ingress", short_names=("ing",), subresources=("status",)),
    ResourceDef("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False),
    ResourceDef("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    ResourceDef("coordination.k8s.io", "v1", "leases", "Lease"),
    ResourceDef(
        "events.k8s.io",
        "v1",
        "events",
        "Event",
        storage="events",  # the same objects as core/v1 events, converted; no "ev" (kubectl would warn)
        renames=EVENT_RENAMES,
        fields=EVENTS_V1_FIELDS,
    ),
)

BY_PATH: dict[tuple[str, str, str], ResourceDef] = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND: dict[tuple[str, str], ResourceDef] = {}
for _res in RESOURCES:
    BY_KIND.setdefault((_res.api_version, _res.kind), _res)


def resolve(api_version: str, kind: str) -> ResourceDef:
    """The resource of an apiVersion + kind (``KeyError`` for kinds the stand-in does not serve)."""
    try:
        return BY_KIND[api_version, kind]
    except KeyError:
        raise KeyError(f"the stand-in does not serve {kind} of {api_version}") from None
