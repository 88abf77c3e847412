"""Which objects an Ingress's translation reads (controller.md §3), so a change to one of them
re-translates exactly the Ingresses that depend on it.

Pure: an Ingress model in, the (kind, namespace, name) of every object its fetch stage looks up out,
including objects that do not exist (creating a missing Secret must retry the Ingress).
"""

from __future__ import annotations

from typing import NamedTuple

from pomgate.kube.models import Ingress
from pomgate.translation.annotations import secret_annotation_names


class Dependency(NamedTuple):
    """An object an Ingress reads: ``kind`` is Service, Endpoints, EndpointSlice or Secret.

    For EndpointSlice, ``name`` is the *Service* name (slices are looked up by the
    ``kubernetes.io/service-name`` label, not by their own name).
    """

    kind: str
    namespace: str
    name: str


def ingress_dependencies(ingress: Ingress, prefix: str) -> frozenset[Dependency]:
    """Every object the translation of ``ingress`` looks up, present or not."""
    namespace = ingress.metadata.namespace
    found: set[Dependency] = set()
    spec = ingress.spec
    if spec is None:
        return frozenset()
    for tls in spec.tls:
        if tls.secretName:
            found.add(Dependency("Secret", namespace, tls.secretName))
    for _key, secret in secret_annotation_names(ingress.metadata.annotation_map, prefix):
        found.add(Dependency("Secret", namespace, secret))
    backends = [spec.defaultBackend] if spec.defaultBackend is not None else []
    for rule in spec.rules:
        if rule.http is not None:
            backends.extend(path.backend for path in rule.http.paths)
    for backend in backends:
        if backend is not None and backend.service is not None and backend.service.name:
            service = backend.service.name
            found.add(Dependency("Service", namespace, service))
            found.add(Dependency("Endpoints", namespace, service))
            found.add(Dependency("EndpointSlice", namespace, service))
    return frozenset(found)
