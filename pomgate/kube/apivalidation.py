"""What the Kubernetes API server rejects before an ingress controller sees an object.

Pure functions over the *raw* manifest (the plain dict read from YAML). The format validators
return Kubernetes' own detail texts; `validate_object` checks an Ingress (networking.k8s.io/v1),
IngressClass, Service or Secret the way the API server validates a create and returns
`ApiFieldError`s carrying a rule id, the Kubernetes-style message, the field path (to find the
line) and, where the fix is obvious, a hint.

Values of the wrong JSON type are reported elsewhere (``k8s/decode``); here they are skipped, so
nothing in this module raises on odd input. Where Kubernetes versions differ, the strict reading
for "any supported cluster" is used: Service names are DNS-1035 labels, and the
``kubernetes.io/ingress.class`` annotation next to ``spec.ingressClassName`` is an error when the
two differ and a warning when they are equal.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pomgate.findings import FieldPath, Finding, ObjectRef, Severity
from pomgate.scanning.manifest import ManifestObject

# ---------------------------------------------------------------- §1 name formats

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + r"(\." + _DNS1123_LABEL_FMT + ")*"
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_WILDCARD_FMT = r"\*\." + _DNS1123_SUBDOMAIN_FMT
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QNAME_FMT + ")?"
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_HTTP_PATH_FMT = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"

_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1035_LABEL_RE = re.compile(_DNS1035_LABEL_FMT)
_WILDCARD_RE = re.compile(_WILDCARD_FMT)
_QNAME_RE = re.compile(_QNAME_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_CONFIG_KEY_RE = re.compile(_CONFIG_KEY_FMT)
_HTTP_PATH_RE = re.compile(_HTTP_PATH_FMT)
_PORT_NAME_CHARSET_RE = re.compile("[-a-z0-9]+")
_IPV4_SLOPPY_RE = re.compile(r"(\d+)\.(\d+)\.(\d+)\.(\d+)")

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
DNS1035_LABEL_MAX = 63
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63
PORT_NAME_MAX = 15
ANNOTATIONS_SIZE_LIMIT = 256 * 1024
SECRET_SIZE_LIMIT = 1024 * 1024
INGRESS_CLASS_CONTROLLER_MAX = 250


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    """Kubernetes' RegexError text (the doubled space after each example is part of it)."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len(limit: int) -> str:
    return f"must be no more than {limit} characters"


DNS1123_LABEL_ERROR = _regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character",
    _DNS1123_LABEL_FMT,
    "my-name",
    "123-abc",
)
DNS1123_SUBDOMAIN_ERROR = _regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character",
    _DNS1123_SUBDOMAIN_FMT,
    "example.com",
)
DNS1035_LABEL_ERROR = _regex_error(
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character",
    _DNS1035_LABEL_FMT,
    "my-name",
    "abc-123",
)
WILDCARD_SUBDOMAIN_ERROR = _regex_error(
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist "
    "of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
    _WILDCARD_FMT,
    "*.example.com",
)
_QNAME_MESSAGE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_QNAME_ERROR = _regex_error(_QNAME_MESSAGE, _QNAME_FMT, "MyName", "my.name", "123-abc")
LABEL_VALUE_ERROR = _regex_error(
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character",
    _LABEL_VALUE_FMT,
    "MyValue",
    "my_value",
    "12345",
)
CONFIG_KEY_ERROR = _regex_error(
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    _CONFIG_KEY_FMT,
    "key.name",
    "KEY_NAME",
    "key-name",
)
PORT_RANGE_ERROR = "must be between 1 and 65535, inclusive"


def dns1123_label(value: str) -> list[str]:
    """Problems of ``value`` as a DNS-1123 label (namespace, Service port name)."""
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(_max_len(DNS1123_LABEL_MAX))
    if not _DNS1123_LABEL_RE.fullmatch(value):
        if _DNS1123_SUBDOMAIN_RE.fullmatch(value):
            errs.append("must not contain dots")
        else:
            errs.append(DNS1123_LABEL_ERROR)
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    """Problems of ``value`` as a DNS-1123 subdomain (most object names, hosts)."""
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(_max_len(DNS1123_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        errs.append(DNS1123_SUBDOMAIN_ERROR)
    return errs


def dns1035_label(value: str) -> list[str]:
    """Problems of ``value`` as a DNS-1035 label (Service names: must start with a letter)."""
    errs = []
    if len(value) > DNS1035_LABEL_MAX:
        errs.append(_max_len(DNS1035_LABEL_MAX))
    if not _DNS1035_LABEL_RE.fullmatch(value):
        errs.append(DNS1035_LABEL_ERROR)
    return errs


def wildcard_dns1123_subdomain(value: str) -> list[str]:
    """Problems of ``value`` as a wildcard host (``*.`` + a DNS-1123 subdomain)."""
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(_max_len(DNS1123_SUBDOMAIN_MAX))
    if not _WILDCARD_RE.fullmatch(value):
        errs.append(WILDCARD_SUBDOMAIN_ERROR)
    return errs


def qualified_name(value: str) -> list[str]:
    """Problems of ``value`` as a qualified name (label key; annotation key after lower-casing)."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + msg for msg in dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + _QNAME_ERROR
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + _max_len(QUALIFIED_NAME_MAX))
    if not _QNAME_RE.fullmatch(name):
        errs.append("name part " + _QNAME_ERROR)
    return errs


def label_value(value: str) -> list[str]:
    """Problems of ``value`` as a label value (empty is fine)."""
    errs = []
    if len(value) > LABEL_VALUE_MAX:
        errs.append(_max_len(LABEL_VALUE_MAX))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(LABEL_VALUE_ERROR)
    return errs


def iana_service_name(value: str) -> list[str]:
    """Problems of ``value`` as an IANA service name (a port name an Ingress or targetPort refers to)."""
    errs = []
    if len(value) > PORT_NAME_MAX:
        errs.append(_max_len(PORT_NAME_MAX))
    if not _PORT_NAME_CHARSET_RE.fullmatch(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not any("a" <= ch <= "z" for ch in value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_number(value: int) -> list[str]:
    """Problems of ``value`` as a port number."""
    return [] if 1 <= value <= 65535 else [PORT_RANGE_ERROR]


def config_key(value: str) -> list[str]:
    """Problems of ``value`` as a Secret/ConfigMap data key."""
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(_max_len(DNS1123_SUBDOMAIN_MAX))
    if not _CONFIG_KEY_RE.fullmatch(value):
        errs.append(CONFIG_KEY_ERROR)
    if value == ".":
        errs.append("must not be '.'")
    elif value == "..":
        errs.append("must not be '..'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def path_segment_name(value: str) -> list[str]:
    """Problems of ``value`` as a path segment (resource backend kind/name)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in value]


def domain_prefixed_path(value: str) -> list[tuple[str, str]]:
    """Problems of a non-empty ``value`` as ``<domain>/<path>``: (the value shown, detail) pairs."""
    host, slash, path = value.partition("/")
    if not slash or not host or not path:
        return [(value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    errs = [(host, msg) for msg in dns1123_subdomain(host)]
    if not _HTTP_PATH_RE.fullmatch(path):
        errs.append((path, _regex_error("Invalid path", _HTTP_PATH_FMT)))
    return errs


def is_ip_address(value: str) -> bool:
    """Whether Kubernetes reads ``value`` as an IP address (IPv4 with leading zeros included)."""
    match = _IPV4_SLOPPY_RE.fullmatch(value)
    if match:
        return all(int(part) <= 255 for part in match.groups())
    if ":" not in value:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return "%" not in value


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class ApiFieldError:
    """One problem the API server reports for an object."""

    rule: str
    message: str
    field: FieldPath
    severity: Severity = Severity.ERROR
    hint: str | None = None


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _shown(value: Any) -> str:
    return _go_quote(value) if isinstance(value, str) else str(value)


def field_text(path: FieldPath) -> str:
    """A field path as Kubernetes prints it: ``spec.rules[0].host``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Errors:
    """Collects field errors with Kubernetes' wording."""

    def __init__(self) -> None:
        self.items: list[ApiFieldError] = []

    def add(
        self,
        rule: str,
        body: str,
        field: FieldPath,
        *,
        at: str | None = None,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        where = at if at is not None else field_text(field)
        message = f"{where}: {body}" if where else body
        self.items.append(ApiFieldError(rule, message, field, severity, hint))

    def invalid(
        self,
        rule: str,
        field: FieldPath,
        value: Any,
        detail: str,
        *,
        at: str | None = None,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.add(rule, f"Invalid value: {_shown(value)}: {detail}", field, at=at, hint=hint, severity=severity)

    def required(
        self, rule: str, field: FieldPath, detail: str = "", *, at: str | None = None, hint: str | None = None
    ) -> None:
        body = f"Required value: {detail}" if detail else "Required value"
        self.add(rule, body, field, at=at, hint=hint)

    def unsupported(
        self, rule: str, field: FieldPath, value: str, supported: Iterable[str], *, hint: str | None = None
    ) -> None:
        listed = ", ".join(_go_quote(item) for item in sorted(supported))
        self.add(rule, f"Unsupported value: {_go_quote(value)}: supported values: {listed}", field, hint=hint)

    def forbidden(self, rule: str, field: FieldPath, detail: str, *, hint: str | None = None) -> None:
        self.add(rule, f"Forbidden: {detail}", field, hint=hint)

    def too_long(self, rule: str, field: FieldPath, limit: int, *, at: str | None = None) -> None:
        self.add(rule, f"Too long: may not be more than {limit} bytes", field, at=at)

    def duplicate(
        self, rule: str, field: FieldPath, shown: str, *, at: str | None = None, hint: str | None = None
    ) -> None:
        self.add(rule, f"Duplicate value: {shown}", field, at=at, hint=hint)


# ---------------------------------------------------------------- small raw-value helpers


def _map(value: Any) -> dict[Any, Any] | None:
    # Raw manifests are plain dicts (YAML and JSON loaders); `dict` is much cheaper to test than Mapping.
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _key_text(key: Any) -> str | None:
    """A YAML mapping key as JSON sees it (kubectl turns int/bool keys into strings)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return str(key)
    return None


_PLAIN_SAFE_RE = re.compile(r"[A-Za-z0-9/_.(][^#\n]*")
_YAML11_SPECIAL_RE = re.compile(
    r"(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|~|null|Null|NULL"
    r"|[-+]?(\d[\d_]*)?\.?\d[\d_]*([eE][-+]?\d+)?|0x[0-9a-fA-F]+)"
)


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML value: plain when that reads back as the same string, else double-quoted."""
    if (
        _PLAIN_SAFE_RE.fullmatch(text)
        and ": " not in text
        and not text.endswith((":", " "))
        and not _YAML11_SPECIAL_RE.fullmatch(text)
    ):
        return text
    return _go_quote(text)


def _hint(key: str, candidate: str | None) -> str | None:
    return f"{key}: {yaml_scalar(candidate)}" if candidate is not None else None


def _name_candidate(value: str, check: Any) -> str | None:
    """A lower-cased spelling of ``value`` (other characters turned into ``-``) that passes ``check``."""
    lowered = value.lower()
    for candidate in (
        lowered,
        re.sub(r"[^a-z0-9.-]+", "-", lowered).strip("-."),
        re.sub(r"[^a-z0-9-]+", "-", lowered).strip("-"),
    ):
        if candidate and candidate != value and not check(candidate):
            return candidate
    return None


# ---------------------------------------------------------------- unknown fields (strict decoding)

Schema = dict[str, Any] | list[Any] | None

_META_SCHEMA: dict[str, Any] = dict.fromkeys(
    (
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    )
)
_BACKEND_SCHEMA: dict[str, Any] = {
    "service": {"name": None, "port": {"name": None, "number": None}},
    "resource": {"apiGroup": None, "kind": None, "name": None},
}
_INGRESS_SCHEMA: dict[str, Any] = {
    "apiVersion": None,
    "kind": None,
    "metadata": _META_SCHEMA,
    "spec": {
        "ingressClassName": None,
        "defaultBackend": _BACKEND_SCHEMA,
        "tls": [{"hosts": None, "secretName": None}],
        "rules": [{"host": None, "http": {"paths": [{"path": None, "pathType": None, "backend": _BACKEND_SCHEMA}]}}],
    },
    "status": None,
}
_INGRESS_CLASS_SCHEMA: dict[str, Any] = {
    "apiVersion": None,
    "kind": None,
    "metadata": _META_SCHEMA,
    "spec": {
        "controller": None,
        "parameters": {"apiGroup": None, "kind": None, "name": None, "scope": None, "namespace": None},
    },
}
_SERVICE_SCHEMA: dict[str, Any] = {
    "apiVersion": None,
    "kind": None,
    "metadata": _META_SCHEMA,
    "spec": None,
    "status": None,
}
_SECRET_SCHEMA: dict[str, Any] = {
    "apiVersion": None,
    "kind": None,
    "metadata": _META_SCHEMA,
    "data": None,
    "stringData": None,
    "type": None,
    "immutable": None,
}


def _unknown_fields(obj: ManifestObject, schema: dict[str, Any], out: _Errors) -> None:
    version = obj.api_version.rsplit("/", 1)[-1]
    head = f'{obj.kind} in version "{version}" cannot be handled as a {obj.kind}: strict decoding error: '
    _walk_unknown(obj.raw, schema, (), head, out)


def _walk_unknown(value: Any, node: Schema, path: FieldPath, head: str, out: _Errors) -> None:
    """Report keys of ``value`` that ``node`` does not know, in document order."""
    if isinstance(node, list):
        if isinstance(value, list):
            for index, item in enumerate(value):
                _walk_unknown(item, node[0], (*path, index), head, out)
        return
    if node is None or not isinstance(value, dict):
        return
    for key, child in value.items():
        name = key if type(key) is str else _key_text(key)
        if name is not None and name in node:
            sub = node[name]
            if sub is not None and isinstance(child, (dict, list)):
                _walk_unknown(child, sub, (*path, key), head, out)
            continue
        shown = field_text((*path, name if name is not None else str(key)))
        out.add(
            "k8s/unknown-field",
            f"{head}unknown field {_go_quote(shown)}",
            (*path, key),
            at="",
            hint=_unknown_field_hint(str(key), value, node, path),
        )


def _unknown_field_hint(key: str, parent: Mapping[Any, Any], known: Mapping[str, Any], path: FieldPath) -> str | None:
    if key in ("serviceName", "servicePort") and "service" in known:
        return "networking.k8s.io/v1 spelling: " + _v1_backend(parent)
    if key == "backend" and path == ("spec",):
        return "networking.k8s.io/v1 spelling: defaultBackend (with service.name and service.port)"
    lowered = {name.lower(): name for name in known}
    if key.lower() in lowered:
        return f"field names are case-sensitive: {lowered[key.lower()]}"
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]}?"
    return None


def _v1_backend(backend: Mapping[Any, Any]) -> str:
    name = backend.get("serviceName")
    port = backend.get("servicePort")
    name_text = yaml_scalar(name) if isinstance(name, str) and name else "<service>"
    if _int(port) is not None:
        port_text = f"{{number: {port}}}"
    elif isinstance(port, str) and port:
        port_text = f"{{name: {yaml_scalar(port)}}}" if not port.isdigit() else f"{{number: {port}}}"
    else:
        port_text = "{number: <port>}"
    return f"service: {{name: {name_text}, port: {port_text}}}"


# ---------------------------------------------------------------- §3 metadata


def _validate_meta(obj: ManifestObject, out: _Errors, name_check: Any, namespaced: bool) -> None:
    meta = _map(obj.raw.get("metadata"))
    if meta is None:
        return
    name = _text(meta.get("name"))
    if name:
        for msg in name_check(name):
            out.invalid(
                "k8s/object-name",
                ("metadata", "name"),
                name,
                msg,
                hint=_hint("name", _name_candidate(name, name_check)),
            )
    if namespaced and obj.namespace:
        for msg in dns1123_label(obj.namespace):
            out.invalid(
                "k8s/namespace-name",
                ("metadata", "namespace"),
                obj.namespace,
                msg,
                hint=_hint("namespace", _name_candidate(obj.namespace, dns1123_label)),
            )
    labels = _map(meta.get("labels"))
    if labels is not None:
        _validate_labels(labels, ("metadata", "labels"), "k8s/label", out)
    annotations = _map(meta.get("annotations"))
    if annotations is not None:
        chars = 0
        for key, value in annotations.items():
            text = _key_text(key)
            if text is None:
                continue
            for msg in _annotation_key_problems(text):
                out.invalid(
                    "k8s/annotation-key", ("metadata", "annotations", key), text, msg, at="metadata.annotations"
                )
            chars += len(text) + len(_value_text(value))
        # a character is at most 4 UTF-8 bytes: count bytes only when the limit may be exceeded
        if chars * 4 > ANNOTATIONS_SIZE_LIMIT and annotations_size(annotations) > ANNOTATIONS_SIZE_LIMIT:
            out.too_long("k8s/annotations-too-large", ("metadata", "annotations"), ANNOTATIONS_SIZE_LIMIT)


def annotations_size(annotations: Mapping[Any, Any]) -> int:
    """Σ len(key) + len(value) in UTF-8 bytes, as Kubernetes counts towards the 256 KiB limit."""
    total = 0
    for key, value in annotations.items():
        total += len((_key_text(key) or "").encode()) + len(_value_text(value).encode())
    return total


@lru_cache(maxsize=4096)
def _annotation_key_problems(key: str) -> tuple[str, ...]:
    # Annotation keys are qualified names once lower-cased; the same keys recur on every Ingress.
    return tuple(qualified_name(key.lower()))


@lru_cache(maxsize=4096)
def _label_problems(key: str, value: str | None) -> tuple[tuple[str, str], ...]:
    found = [(key, msg) for msg in qualified_name(key)]
    if value is not None:
        found.extend((value, msg) for msg in label_value(value))
    return tuple(found)


def _validate_labels(labels: Mapping[Any, Any], field: FieldPath, rule: str, out: _Errors) -> None:
    at = field_text(field)
    for key, value in labels.items():
        text = _key_text(key)
        if text is None:
            continue
        for shown, msg in _label_problems(text, value if isinstance(value, str) else None):
            out.invalid(rule, (*field, key), shown, msg, at=at)


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return _key_text(value) or str(value)


# ---------------------------------------------------------------- §4 Ingress

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
_INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_PATH_SUFFIXES = ("/..", "/.")
_REGEX_CHARS = frozenset("^$()[]{}*+?|\\")


def _validate_ingress(obj: ManifestObject, out: _Errors) -> None:
    raw = obj.raw
    spec_value = raw.get("spec")
    spec = _map(spec_value)
    if spec_value is not None and spec is None:
        return  # not a map: a decode error
    spec = spec or {}
    rules_value = spec.get("rules")
    backend_value = spec.get("defaultBackend")
    if (rules_value is None or rules_value == []) and backend_value is None:
        out.add(
            "k8s/ingress-spec",
            "Invalid value: either `defaultBackend` or `rules` must be specified"
            + (" (the Ingress has no spec)" if spec_value is None else ""),
            ("spec",),
        )
    default_backend = _map(backend_value)
    if default_backend is not None:
        _validate_backend(default_backend, ("spec", "defaultBackend"), out)
    if isinstance(rules_value, list):
        for index, rule in enumerate(rules_value):
            rule_map = _map(rule)
            if rule_map is not None:
                _validate_rule(rule_map, ("spec", "rules", index), out)
    tls_value = spec.get("tls")
    if isinstance(tls_value, list):
        for index, tls in enumerate(tls_value):
            tls_map = _map(tls)
            if tls_map is not None:
                _validate_tls(tls_map, ("spec", "tls", index), out)
    class_name = _text(spec.get("ingressClassName"))
    if class_name is not None:
        for msg in dns1123_subdomain(class_name):
            out.invalid(
                "k8s/ingress-class-name",
                ("spec", "ingressClassName"),
                class_name,
                msg,
                hint=_hint("ingressClassName", _name_candidate(class_name, dns1123_subdomain)),
            )
        _class_conflict(raw, class_name, out)


def _class_conflict(raw: Mapping[str, Any], class_name: str, out: _Errors) -> None:
    meta = _map(raw.get("metadata")) or {}
    annotations = _map(meta.get("annotations")) or {}
    if INGRESS_CLASS_ANNOTATION not in annotations:
        return
    value = annotations[INGRESS_CLASS_ANNOTATION]
    if value is not None and not isinstance(value, str):
        return
    value = value or ""
    field: FieldPath = ("metadata", "annotations", INGRESS_CLASS_ANNOTATION)
    at = "annotations." + INGRESS_CLASS_ANNOTATION
    if value != class_name:
        out.invalid(
            "k8s/ingress-class-conflict",
            field,
            value,
            "must match `ingressClassName` when both are specified",
            at=at,
            hint=f"remove the {INGRESS_CLASS_ANNOTATION} annotation: spec.ingressClassName replaces it",
        )
    else:
        out.invalid(
            "k8s/ingress-class-conflict",
            field,
            value,
            "can not be set when the class field is also set (Kubernetes up to 1.26 rejects this; 1.27+ "
            "accepts it because the values match, but the annotation is deprecated)",
            at=at,
            hint=f"remove the {INGRESS_CLASS_ANNOTATION} annotation",
            severity=Severity.WARNING,
        )


def _host_candidate(host: str, check: Any) -> str | None:
    candidate = host.strip()
    if "://" in candidate:
        candidate = candidate.split("://", 1)[1]
    candidate = candidate.split("/", 1)[0]
    if candidate.count(":") == 1:
        candidate = candidate.split(":", 1)[0]
    candidate = candidate.rstrip(".").lower()
    if candidate and candidate != host and not check(candidate) and not is_ip_address(candidate):
        return candidate
    return None


def _check_host(host: str, field: FieldPath, rule: str, out: _Errors, *, rule_host: bool) -> None:
    if rule_host and is_ip_address(host):
        out.invalid(
            rule,
            field,
            host,
            "must be a DNS name, not an IP address",
            hint="use a DNS name that resolves to the address (or leave host empty to match every host)",
        )
    check = wildcard_dns1123_subdomain if "*" in host else dns1123_subdomain
    messages = check(host)
    if messages:
        candidate = _host_candidate(host, check)
        hint = None
        if candidate is not None:
            hint = f"host: {yaml_scalar(candidate)}" if rule_host else f"- {yaml_scalar(candidate)}"
        for msg in messages:
            out.invalid(rule, field, host, msg, hint=hint)


def _validate_rule(rule: Mapping[Any, Any], field: FieldPath, out: _Errors) -> None:
    host = _text(rule.get("host"))
    if host:
        _check_host(host, (*field, "host"), "k8s/ingress-host", out, rule_host=True)
    http = _map(rule.get("http"))
    if http is None:
        return
    paths = http.get("paths")
    if paths is None or paths == []:
        out.required(
            "k8s/ingress-path",
            (*field, "http", "paths"),
            hint="list at least one path, or remove `http:` for a host-only rule",
        )
        return
    if isinstance(paths, list):
        for index, path in enumerate(paths):
            path_map = _map(path)
            if path_map is not None:
                _validate_http_path(path_map, (*field, "http", "paths", index), out)


def _validate_http_path(entry: Mapping[Any, Any], field: FieldPath, out: _Errors) -> None:
    path_type_value = entry.get("pathType")
    path_value = entry.get("path")
    path = path_value if isinstance(path_value, str) else ("" if path_value is None else None)
    if path_type_value is None:
        suggested = "ImplementationSpecific" if path and _REGEX_CHARS & set(path) else "Prefix"
        out.required(
            "k8s/ingress-path",
            (*field, "pathType"),
            "pathType must be specified",
            hint=f"pathType: {suggested}",
        )
        return
    if isinstance(path_type_value, str):
        path_type = path_type_value
        if path_type in ("Exact", "Prefix"):
            if path is not None:
                _check_exact_or_prefix_path(path, (*field, "path"), out)
        elif path_type == "ImplementationSpecific":
            if path:
                _check_implementation_specific_path(path, (*field, "path"), out)
        else:
            fixed = {t.lower(): t for t in PATH_TYPES}.get(path_type.strip().lower())
            out.unsupported(
                "k8s/ingress-path",
                (*field, "pathType"),
                path_type,
                PATH_TYPES,
                hint=f"pathType: {fixed}" if fixed else None,
            )
    backend = entry.get("backend")
    backend_map = _map(backend)
    if backend_map is not None:
        _validate_backend(backend_map, (*field, "backend"), out)
    elif backend is None:
        # the backend struct is zero: neither service nor resource
        out.invalid(
            "k8s/ingress-backend",
            (*field, "backend"),
            "",
            "resource or service backend is required",
            hint="backend: {service: {name: <service>, port: {number: <port>}}}",
        )


def _check_exact_or_prefix_path(path: str, field: FieldPath, out: _Errors) -> None:
    candidate = path if path.startswith("/") else "/" + path
    candidate = re.sub("/{2,}", "/", candidate)
    while candidate.endswith("/.") and len(candidate) > 2:
        candidate = candidate[:-2] or "/"
    candidate = candidate.replace("/./", "/")
    hint = None
    if candidate != path and _exact_or_prefix_problems(candidate) == []:
        hint = _hint("path", candidate)
    for msg in _exact_or_prefix_problems(path):
        out.invalid("k8s/ingress-path", field, path, msg, hint=hint)


def _exact_or_prefix_problems(path: str) -> list[str]:
    msgs = []
    if not path.startswith("/"):
        msgs.append("must be an absolute path")
    if path:
        msgs.extend(f"must not contain '{seq}'" for seq in _INVALID_PATH_SEQUENCES if seq in path)
        msgs.extend(f"cannot end with '{suffix}'" for suffix in _INVALID_PATH_SUFFIXES if path.endswith(suffix))
    return msgs


def _check_implementation_specific_path(path: str, field: FieldPath, out: _Errors) -> None:
    if path.startswith("/"):
        return
    detail = 'must be an absolute path (Kubernetes requires a non-empty ImplementationSpecific path to start with "/"'
    hint = None
    if path.startswith("^"):
        rest = path[1:]
        if rest.endswith("$") and not rest.endswith("\\$"):
            rest = rest[:-1]
        detail += (
            ", so the ^/...$ form of the Pomerium docs is rejected; Pomerium anchors path regexes itself "
            "(a regex must match the whole path), so drop the leading ^ and trailing $"
        )
        if rest.startswith("/"):
            hint = _hint("path", rest)
    elif path[0].isalnum():
        hint = _hint("path", "/" + path)
    out.invalid("k8s/ingress-path", field, path, detail + ")", hint=hint)


def _validate_backend(backend: Mapping[Any, Any], field: FieldPath, out: _Errors) -> None:
    service_value = backend.get("service")
    resource_value = backend.get("resource")
    rule = "k8s/ingress-backend"
    if service_value is not None and resource_value is not None:
        out.invalid(
            rule, field, "", "cannot set both resource and service backends", hint="keep either service or resource"
        )
        return
    resource = _map(resource_value)
    if resource is not None:
        _validate_local_ref(resource, (*field, "resource"), rule, out)
        return
    if resource_value is not None:
        return  # decode error
    service = _map(service_value)
    if service is None:
        if service_value is None:
            hint = None
            if not any(key in backend for key in ("serviceName", "servicePort")):
                hint = "backend: {service: {name: <service>, port: {number: <port>}}}"
            out.invalid(rule, field, "", "resource or service backend is required", hint=hint)
        return
    name_value = service.get("name")
    if name_value is None or name_value == "":
        out.required(rule, (*field, "service", "name"), hint="name: <the Service's name>")
    elif isinstance(name_value, str):
        for msg in dns1035_label(name_value):
            out.invalid(
                rule,
                (*field, "service", "name"),
                name_value,
                msg,
                hint=_hint("name", _name_candidate(name_value, dns1035_label)),
            )
    port_value = service.get("port")
    port = _map(port_value)
    if port_value is not None and port is None:
        return  # decode error (port: 80 instead of port: {number: 80})
    port = port or {}
    port_name = port.get("name")
    port_num = port.get("number")
    if (port_name is not None and not isinstance(port_name, str)) or (port_num is not None and _int(port_num) is None):
        return  # decode error
    has_name = bool(port_name)
    has_number = bool(port_num)
    port_field = (*field, "service", "port")
    if has_name and has_number:
        out.invalid(
            rule,
            field,
            "",
            "cannot set both port name & port number",
            hint="keep either service.port.name or service.port.number",
        )
    elif has_name:
        assert isinstance(port_name, str)
        for msg in iana_service_name(port_name):
            out.invalid(
                rule,
                (*port_field, "name"),
                port_name,
                msg,
                hint=_hint("name", _name_candidate(port_name, iana_service_name)),
            )
    elif has_number:
        assert isinstance(port_num, int)
        for msg in port_number(port_num):
            out.invalid(rule, (*port_field, "number"), port_num, msg)
    else:
        out.add(
            rule,
            "Required value: port name or number is required",
            port_field if port_value is not None else field,
            at=field_text(field),
            hint="port: {number: <Service port>} or port: {name: <Service port name>}",
        )


def _validate_local_ref(ref: Mapping[Any, Any], field: FieldPath, rule: str, out: _Errors) -> None:
    api_group = _text(ref.get("apiGroup"))
    if api_group is not None:
        for msg in dns1123_subdomain(api_group):
            out.invalid(rule, (*field, "apiGroup"), api_group, msg)
    for key in ("kind", "name"):
        value = ref.get(key)
        if value is None or value == "":
            out.required(rule, (*field, key))
        elif isinstance(value, str):
            for msg in path_segment_name(value):
                out.invalid(rule, (*field, key), value, msg)


def _validate_tls(tls: Mapping[Any, Any], field: FieldPath, out: _Errors) -> None:
    hosts = tls.get("hosts")
    if isinstance(hosts, list):
        for index, host in enumerate(hosts):
            if isinstance(host, str):
                _check_host(host, (*field, "hosts", index), "k8s/ingress-tls", out, rule_host=False)
    secret_name = _text(tls.get("secretName"))
    if secret_name:
        messages = dns1123_subdomain(secret_name)
        if not messages:
            return
        candidate = secret_name.rsplit("/", 1)[-1] if "/" in secret_name else secret_name
        fixed = candidate if candidate != secret_name and not dns1123_subdomain(candidate) else None
        fixed = fixed or _name_candidate(candidate, dns1123_subdomain)
        hint = _hint("secretName", fixed)
        if hint and "/" in secret_name:
            hint += " (the Secret must be in the Ingress's namespace)"
        for msg in messages:
            out.invalid("k8s/ingress-tls", (*field, "secretName"), secret_name, msg, hint=hint)


# ---------------------------------------------------------------- §6 IngressClass


def _validate_ingress_class(obj: ManifestObject, out: _Errors) -> None:
    spec = _map(obj.raw.get("spec")) or {}
    rule = "k8s/ingressclass-spec"
    controller_value = spec.get("controller")
    if controller_value is None or controller_value == "":
        out.required(rule, ("spec", "controller"), hint="controller: pomerium.io/ingress-controller")
    elif isinstance(controller_value, str):
        if len(controller_value.encode()) > INGRESS_CLASS_CONTROLLER_MAX:
            out.too_long(rule, ("spec", "controller"), INGRESS_CLASS_CONTROLLER_MAX)
        problems = domain_prefixed_path(controller_value)
        hint = None
        if problems and not domain_prefixed_path(controller_value.lower()):
            hint = _hint("controller", controller_value.lower())
        elif problems and "pomerium" in controller_value.lower():
            hint = "controller: pomerium.io/ingress-controller"
        for shown, msg in problems:
            out.invalid(rule, ("spec", "controller"), shown, msg, hint=hint)
    params = _map(spec.get("parameters"))
    if params is None:
        return
    field: FieldPath = ("spec", "parameters")
    _validate_local_ref(params, field, rule, out)
    scope_value = params.get("scope", "Cluster")
    scope = "Cluster" if scope_value is None else scope_value
    if not isinstance(scope, str):
        return
    namespace_value = params.get("namespace")
    if scope not in ("Cluster", "Namespace"):
        fixed = {"cluster": "Cluster", "namespace": "Namespace"}.get(scope.lower())
        out.unsupported(
            rule, (*field, "scope"), scope, ("Cluster", "Namespace"), hint=f"scope: {fixed}" if fixed else None
        )
    elif scope == "Namespace":
        if namespace_value is None:
            out.required(rule, (*field, "namespace"), "`parameters.scope` is set to 'Namespace'")
        elif isinstance(namespace_value, str):
            for msg in dns1123_label(namespace_value):
                out.invalid(rule, (*field, "namespace"), namespace_value, msg)
    elif namespace_value is not None:
        out.forbidden(
            rule,
            (*field, "namespace"),
            "`parameters.scope` is set to 'Cluster'",
            hint="scope: Namespace, or remove parameters.namespace",
        )


# ---------------------------------------------------------------- §7 Service

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
PROTOCOLS = ("SCTP", "TCP", "UDP")


def _validate_service(obj: ManifestObject, out: _Errors) -> None:
    spec_value = obj.raw.get("spec")
    spec = _map(spec_value)
    if spec_value is not None and spec is None:
        return
    spec = spec or {}
    rule = "k8s/service-spec"
    type_value = spec.get("type")
    if not isinstance(type_value, (str, type(None))):
        return
    service_type = type_value or "ClusterIP"
    if service_type not in SERVICE_TYPES:
        fixed = {t.lower(): t for t in SERVICE_TYPES}.get(service_type.lower())
        out.unsupported(rule, ("spec", "type"), service_type, SERVICE_TYPES, hint=f"type: {fixed}" if fixed else None)
    headless = service_type == "ClusterIP" and spec.get("clusterIP") == "None"
    ports_value = spec.get("ports")
    ports = ports_value if isinstance(ports_value, list) else []
    if (ports_value is None or ports_value == []) and not headless and service_type != "ExternalName":
        out.required(rule, ("spec", "ports"), hint="ports: [{port: 80, targetPort: 8080}]")
    if service_type == "ExternalName":
        external = _text(spec.get("externalName"))
        if external is not None or spec.get("externalName") is None:
            cname = (external or "").removesuffix(".")
            if not cname:
                out.required(rule, ("spec", "externalName"))
            else:
                for msg in dns1123_subdomain(cname):
                    out.invalid(rule, ("spec", "externalName"), cname, msg)
    names: set[str] = set()
    seen: dict[tuple[int, str], int] = {}
    require_name = len(ports) > 1
    for index, port_value in enumerate(ports):
        port = _map(port_value)
        if port is None:
            continue
        _validate_service_port(port, ("spec", "ports", index), require_name, names, out)
        number = _int(port.get("port"))
        protocol_value = port.get("protocol")
        protocol = protocol_value if isinstance(protocol_value, str) and protocol_value else "TCP"
        if number is not None:
            key = (number, protocol)
            if key in seen:
                out.duplicate(
                    rule,
                    ("spec", "ports", index),
                    f"{number}/{protocol} (port and protocol already used by spec.ports[{seen[key]}])",
                )
            else:
                seen[key] = index
        if service_type == "ClusterIP" and port.get("nodePort") not in (None, 0):
            out.forbidden(
                rule,
                ("spec", "ports", index, "nodePort"),
                "may not be used when `type` is 'ClusterIP'",
                hint="remove nodePort, or type: NodePort",
            )
    selector = _map(spec.get("selector"))
    if selector is not None:
        _validate_labels(selector, ("spec", "selector"), rule, out)


def _validate_service_port(
    port: Mapping[Any, Any], field: FieldPath, require_name: bool, names: set[str], out: _Errors
) -> None:
    rule = "k8s/service-spec"
    name_value = port.get("name")
    if require_name and (name_value is None or name_value == ""):
        out.required(rule, (*field, "name"), hint="every port of a Service with several ports needs a name")
    elif isinstance(name_value, str) and name_value:
        for msg in dns1123_label(name_value):
            out.invalid(
                rule,
                (*field, "name"),
                name_value,
                msg,
                hint=_hint("name", _name_candidate(name_value, dns1123_label)),
            )
        if name_value in names:
            out.duplicate(rule, (*field, "name"), _go_quote(name_value))
        names.add(name_value)
    number = _int(port.get("port"))
    if number is not None or port.get("port") is None:
        for msg in port_number(number or 0):
            out.invalid(rule, (*field, "port"), number or 0, msg)
    protocol = port.get("protocol")
    if isinstance(protocol, str) and protocol and protocol not in PROTOCOLS:
        fixed = protocol.upper() if protocol.upper() in PROTOCOLS else None
        out.unsupported(rule, (*field, "protocol"), protocol, PROTOCOLS, hint=f"protocol: {fixed}" if fixed else None)
    target = port.get("targetPort")
    if isinstance(target, str) and target:
        for msg in iana_service_name(target):
            out.invalid(
                rule,
                (*field, "targetPort"),
                target,
                msg,
                hint=_hint("targetPort", _name_candidate(target, iana_service_name)),
            )
    elif _int(target) is not None and target != 0:
        assert isinstance(target, int)
        for msg in port_number(target):
            out.invalid(rule, (*field, "targetPort"), target, msg)
    app_protocol = _text(port.get("appProtocol"))
    if app_protocol is not None:
        for msg in qualified_name(app_protocol):
            out.invalid(rule, (*field, "appProtocol"), app_protocol, msg)


# ---------------------------------------------------------------- §8 Secret

_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B64_RE = re.compile("[A-Za-z0-9+/]*={0,2}")


def base64_problem(text: str) -> tuple[int, int]:
    """(decoded length, -1) for valid standard base64, else (0, offset of the offending character).

    Like Go's decoder for a JSON ``[]byte``: padding is required and ``\\r``/``\\n`` are skipped.
    The offset is exact for a bad character and approximate for bad padding or a truncated value.
    """
    clean = text.replace("\n", "").replace("\r", "") if "\n" in text or "\r" in text else text
    if len(clean) % 4 == 0 and _B64_RE.fullmatch(clean):
        return len(clean) // 4 * 3 - (len(clean) - len(clean.rstrip("="))), -1
    count = 0
    pad = 0
    for offset, ch in enumerate(text):
        if ch in "\r\n":
            continue
        position = count % 4
        if ch == "=":
            if position < 2:
                return 0, offset
            pad += 1
        elif pad or ch not in _B64_ALPHABET:
            return 0, offset
        count += 1
    if count % 4:
        return 0, len(text) - count % 4
    return count // 4 * 3 - pad, -1


def _withheld_key(name: str) -> str:
    """A Secret key as it may be printed: a key with a value glued on (``password:hunter2``) is cut there."""
    cut = re.search(r"[:=]", name)
    return name if cut is None else f"{name[: cut.start()]}… (the rest is withheld: it may hold the value)"


def _validate_secret(obj: ManifestObject, out: _Errors) -> None:
    raw = obj.raw
    rule = "k8s/secret-data"
    sizes: dict[str, int] = {}
    fields: dict[str, FieldPath] = {}
    empty: dict[str, bool] = {}
    data = _map(raw.get("data"))
    for key, value in (data or {}).items():
        name = _key_text(key)
        if name is None or not isinstance(value, (str, type(None))):
            continue
        fields[name] = ("data", key)
        length, offset = base64_problem(value or "")
        if offset >= 0:
            out.add(
                rule,
                f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data (in data[{name}]; '
                "the byte offset is withheld: it would point into the value)",
                ("data", key),
                at="",
                hint="values under data are base64; put plain text under stringData instead",
            )
        sizes[name] = length
        empty[name] = length == 0
    string_data = _map(raw.get("stringData"))
    for key, value in (string_data or {}).items():
        name = _key_text(key)
        if name is None or not isinstance(value, (str, type(None))):
            continue
        fields[name] = ("stringData", key)
        sizes[name] = len((value or "").encode())
        empty[name] = not value
    for name, field in fields.items():
        for msg in config_key(name):
            shown = _withheld_key(name)
            out.invalid(rule, field, shown, msg, at=f"data[{shown}]")
    if sum(sizes.values()) > SECRET_SIZE_LIMIT:
        out.too_long(rule, ("data",) if "data" in raw else ("stringData",), SECRET_SIZE_LIMIT, at="data")
    type_value = raw.get("type")
    if isinstance(type_value, str):
        _validate_secret_type(raw, type_value, fields, empty, out)


def _validate_secret_type(
    raw: Mapping[str, Any], secret_type: str, keys: Mapping[str, FieldPath], empty: Mapping[str, bool], out: _Errors
) -> None:
    rule = "k8s/secret-type"
    where: FieldPath = ("type",)

    def missing(key: str, hint: str) -> None:
        out.required(rule, where, at=f"data[{key}]", hint=hint)

    if secret_type == "kubernetes.io/tls":
        for key in ("tls.crt", "tls.key"):
            if key not in keys:
                missing(key, "a kubernetes.io/tls Secret needs both tls.crt and tls.key (PEM)")
    elif secret_type == "kubernetes.io/basic-auth":
        if "username" not in keys and "password" not in keys:
            missing("username", "a kubernetes.io/basic-auth Secret needs a username or password key")
            missing("password", "a kubernetes.io/basic-auth Secret needs a username or password key")
    elif secret_type == "kubernetes.io/ssh-auth":
        if empty.get("ssh-privatekey", True):
            missing("ssh-privatekey", "a kubernetes.io/ssh-auth Secret needs a non-empty ssh-privatekey")
    elif secret_type in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if secret_type == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if key not in keys:
            missing(key, f"a {secret_type} Secret needs the key {key}")
        else:
            content = _secret_bytes(raw, keys[key])
            if content is not None and not _is_json_object(content):
                out.invalid(
                    rule,
                    keys[key],
                    "<secret contents redacted>",
                    "not a JSON object",
                    at=f"data[{key}]",
                )
    elif secret_type == "kubernetes.io/service-account-token":
        meta = _map(raw.get("metadata")) or {}
        annotations = _map(meta.get("annotations")) or {}
        if not annotations.get("kubernetes.io/service-account.name"):
            out.required(
                rule,
                ("metadata", "annotations"),
                at="metadata.annotations[kubernetes.io/service-account.name]",
                hint="kubernetes.io/service-account.name: <ServiceAccount name>",
            )


def _secret_bytes(raw: Mapping[str, Any], field: FieldPath) -> bytes | None:
    section = _map(raw.get(str(field[0]))) or {}
    value = section.get(field[1])
    if not isinstance(value, str):
        return b"" if value is None else None
    if field[0] == "stringData":
        return value.encode()
    try:
        return base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def _is_json_object(content: bytes) -> bool:
    try:
        parsed = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict) or parsed is None


# ---------------------------------------------------------------- entry points


def validate_object(obj: ManifestObject) -> list[ApiFieldError]:
    """What the API server rejects (or warns about) on creating ``obj``; [] for kinds not covered."""
    out = _Errors()
    group_version = obj.api_version
    if obj.kind == "Ingress" and group_version == "networking.k8s.io/v1":
        _unknown_fields(obj, _INGRESS_SCHEMA, out)
        _validate_meta(obj, out, dns1123_subdomain, namespaced=True)
        _validate_ingress(obj, out)
    elif obj.kind == "IngressClass" and group_version == "networking.k8s.io/v1":
        _unknown_fields(obj, _INGRESS_CLASS_SCHEMA, out)
        _validate_meta(obj, out, dns1123_subdomain, namespaced=False)
        _validate_ingress_class(obj, out)
    elif obj.kind == "Service" and group_version == "v1":
        _unknown_fields(obj, _SERVICE_SCHEMA, out)
        _validate_meta(obj, out, dns1035_label, namespaced=True)
        _validate_service(obj, out)
    elif obj.kind == "Secret" and group_version == "v1":
        _unknown_fields(obj, _SECRET_SCHEMA, out)
        _validate_meta(obj, out, dns1123_subdomain, namespaced=True)
        _validate_secret(obj, out)
    return out.items


#: k8s findings that concern a whole section, not one value: they shadow nothing.
_NON_SHADOWING = frozenset({"k8s/annotations-too-large", "k8s/ingress-spec", "k8s/removed-api-version"})
#: Families that check what Kubernetes never looks at (regex syntax, policy content): never shadowed.
_INDEPENDENT_FAMILIES = ("regex/", "policy/")


def drop_shadowed(findings: Iterable[Finding]) -> list[Finding]:
    """Drop findings that repeat a Kubernetes rejection in other words.

    A finding of another family is dropped when a ``k8s/`` error of the same object sits at the same
    field path or above it (e.g. the translator's ``routing/path-type`` "pathType is required" under
    ``k8s/ingress-path`` "pathType: Required value"). Paths shorter than two parts shadow nothing, and
    findings about what Kubernetes does not check (``regex/``, ``policy/``) are always kept.
    """
    items = list(findings)
    blocked: dict[ObjectRef, set[FieldPath]] = {}
    for finding in items:
        if (
            finding.obj is not None
            and finding.severity is Severity.ERROR
            and finding.rule.startswith("k8s/")
            and finding.rule not in _NON_SHADOWING
            and len(finding.field) >= 2
        ):
            blocked.setdefault(finding.obj, set()).add(tuple(finding.field))
    if not blocked:
        return items
    kept = []
    for finding in items:
        paths = blocked.get(finding.obj) if finding.obj is not None else None
        if paths and not finding.rule.startswith(("k8s/", *_INDEPENDENT_FAMILIES)):
            field = tuple(finding.field)
            if any(field[: len(path)] == path for path in paths):
                continue
        kept.append(finding)
    return kept
