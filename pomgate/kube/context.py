"""Which objects an analysis of some files needs, so a hook can skip the rest of a big repository.

Findings about the objects of the focus files depend on those objects, on what they name
(Services, Secrets and the objects producing them, Endpoints, cert-manager Issuers and
Certificates), on every IngressClass, on Ingresses that share a host with them (duplicate TCP
hosts, shadowed routes), on Ingresses that use a focus Issuer, and on other definitions of the same
object. Ingresses pulled in for a shared host must translate exactly as in a full run, so what
*they* name is included too. Everything here reads raw manifests; nothing is typed or translated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pomgate.kube.inventory import secret_producer
from pomgate.scanning.manifest import ManifestObject

Key = tuple[str, str, str]  # (what, namespace, name)

_ISSUER = "cert-manager.io/issuer"
_CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
_SERVICE_NAME_LABEL = "kubernetes.io/service-name"
#: Kinds that are, or produce, a Secret (`pomgate.kube.inventory.secret_producer`).
_SECRET_SOURCES = frozenset({"Secret", "SealedSecret", "ExternalSecret"})


@dataclass(frozen=True)
class ObjectSummary:
    """What one object provides to others and needs from them, by key."""

    provides: tuple[Key, ...]
    needs: tuple[Key, ...]
    hosts: tuple[str, ...]
    is_ingress: bool
    always: bool  # needed by every analysis (IngressClasses)


_EMPTY: dict[Any, Any] = {}


def _map(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, dict) else _EMPTY  # (an ABC check would be far slower)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _backend_service(backend: Any) -> str | None:
    name = _map(_map(backend).get("service")).get("name")
    return name if isinstance(name, str) else None


def summarize(obj: ManifestObject) -> ObjectSummary:
    """The keys ``obj`` provides and needs, and its hosts when it is an Ingress."""
    ns, name, raw = obj.namespace, obj.name, obj.raw
    provides: list[Key] = [("object", f"{obj.kind}/{ns}", name)]
    needs: list[Key] = []
    hosts: list[str] = []
    spec = _map(raw.get("spec"))
    if obj.kind == "Ingress":
        annotations = _map(_map(raw.get("metadata")).get("annotations"))
        services = [_backend_service(spec.get("defaultBackend"))]
        for rule in _list(spec.get("rules")):
            host = _map(rule).get("host")
            hosts.append(host if isinstance(host, str) else "")
            for path in _list(_map(_map(rule).get("http")).get("paths")):
                services.append(_backend_service(_map(path).get("backend")))
        for tls in _list(spec.get("tls")):
            hosts.extend(h for h in _list(_map(tls).get("hosts")) if isinstance(h, str))
            secret = _map(tls).get("secretName")
            if isinstance(secret, str):
                needs += [("Secret", ns, secret), ("CertificateSecret", ns, secret)]
        for service in {s for s in services if s}:
            needs += [("Service", ns, service), ("Endpoints", ns, service)]
        for key, value in annotations.items():
            if isinstance(key, str) and isinstance(value, str) and key.endswith("_secret"):
                needs.append(("Secret", ns, value))
        issuer, cluster_issuer = annotations.get(_ISSUER), annotations.get(_CLUSTER_ISSUER)
        if isinstance(issuer, str):
            needs.append(("Issuer", ns, issuer))
        if isinstance(cluster_issuer, str):
            needs.append(("ClusterIssuer", "", cluster_issuer))
        return ObjectSummary(tuple(provides), tuple(needs), tuple(hosts or [""]), True, False)
    if obj.kind in ("Service", "Endpoints"):
        provides.append((obj.kind, ns, name))
    elif obj.kind == "EndpointSlice":
        owner = _map(_map(raw.get("metadata")).get("labels")).get(_SERVICE_NAME_LABEL)
        if isinstance(owner, str):
            provides.append(("Endpoints", ns, owner))
    elif obj.kind in ("Issuer", "ClusterIssuer"):
        provides.append((obj.kind, ns if obj.kind == "Issuer" else "", name))
    elif obj.kind == "Certificate":
        secret = spec.get("secretName")
        if isinstance(secret, str):
            provides.append(("CertificateSecret", ns, secret))
    elif obj.kind in _SECRET_SOURCES:
        provides.append(("Secret", ns, name))
        producer = secret_producer(obj)
        if producer is not None:
            provides.append(("Secret", producer.namespace, producer.name))
    return ObjectSummary(tuple(provides), tuple(needs), (), False, obj.kind == "IngressClass")


def select_indices(summaries: list[ObjectSummary], paths: list[str], focus: set[str]) -> set[int]:
    """Indices of the objects (given by summary and file) an analysis reporting on ``focus`` needs."""
    providers: dict[Key, list[int]] = {}
    by_host: dict[str, list[int]] = {}
    issuer_users: dict[Key, list[int]] = {}
    for index, summary in enumerate(summaries):
        for key in summary.provides:
            providers.setdefault(key, []).append(index)
        for host in summary.hosts:
            by_host.setdefault(host, []).append(index)
        for key in summary.needs:
            if key[0] in ("Issuer", "ClusterIssuer"):
                issuer_users.setdefault(key, []).append(index)
    chosen: set[int] = {i for i, s in enumerate(summaries) if s.always}
    roots = [i for i, path in enumerate(paths) if path in focus]
    pulled: list[int] = []
    for index in roots:
        summary = summaries[index]
        for host in summary.hosts:
            pulled.extend(by_host.get(host, ()))
        for key in summary.provides:
            pulled.extend(issuer_users.get(key, ()))
    for index in {*roots, *pulled}:
        chosen.add(index)
        summary = summaries[index]
        for key in (*summary.needs, summary.provides[0]):
            chosen.update(providers.get(key, ()))
    return chosen


def select_context(objects: list[ManifestObject], focus_paths: Iterable[str]) -> list[ManifestObject]:
    """The objects (in input order) an analysis reporting on ``focus_paths`` needs."""
    chosen = select_indices([summarize(obj) for obj in objects], [obj.origin.path for obj in objects], set(focus_paths))
    return [objects[i] for i in sorted(chosen)]


def summarize_file(objects: list[ManifestObject]) -> list[ObjectSummary]:
    """The index the scan cache keeps per file: one summary per object."""
    return [summarize(obj) for obj in objects]


def select_files(indexed: list[tuple[str, list[ObjectSummary]]], focus_paths: Iterable[str]) -> set[str]:
    """The files holding an object that an analysis reporting on ``focus_paths`` needs."""
    summaries: list[ObjectSummary] = []
    paths: list[str] = []
    for path, file_summaries in indexed:
        summaries.extend(file_summaries)
        paths.extend(path for _ in file_summaries)
    chosen = select_indices(summaries, paths, set(focus_paths))
    return {paths[i] for i in chosen} | set(focus_paths)


def affected_paths(
    old_objects: list[ManifestObject], new_objects: list[ManifestObject], changed: set[str]
) -> set[str] | None:
    """Files whose findings or routes may differ when only the files ``changed`` changed.

    An object is affected when it is in a changed file, needs something a changed object provides
    (or provided before), provides something a changed object needs (an Issuer's findings depend on
    the Ingresses that use it), is another definition of a changed object, or shares a host with a
    changed Ingress. None when every object may be affected (an IngressClass changed).
    """
    touched = [obj for obj in (*old_objects, *new_objects) if obj.origin.path in changed]
    if any(obj.kind == "IngressClass" for obj in touched):
        return None
    provided: set[Key] = set()
    needed: set[Key] = set()
    hosts: set[str] = set()
    for obj in touched:
        summary = summarize(obj)
        provided.update(summary.provides)
        needed.update(summary.needs)
        if summary.is_ingress:
            hosts.update(summary.hosts)
    paths = set(changed)
    seen: set[int] = set()
    for obj in (*old_objects, *new_objects):
        if obj.origin.path in paths or id(obj) in seen:
            continue  # an unchanged file's objects are the same on both sides: judge them once
        seen.add(id(obj))
        summary = summarize(obj)
        if (
            provided.intersection(summary.needs)
            or needed.intersection(summary.provides)
            or summary.provides[0] in provided
            or (summary.is_ingress and hosts.intersection(summary.hosts))
        ):
            paths.add(obj.origin.path)
    return paths
