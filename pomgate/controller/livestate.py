"""The cluster's objects as the translator's `Inventory`, kept current one watch event at a time.

No I/O: the watchers feed `LiveState.apply` with the objects the API server sends; it answers which
Ingresses must be translated again (controller.md §3): an Ingress itself, every Ingress that looked
up a changed Service, Endpoints, EndpointSlice or Secret (also one that was missing then), and all
of them when an IngressClass changes.

Secrets are kept whole only while some Ingress refers to them; of the others only the name and
resourceVersion are kept (a cluster's Secrets can be hundreds of MiB). When an Ingress starts to
refer to one of those, its data must be fetched again: `Change.fetch` and `unfetched_secrets` say
which, and `fetched_secret` takes the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from pomgate.kube.inventory import Inventory, Typed
from pomgate.kube.models import Endpoints, EndpointSlice, Ingress, IngressClass, KubeModel, Secret, Service
from pomgate.translation.classes import ClassSelector
from pomgate.translation.dependencies import Dependency, ingress_dependencies
from pomgate.translation.options import TranslateOptions

IngressKey = tuple[str, str]

#: Kinds the controller watches, with the model each is typed as.
WATCHED_MODELS: dict[str, type[KubeModel]] = {
    "Ingress": Ingress,
    "IngressClass": IngressClass,
    "Service": Service,
    "Endpoints": Endpoints,
    "EndpointSlice": EndpointSlice,
    "Secret": Secret,
}

#: Secret types no Ingress refers to; skipping them keeps Helm release blobs out of memory.
IGNORED_SECRET_TYPES = frozenset({"helm.sh/release.v1"})
#: The kind of an object's metadata without the rest (as the API server names it); see `without_data`.
METADATA_ONLY = "PartialObjectMetadata"


@dataclass
class Change:
    """What one watch event means for the routes."""

    ingresses: set[IngressKey] = field(default_factory=set)
    #: The ``--update-status-from-service`` Service changed: every Ingress status may need a refresh.
    status_source: bool = False
    #: Secrets an Ingress now refers to whose data was not kept: GET them before translating it.
    fetch: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class LiveIngress:
    """A managed-or-not Ingress as last seen: the typed model plus what status writes need."""

    typed: Typed[Ingress]
    uid: str
    resource_version: str
    load_balancer: list[Any]


class LiveState:
    """Objects by (namespace, name) for the translator, and who depends on what."""

    def __init__(self, options: TranslateOptions, status_service: tuple[str, str] | None = None) -> None:
        self.options = options
        self.status_service = status_service
        self.inventory = Inventory()
        self.ingresses: dict[IngressKey, LiveIngress] = {}
        self.selector = ClassSelector(self.inventory, options)
        self.skipped: dict[tuple[str, str, str], str] = {}
        self._slice_service: dict[tuple[str, str], str] = {}
        self._slices_by_service: dict[tuple[str, str], dict[str, Typed[EndpointSlice]]] = {}
        self._dependents: dict[Dependency, set[IngressKey]] = {}
        self._depends_on: dict[IngressKey, frozenset[Dependency]] = {}
        #: resourceVersion of every Secret that exists (whole in ``inventory.secrets`` only if referenced).
        self.secret_versions: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------ events
    def apply(self, kind: str, event_type: str, obj: Mapping[str, Any]) -> Change:
        """Take one ADDED/MODIFIED/DELETED object; return what must be translated again."""
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace") or "")
        name = str(meta.get("name") or "")
        deleted = event_type == "DELETED"
        if kind == "Secret":
            return self._secret(namespace, name, None if deleted else obj)
        model: KubeModel | None = None
        if not deleted:
            model = self._type(kind, namespace, name, obj)
            if model is None:
                deleted = True  # an object we cannot read counts as absent
        if kind == "Ingress":
            return self._ingress(namespace, name, obj, model if isinstance(model, Ingress) else None)
        if kind == "IngressClass":
            return self._ingress_class(name, model if isinstance(model, IngressClass) else None)
        if kind == "EndpointSlice":
            return self._endpoint_slice(namespace, name, model if isinstance(model, EndpointSlice) else None)
        key = (namespace, name)
        pool: dict[tuple[str, str], Any]
        if kind == "Service":
            pool = self.inventory.services
        elif kind == "Endpoints":
            pool = self.inventory.endpoints
        else:
            return Change()
        previous = pool.get(key)
        if model is None:
            if previous is None:
                return Change()
            del pool[key]
        else:
            if previous is not None and previous.model == model:
                return Change()  # only metadata we do not read changed (resourceVersion, managedFields)
            pool[key] = Typed(model=model)  # type: ignore[arg-type]  # the kind picked the pool
        change = Change(ingresses=set(self._dependents.get(Dependency(kind, namespace, name), ())))
        if kind == "Service" and key == self.status_service:
            change.status_source = True
        return change

    def _secret(self, namespace: str, name: str, obj: Mapping[str, Any] | None) -> Change:
        """A Secret added, changed (``obj``) or deleted (None); typed and kept only while referenced."""
        key = (namespace, name)
        if obj is not None and obj.get("type") in IGNORED_SECRET_TYPES:
            obj = None  # no Ingress refers to these: as if absent
        dependency = Dependency("Secret", namespace, name)
        users = self._dependents.get(dependency)
        previous = self.inventory.secrets.get(key)
        existed = key in self.secret_versions
        model: Secret | None = None
        if obj is not None:
            version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
            self.secret_versions[key] = version
            if not users or obj.get("kind") == METADATA_ONLY:
                self.inventory.secrets.pop(key, None)
                self.skipped.pop(("Secret", namespace, name), None)
                if not users:
                    return Change()  # nobody reads it: its name and version are enough
                return Change(ingresses=set(users), fetch={key})  # read, but its data is not here
            typed = self._type("Secret", namespace, name, obj)
            model = typed if isinstance(typed, Secret) else None
        if model is None:
            if obj is None:
                self.secret_versions.pop(key, None)
            if previous is None and not existed:
                return Change()
            self.inventory.secrets.pop(key, None)
        else:
            if previous is not None and previous.model == model:
                return Change()  # only metadata we do not read changed
            self.inventory.secrets[key] = Typed(model=model)
        return Change(ingresses=set(users or ()))

    def without_data(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A Secret watch event's object as `apply` would keep it: metadata only when no Ingress refers to
        it now. Events that wait (while a translation runs) wait without other teams' data."""
        meta = obj.get("metadata") or {}
        namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        if Dependency("Secret", namespace, name) in self._dependents:
            return obj
        kept = {"namespace": namespace, "name": name, "resourceVersion": meta.get("resourceVersion")}
        return {"apiVersion": "meta.k8s.io/v1", "kind": METADATA_ONLY, "metadata": kept, "type": obj.get("type")}

    def unfetched_secrets(self, key: IngressKey) -> set[tuple[str, str]]:
        """Secrets Ingress ``key`` refers to that exist but whose data was not kept (to fetch first)."""
        found: set[tuple[str, str]] = set()
        for dependency in self._depends_on.get(key, ()):
            if dependency.kind == "Secret":
                secret = (dependency.namespace, dependency.name)
                if self.is_unfetched(secret):
                    found.add(secret)
        return found

    def is_unfetched(self, secret: tuple[str, str]) -> bool:
        """Whether ``secret`` exists and its data is not here (and not because it could not be read)."""
        return (
            secret in self.secret_versions
            and secret not in self.inventory.secrets
            and ("Secret", *secret) not in self.skipped
        )

    def fetched_secret(self, secret: tuple[str, str], version: str, obj: Mapping[str, Any] | None) -> Change:
        """The answer to a GET of an unfetched ``secret`` (None: 404), sent when its version was ``version``.

        Taken only if no watch event changed the Secret meanwhile (that event carried the data, and may
        be newer than the GET's answer).
        """
        if not self.is_unfetched(secret) or self.secret_versions.get(secret) != version:
            return Change()
        namespace, name = secret
        return self._secret(namespace, name, obj)

    def _type(self, kind: str, namespace: str, name: str, obj: Mapping[str, Any]) -> KubeModel | None:
        model_cls = WATCHED_MODELS.get(kind)
        if model_cls is None:
            return None
        try:
            model = model_cls.model_validate(obj)
        except ValidationError as err:
            self.skipped[(kind, namespace, name)] = str(err.errors()[0].get("msg", err))
            return None
        self.skipped.pop((kind, namespace, name), None)
        model.metadata.namespace = namespace  # type: ignore[attr-defined]
        return model

    def _ingress(self, namespace: str, name: str, obj: Mapping[str, Any], model: Ingress | None) -> Change:
        key = (namespace, name)
        previous = self.ingresses.get(key)
        if model is None:
            if previous is None:
                return Change()
            del self.ingresses[key]
            self._set_dependencies(key, frozenset())
            return Change(ingresses={key})
        meta = obj.get("metadata") or {}
        status = obj.get("status") or {}
        load_balancer = list((status.get("loadBalancer") or {}).get("ingress") or [])
        live = LiveIngress(
            typed=Typed(model=model),
            uid=str(meta.get("uid") or ""),
            resource_version=str(meta.get("resourceVersion") or ""),
            load_balancer=load_balancer,
        )
        self.ingresses[key] = live
        if previous is not None and previous.typed.model == model and previous.uid == live.uid:
            return Change()  # a status write (ours) or other metadata: the routes cannot change
        self._set_dependencies(key, ingress_dependencies(model, self.options.prefix))
        return Change(ingresses={key}, fetch=self.unfetched_secrets(key))

    def _ingress_class(self, name: str, model: IngressClass | None) -> Change:
        classes = self.inventory.ingress_classes
        previous = classes.get(name)
        if model is None:
            if previous is None:
                return Change()
            del classes[name]
        else:
            if previous is not None and previous.model == model:
                return Change()
            classes[name] = Typed(model=model)
        self.selector = ClassSelector(self.inventory, self.options)
        return Change(ingresses=set(self.ingresses))

    def _endpoint_slice(self, namespace: str, name: str, model: EndpointSlice | None) -> Change:
        previous_service = self._slice_service.pop((namespace, name), None)
        previous = None
        if previous_service is not None:
            previous = self._slices_by_service[(namespace, previous_service)].pop(name, None)
        services = {previous_service} if previous_service is not None else set()
        if model is not None and model.service_name:
            self._slice_service[(namespace, name)] = model.service_name
            self._slices_by_service.setdefault((namespace, model.service_name), {})[name] = Typed(model=model)
            services.add(model.service_name)
            if previous is not None and previous_service == model.service_name and previous.model == model:
                return Change()
        change = Change()
        for service in services:
            slices = self._slices_by_service.get((namespace, service)) or {}
            if slices:
                self.inventory.endpoint_slices[(namespace, service)] = list(slices.values())
            else:
                self._slices_by_service.pop((namespace, service), None)
                self.inventory.endpoint_slices.pop((namespace, service), None)
            change.ingresses |= self._dependents.get(Dependency("EndpointSlice", namespace, service), set())
        return change

    # ------------------------------------------------------------------ dependencies
    def _set_dependencies(self, key: IngressKey, dependencies: frozenset[Dependency]) -> None:
        for dependency in self._depends_on.get(key, frozenset()) - dependencies:
            users = self._dependents.get(dependency)
            if users is not None:
                users.discard(key)
                if not users:
                    del self._dependents[dependency]
                    if dependency.kind == "Secret":  # nobody reads it any more: keep its version only
                        self.inventory.secrets.pop((dependency.namespace, dependency.name), None)
        for dependency in dependencies:
            self._dependents.setdefault(dependency, set()).add(key)
        if dependencies:
            self._depends_on[key] = dependencies
        else:
            self._depends_on.pop(key, None)

    def dependents_of(self, dependency: Dependency) -> set[IngressKey]:
        """The Ingresses whose translation reads ``dependency`` (for tests and diagnostics)."""
        return set(self._dependents.get(dependency, ()))
