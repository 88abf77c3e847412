"""The translator's input: typed objects indexed the way the controller looks them up.

`build_inventory` turns scanned `ManifestObject`s into typed models. What Kubernetes itself would
refuse to decode (a non-string annotation value, a string where a number belongs) or validate (see
`pomgate.kube.apivalidation`: names, hosts, paths, backends, unknown fields) becomes a `k8s/`
finding here; such an object never reaches the cluster, so it is marked rejected.

Duplicates have one policy everywhere: when two documents define the same kind, namespace and name,
the later one replaces the earlier, as a later `kubectl apply` would. Only the later one is typed
into the inventory, so rendering, explaining, diffing and every rule see that one; the earlier one
still gets its own `k8s/` findings (at its own file and line) and the `input/duplicate-object`
warning names where it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from pomgate.findings import FieldPath, Finding, ObjectRef, Severity
from pomgate.kube.apivalidation import ApiFieldError, validate_object
from pomgate.kube.models import (
    Endpoints,
    EndpointSlice,
    Ingress,
    IngressClass,
    KubeModel,
    Secret,
    Service,
    model_for_kind,
)
from pomgate.scanning.manifest import ManifestObject

M = TypeVar("M", bound=KubeModel)

REMOVED_INGRESS_VERSIONS = ("extensions/v1beta1", "networking.k8s.io/v1beta1")
REMOVED_INGRESS_CLASS_VERSIONS = ("networking.k8s.io/v1beta1",)


@dataclass
class Typed(Generic[M]):
    """A typed model with the scanned object it came from."""

    model: M
    source: ManifestObject | None = None
    rejected: bool = False

    @cached_property
    def ref(self) -> ObjectRef:
        meta = self.model.metadata  # type: ignore[attr-defined]
        kind = type(self.model).__name__
        return ObjectRef(kind, meta.namespace, meta.name)


@dataclass
class SecretKeys:
    """What is known about a Secret that is produced outside plain manifests.

    SealedSecrets, ExternalSecrets and SOPS-encrypted Secrets show their key names but not their
    values; ``source_kind`` names the producing object for messages.
    """

    namespace: str
    name: str
    keys: frozenset[str]
    secret_type: str | None
    source_kind: str
    keys_known: bool = True


@dataclass
class Inventory:
    """Every object the translator may look up, by (namespace, name)."""

    ingresses: list[Typed[Ingress]] = field(default_factory=list)
    ingress_classes: dict[str, Typed[IngressClass]] = field(default_factory=dict)
    services: dict[tuple[str, str], Typed[Service]] = field(default_factory=dict)
    endpoints: dict[tuple[str, str], Typed[Endpoints]] = field(default_factory=dict)
    endpoint_slices: dict[tuple[str, str], list[Typed[EndpointSlice]]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], Typed[Secret]] = field(default_factory=dict)
    secret_producers: dict[tuple[str, str], SecretKeys] = field(default_factory=dict)
    objects: dict[ObjectRef, ManifestObject] = field(default_factory=dict)

    def source_of(self, ref: ObjectRef) -> ManifestObject | None:
        return self.objects.get(ref)


def needs_api_validation(obj: ManifestObject) -> bool:
    """Whether `build_inventory` checks ``obj`` as the API server would (the kinds it types)."""
    if obj.kind == "Ingress" and obj.api_version in REMOVED_INGRESS_VERSIONS:
        return False
    if obj.kind == "IngressClass" and obj.api_version in REMOVED_INGRESS_CLASS_VERSIONS:
        return False
    if secret_producer(obj) is not None:
        return False
    return model_for_kind(obj.api_version, obj.kind) is not None


def api_validation(objects: Sequence[ManifestObject]) -> list[list[ApiFieldError] | None]:
    """`validate_object` of every object that needs it (None for the others), in order."""
    return [validate_object(obj) if needs_api_validation(obj) else None for obj in objects]


def build_inventory(
    objects: Iterable[ManifestObject],
    *,
    api_errors: Callable[[], Sequence[list[ApiFieldError] | None]] | None = None,
) -> tuple[Inventory, list[Finding]]:
    """Type every object pomgate understands; report what Kubernetes would refuse to decode.

    ``api_errors`` gives `api_validation` of the same objects when another process computed it
    meanwhile (`pomgate.parallel`); without it the checks run here. The findings are the same.
    """
    objects = list(objects)
    inv = Inventory()
    planned: list[tuple[ManifestObject, list[Finding], Typed[Any] | None, list[Finding], bool]] = []
    #: the index in ``planned`` of the definition of each object that is used (the last one)
    used: dict[ObjectRef, int] = {}
    for obj in objects:
        early: list[Finding] = []
        ref = obj.ref
        if ref in inv.objects:
            prev = inv.objects[ref]
            early.append(
                _finding(
                    obj,
                    "input/duplicate-object",
                    Severity.WARNING,
                    f"{ref} is defined twice (also at {prev.origin.path}:{prev.origin.line}); "
                    "the later definition is used, as a later `kubectl apply` would",
                    (),
                )
            )
        inv.objects[ref] = obj
        used[ref] = len(planned)
        if obj.kind == "Ingress" and obj.api_version in REMOVED_INGRESS_VERSIONS:
            early.append(
                _finding(
                    obj,
                    "k8s/removed-api-version",
                    Severity.ERROR,
                    f'no matches for kind "Ingress" in version "{obj.api_version}": this API version is '
                    "not served since Kubernetes 1.22; use networking.k8s.io/v1 "
                    "(service.name / service.port.number instead of serviceName / servicePort)",
                    ("apiVersion",),
                )
            )
            planned.append((obj, early, None, [], False))
            continue
        if obj.kind == "IngressClass" and obj.api_version in REMOVED_INGRESS_CLASS_VERSIONS:
            early.append(
                _finding(
                    obj,
                    "k8s/removed-api-version",
                    Severity.ERROR,
                    f'no matches for kind "IngressClass" in version "{obj.api_version}": this API version is '
                    "not served since Kubernetes 1.22; use networking.k8s.io/v1",
                    ("apiVersion",),
                    hint="apiVersion: networking.k8s.io/v1",
                )
            )
            planned.append((obj, early, None, [], False))
            continue
        producer = secret_producer(obj)
        if producer is not None:
            inv.secret_producers[(producer.namespace, producer.name)] = producer
            planned.append((obj, early, None, [], False))
            continue
        model_cls = model_for_kind(obj.api_version, obj.kind)
        if model_cls is None:
            planned.append((obj, early, None, [], False))
            continue
        typed, problems = _type_object(obj, model_cls)
        planned.append((obj, early, typed, problems, True))
    checked = api_errors() if api_errors is not None else None
    findings: list[Finding] = []
    for index, (obj, early, typed, problems, validated) in enumerate(planned):
        findings.extend(early)
        if not validated:
            continue
        findings.extend(problems)
        # What the API server's strict decoding and validation reject (checked on the raw object, so
        # objects that failed typing get these findings too).
        errors = checked[index] if checked is not None else validate_object(obj)
        for error in errors or ():
            findings.append(_finding(obj, error.rule, error.severity, error.message, error.field, hint=error.hint))
        if typed is None:
            continue
        if any(error.severity is Severity.ERROR for error in errors or ()):
            typed.rejected = True
        if used[obj.ref] == index:  # an earlier duplicate is replaced, not indexed
            _index(inv, typed)
    return inv, findings


def _index(inv: Inventory, typed: Typed[Any]) -> None:
    model = typed.model
    key = (model.metadata.namespace, model.metadata.name)
    if isinstance(model, Ingress):
        inv.ingresses.append(typed)
    elif isinstance(model, IngressClass):
        inv.ingress_classes[model.metadata.name] = typed
    elif isinstance(model, Service):
        inv.services[key] = typed
    elif isinstance(model, Endpoints):
        inv.endpoints[key] = typed
    elif isinstance(model, EndpointSlice):
        svc = model.service_name
        if svc:
            inv.endpoint_slices.setdefault((model.metadata.namespace, svc), []).append(typed)
    elif isinstance(model, Secret):
        inv.secrets[key] = typed


def _type_object(obj: ManifestObject, model_cls: type[KubeModel]) -> tuple[Typed[Any] | None, list[Finding]]:
    findings: list[Finding] = []
    raw = obj.raw
    rejected = False
    meta = raw.get("metadata")
    if isinstance(meta, Mapping):
        fixed_meta = dict(meta)
        for section in ("annotations", "labels"):
            values = meta.get(section)
            if values is None:
                continue
            if not isinstance(values, Mapping):
                findings.append(
                    _finding(
                        obj,
                        "k8s/decode",
                        Severity.ERROR,
                        f"metadata.{section} must be a map of strings, got {_json_type(values)}",
                        ("metadata", section),
                    )
                )
                fixed_meta[section] = None
                rejected = True
                continue
            coerced: dict[str, str] = {}
            for key, value in values.items():
                skey = key if isinstance(key, str) else _kube_text(key)
                if isinstance(value, str):
                    coerced[skey] = value
                elif value is None:
                    coerced[skey] = ""
                    findings.append(
                        _finding(
                            obj,
                            "k8s/empty-metadata-value",
                            Severity.WARNING,
                            f"{section[:-1]} {skey!r} has no value (an unquoted null, ~ or nothing): Kubernetes "
                            "stores it as an empty string; older kubectl (client-side apply up to 1.32) silently "
                            f"dropped every {section[:-1]} of the object instead",
                            ("metadata", section, key),
                            hint=f'{skey}: ""' if isinstance(key, str) else None,
                        )
                    )
                else:
                    # kubectl refuses the whole object; keep the text so later checks still run.
                    rejected = True
                    coerced[skey] = _kube_text(value)
                    findings.append(
                        _finding(
                            obj,
                            "k8s/annotation-not-string" if section == "annotations" else "k8s/label-not-string",
                            Severity.ERROR,
                            f"{section[:-1]} {skey!r} has a non-string value ({_json_type(value)} "
                            f"{_kube_text(value)}): Kubernetes stores {section} as strings and kubectl "
                            f"refuses the object (json: cannot unmarshal {_json_type(value)} into Go struct "
                            f"field ObjectMeta.metadata.{section} of type string); quote the value",
                            ("metadata", section, key),
                            hint=f'{skey}: "{_kube_text(value)}"',
                        )
                    )
            fixed_meta[section] = coerced
        fixed_meta["namespace"] = obj.namespace
        raw = {**raw, "metadata": fixed_meta}
    try:
        model = model_cls.model_validate(raw)
    except ValidationError as err:
        for problem in err.errors()[:5]:
            loc = tuple(problem.get("loc", ()))
            findings.append(
                _finding(
                    obj,
                    "k8s/decode",
                    Severity.ERROR,
                    f'{obj.kind} in version "{obj.api_version.rsplit("/", 1)[-1]}" cannot be handled as a '
                    f"{obj.kind}: {_dotted(loc)}: {_pydantic_message(problem, secret=model_cls is Secret)}",
                    loc,
                )
            )
        return None, findings
    return Typed(model=model, source=obj, rejected=rejected), findings


def _kube_text(value: Any) -> str:
    """How a YAML scalar reads as text (for messages and to keep checking a rejected object)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a map"
    return "string"


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(object)"


def _pydantic_message(problem: Mapping[str, Any], *, secret: bool = False) -> str:
    """The decode error of one field; a Secret's values are never shown (``secret``)."""
    kind = str(problem.get("type", ""))
    value = problem.get("input")
    if kind.startswith(("string_type", "int_type", "bool_type", "dict_type", "list_type", "model_type")):
        expected = {
            "string": "string",
            "int": "integer",
            "bool": "boolean",
            "dict": "map",
            "list": "list",
            "model": "map",
        }[kind.split("_", 1)[0]]
        article = "an" if expected[0] in "aeiou" else "a"
        shown = "<redacted>" if secret else _short(value)
        return f"expected {article} {expected}, got {_json_type(value)} {shown}"
    if kind == "missing":
        return "required field is missing"
    return str(problem.get("msg", kind))


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


def _finding(
    obj: ManifestObject, rule: str, severity: Severity, message: str, path: FieldPath, *, hint: str | None = None
) -> Finding:
    return Finding(
        hint=hint,
        rule=rule,
        severity=severity,
        message=message,
        obj=obj.ref,
        path=obj.origin.path,
        line=obj.line_of(path),
        field=path,
    )


# ---------------------------------------------------------------- Secrets produced by other objects


def secret_producer(obj: ManifestObject) -> SecretKeys | None:
    """Key names of the Secret an object will produce, when they are visible in the manifest.

    Covers Bitnami SealedSecrets, External Secrets Operator ExternalSecrets and SOPS-encrypted
    Secrets (whose keys are in clear but values encrypted).
    """
    raw = obj.raw
    spec = raw.get("spec") if isinstance(raw.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    group = obj.api_version.split("/", 1)[0]
    if obj.kind == "SealedSecret" and group == "bitnami.com":
        template = spec.get("template") if isinstance(spec.get("template"), Mapping) else {}
        assert isinstance(template, Mapping)
        tmeta = template.get("metadata") if isinstance(template.get("metadata"), Mapping) else {}
        assert isinstance(tmeta, Mapping)
        name = tmeta.get("name") if isinstance(tmeta.get("name"), str) else obj.name
        enc = spec.get("encryptedData")
        keys = frozenset(str(k) for k in enc) if isinstance(enc, Mapping) else frozenset()
        stype = template.get("type") if isinstance(template.get("type"), str) else None
        return SecretKeys(obj.namespace, str(name), keys, stype or "Opaque", "SealedSecret")
    if obj.kind == "ExternalSecret" and group == "external-secrets.io":
        target = spec.get("target") if isinstance(spec.get("target"), Mapping) else {}
        assert isinstance(target, Mapping)
        name = target.get("name") if isinstance(target.get("name"), str) else obj.name
        key_set: set[str] = set()
        known = True
        for item in spec.get("data") or []:
            if isinstance(item, Mapping) and isinstance(item.get("secretKey"), str):
                key_set.add(item["secretKey"])
        if spec.get("dataFrom"):
            known = False  # keys come from the remote store
        template = target.get("template") if isinstance(target.get("template"), Mapping) else {}
        assert isinstance(template, Mapping)
        tdata = template.get("data")
        if isinstance(tdata, Mapping):
            key_set.update(str(k) for k in tdata)
        stype = template.get("type") if isinstance(template.get("type"), str) else "Opaque"
        return SecretKeys(obj.namespace, str(name), frozenset(key_set), stype, "ExternalSecret", known)
    if obj.kind == "Secret" and isinstance(raw.get("sops"), Mapping):
        sops_keys: set[str] = set()
        for section in ("data", "stringData"):
            values = raw.get(section)
            if isinstance(values, Mapping):
                sops_keys.update(str(k) for k in values)
        stype = raw.get("type") if isinstance(raw.get("type"), str) else "Opaque"
        return SecretKeys(obj.namespace, obj.name, frozenset(sops_keys), stype or "Opaque", "SOPS-encrypted Secret")
    return None
