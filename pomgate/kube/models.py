"""Typed models of the Kubernetes objects the translator reads.

Field types follow Kubernetes' JSON decoding: a number where a string belongs (or the reverse) is
a decode error, so the models use strict scalar types. Unknown fields are ignored.
"""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

IntOrString = StrictInt | StrictStr


class KubeModel(BaseModel):
    """Base: tolerate unknown fields, never coerce scalar types."""

    model_config = ConfigDict(extra="ignore", frozen=False)


class ObjectMeta(KubeModel):
    name: StrictStr
    namespace: StrictStr = ""
    annotations: dict[StrictStr, StrictStr] | None = None
    labels: dict[StrictStr, StrictStr] | None = None

    @property
    def annotation_map(self) -> dict[str, str]:
        return self.annotations or {}

    @property
    def label_map(self) -> dict[str, str]:
        return self.labels or {}


# ---------------------------------------------------------------- Ingress (networking.k8s.io/v1)


class ServiceBackendPort(KubeModel):
    name: StrictStr = ""
    number: StrictInt = 0


class IngressServiceBackend(KubeModel):
    name: StrictStr = ""
    port: ServiceBackendPort | None = None


class TypedLocalObjectReference(KubeModel):
    apiGroup: StrictStr | None = None
    kind: StrictStr = ""
    name: StrictStr = ""


class IngressBackend(KubeModel):
    service: IngressServiceBackend | None = None
    resource: TypedLocalObjectReference | None = None


class HTTPIngressPath(KubeModel):
    path: StrictStr = ""
    pathType: StrictStr | None = None
    backend: IngressBackend = Field(default_factory=IngressBackend)


class HTTPIngressRuleValue(KubeModel):
    paths: list[HTTPIngressPath] = Field(default_factory=list)


class IngressRule(KubeModel):
    host: StrictStr = ""
    http: HTTPIngressRuleValue | None = None


class IngressTLS(KubeModel):
    hosts: list[StrictStr] = Field(default_factory=list)
    secretName: StrictStr = ""


class IngressSpec(KubeModel):
    ingressClassName: StrictStr | None = None
    defaultBackend: IngressBackend | None = None
    rules: list[IngressRule] = Field(default_factory=list)
    tls: list[IngressTLS] = Field(default_factory=list)


class Ingress(KubeModel):
    metadata: ObjectMeta
    spec: IngressSpec | None = None


# ---------------------------------------------------------------- IngressClass


class IngressClassSpec(KubeModel):
    controller: StrictStr = ""


class IngressClass(KubeModel):
    metadata: ObjectMeta
    spec: IngressClassSpec = Field(default_factory=IngressClassSpec)


# ---------------------------------------------------------------- Service, Endpoints, EndpointSlice


class ServicePort(KubeModel):
    name: StrictStr = ""
    port: StrictInt = 0
    targetPort: IntOrString | None = None
    protocol: StrictStr = "TCP"

    @property
    def effective_target_port(self) -> int | str:
        """targetPort as the API server defaults it (0 or "" -> port)."""
        if self.targetPort in (None, 0, ""):
            return self.port
        return self.targetPort


class ServiceSpec(KubeModel):
    type: StrictStr = "ClusterIP"
    externalName: StrictStr = ""
    ports: list[ServicePort] = Field(default_factory=list)
    clusterIP: StrictStr | None = None


class LoadBalancerIngress(KubeModel):
    model_config = ConfigDict(extra="allow")
    ip: StrictStr | None = None
    hostname: StrictStr | None = None


class LoadBalancerStatus(KubeModel):
    ingress: list[LoadBalancerIngress] = Field(default_factory=list)


class ServiceStatus(KubeModel):
    loadBalancer: LoadBalancerStatus = Field(default_factory=LoadBalancerStatus)


class Service(KubeModel):
    metadata: ObjectMeta
    spec: ServiceSpec = Field(default_factory=ServiceSpec)
    status: ServiceStatus = Field(default_factory=ServiceStatus)


class EndpointAddress(KubeModel):
    ip: StrictStr = ""


class EndpointPort(KubeModel):
    name: StrictStr = ""
    port: StrictInt = 0
    protocol: StrictStr = "TCP"


class EndpointSubset(KubeModel):
    addresses: list[EndpointAddress] = Field(default_factory=list)
    notReadyAddresses: list[EndpointAddress] = Field(default_factory=list)
    ports: list[EndpointPort] = Field(default_factory=list)


class Endpoints(KubeModel):
    metadata: ObjectMeta
    subsets: list[EndpointSubset] = Field(default_factory=list)


class EndpointConditions(KubeModel):
    ready: StrictBool | None = None


class SliceEndpoint(KubeModel):
    addresses: list[StrictStr] = Field(default_factory=list)
    conditions: EndpointConditions = Field(default_factory=EndpointConditions)


class SlicePort(KubeModel):
    name: StrictStr | None = None
    port: StrictInt | None = None


class EndpointSlice(KubeModel):
    metadata: ObjectMeta
    addressType: StrictStr = "IPv4"
    endpoints: list[SliceEndpoint] = Field(default_factory=list)
    ports: list[SlicePort] | None = None

    @property
    def service_name(self) -> str:
        return self.metadata.label_map.get("kubernetes.io/service-name", "")


# ---------------------------------------------------------------- Secret


class Secret(KubeModel):
    metadata: ObjectMeta
    type: StrictStr = ""
    data: dict[StrictStr, StrictStr | None] | None = None
    stringData: dict[StrictStr, StrictStr | None] | None = None

    @property
    def effective_type(self) -> str:
        """The type after API defaulting (empty -> Opaque)."""
        return self.type or "Opaque"

    def decoded_data(self) -> tuple[dict[str, bytes], list[str]]:
        """``data`` decoded from base64 merged with ``stringData`` (as the API server does).

        Returns the merged bytes and the keys whose base64 could not be decoded.
        """
        out: dict[str, bytes] = {}
        bad: list[str] = []
        for key, value in (self.data or {}).items():
            try:
                out[key] = base64.b64decode(value or "", validate=True)
            except (binascii.Error, ValueError):
                bad.append(key)
        for key, text in (self.stringData or {}).items():
            out[key] = (text or "").encode("utf-8")
        return out, bad


def model_for_kind(api_version: str, kind: str) -> type[KubeModel] | None:
    """The model class for a manifest's apiVersion/kind, or None when pomgate does not type it."""
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    if kind == "Ingress" and api_version == "networking.k8s.io/v1":
        return Ingress
    if kind == "IngressClass" and group == "networking.k8s.io":
        return IngressClass
    if group == "" and kind in _CORE_KINDS:
        return _CORE_KINDS[kind]
    if kind == "EndpointSlice" and group == "discovery.k8s.io":
        return EndpointSlice
    return None


_CORE_KINDS: dict[str, type[KubeModel]] = {
    "Service": Service,
    "Endpoints": Endpoints,
    "Secret": Secret,
}
