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
    catch_all: bool = False  # an Ingress that may turn an empty host into `*` (subtle_allow_empty_host)


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
        catch_all = any(isinstance(key, str) and key.endswith("/subtle_allow_empty_host") for key in annotations)
        return ObjectSummary(tuple(provides), tuple(needs), tuple(hosts or [""]), True, False, catch_all)
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
    """Indices of the objects (given by summary and file) an analysis reporting on ``focus`` needs.

    Two passes over the summaries, each a set test per object (a repository of 10,000 Ingresses
    holds about 30,000 objects, a focus a handful): Ingresses sharing a host with a focus object
    and users of a focus Issuer join the focus objects; then everything they need is added.
    """
    roots = [i for i, path in enumerate(paths) if path in focus]
    hosts: set[str] = set()
    issuers: set[Key] = set()
    for index in roots:
        summary = summaries[index]
        hosts.update(summary.hosts)
        issuers.update(key for key in summary.provides if key[0] in ("Issuer", "ClusterIssuer"))
    exact, domains = _patterns(host.lower() for host in hosts)
    above = {parent for name in (*exact, *domains) for parent in _parents(name)}
    pulled: set[int] = set(roots)
    chosen: set[int] = set()
    for index, summary in enumerate(summaries):
        shares_host = (
            summary.is_ingress
            and bool(hosts)
            and (
                not hosts.isdisjoint(summary.hosts)
                or any(_overlaps(host.lower(), summary.catch_all, exact, domains, above) for host in summary.hosts)
            )
        )
        if shares_host or (issuers and not issuers.isdisjoint(summary.needs)):
            pulled.add(index)
        elif summary.always:
            chosen.add(index)
    chosen |= pulled
    wanted: set[Key] = set()
    for index in pulled:
        summary = summaries[index]
        wanted.update(summary.needs)
        wanted.add(summary.provides[0])
    for index, summary in enumerate(summaries):
        if not wanted.isdisjoint(summary.provides):
            chosen.add(index)
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


FileSummaries = tuple[str, list[ObjectSummary]]  # (path, one summary per object of the file)


def affected_files(
    old_files: Iterable[FileSummaries], new_files: Iterable[FileSummaries], changed: set[str]
) -> set[str] | None:
    """Files whose findings or routes may differ when only the files ``changed`` changed.

    An object is affected when it is in a changed file, needs something a changed object provides
    (or provided before), provides something a changed object needs (an Issuer's findings depend on
    the Ingresses that use it), is another definition of a changed object, or shares a host with a
    changed Ingress. Then every Ingress whose host pattern overlaps the host of an affected Ingress
    is added, until nothing more overlaps (`host_closure`), so routes of the affected files form
    whole host groups. None when every object may be affected (an IngressClass or a catch-all host).
    """
    old_files, new_files = list(old_files), list(new_files)
    touched = [s for path, summaries in (*old_files, *new_files) if path in changed for s in summaries]
    if any(summary.always for summary in touched):
        return None
    provided: set[Key] = set()
    needed: set[Key] = set()
    hosts: set[str] = set()
    for summary in touched:
        provided.update(summary.provides)
        needed.update(summary.needs)
        if summary.is_ingress:
            hosts.update(summary.hosts)
    paths = set(changed)
    for path, summaries in new_files:  # an unchanged file is the same on both sides: judge it once
        if path in paths:
            continue
        for summary in summaries:
            if (
                not provided.isdisjoint(summary.needs)
                or not needed.isdisjoint(summary.provides)
                or summary.provides[0] in provided
                or (summary.is_ingress and not hosts.isdisjoint(summary.hosts))
            ):
                paths.add(path)
                break
    current = {path for path, _summaries in new_files}
    return host_closure([*new_files, *((p, s) for p, s in old_files if p in changed or p not in current)], paths)


def _parents(name: str) -> list[str]:
    """``a.b.c`` -> ``["b.c", "c"]``: the domains a wildcard over which would match ``name``."""
    labels = name.split(".")
    return [".".join(labels[index:]) for index in range(1, len(labels))]


def host_closure(files: Iterable[FileSummaries], start: set[str]) -> set[str] | None:
    """``start`` plus every file with an Ingress whose host pattern overlaps one of the result's, repeatedly.

    Two patterns overlap when some request host is matched by both (equal hosts; a host under a
    wildcard; nested wildcards). A route table built from the result's routes then resolves every
    host of those routes as the whole table would. None when a catch-all `*` host is involved.
    """
    # (path, lower-cased hosts, may route every host) of each Ingress, worked out once
    ingresses = [
        (path, [host.lower() for host in s.hosts], s.catch_all)
        for path, summaries in files
        for s in summaries
        if s.is_ingress
    ]
    result = set(start)
    new_paths = set(start)
    exact: set[str] = set()  # exact hosts of the result
    domains: set[str] = set()  # d of the result's wildcards `*.d`
    while new_paths:
        for path, hosts, catch_all in ingresses:
            if path not in new_paths:
                continue
            for host in hosts:
                if not host:
                    if catch_all:
                        return None
                elif host.startswith("*."):
                    domains.add(host[2:])
                elif "*" in host:
                    return None
                else:
                    exact.add(host)
        above = {parent for name in (*exact, *domains) for parent in _parents(name)}
        new_paths = {
            path
            for path, hosts, catch_all in ingresses
            if path not in result and any(_overlaps(host, catch_all, exact, domains, above) for host in hosts)
        }
        result |= new_paths
    return result


def _patterns(hosts: Iterable[str]) -> tuple[set[str], set[str]]:
    """The exact hosts and the domains ``d`` of the wildcards ``*.d`` among ``hosts``."""
    exact: set[str] = set()
    domains: set[str] = set()
    for host in hosts:
        if host.startswith("*."):
            domains.add(host[2:])
        elif host and "*" not in host:
            exact.add(host)
    return exact, domains


def _overlaps(host: str, catch_all: bool, exact: set[str], domains: set[str], above: set[str]) -> bool:
    """Whether some request host matches both ``host`` and one of the patterns (``above``: their parents)."""
    if not host:
        return catch_all  # routes every host
    if host.startswith("*."):
        domain = host[2:]
        return domain in domains or domain in above or any(p in domains for p in _parents(domain))
    return host in exact or (bool(domains) and any(p in domains for p in _parents(host)))
