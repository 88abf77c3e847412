"""Translator output types: routes with their identity and origin, and per-Ingress outcomes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pomgate.findings import Finding, ObjectRef

REDACTED = "<redacted>"
#: The ways a route matches a request path, in the order a route states them.
MATCH_KINDS = ("path", "prefix", "regex")


def host_of_url(url: str) -> str | None:
    """The host of a route's ``from`` URL (``scheme://host[:port]``), lower-cased; None when there is none."""
    _scheme, separator, rest = url.partition("://")
    if not separator:
        return None
    netloc = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if netloc.startswith("["):  # an IPv6 literal
        return netloc[1:].partition("]")[0].lower() or None
    host = netloc.partition(":")[0]
    return host.lower() or None


@dataclass(frozen=True, order=True)
class RouteKey:
    """Route identity as the controller keys it: (namespace, Ingress name, rule host, raw path)."""

    namespace: str
    ingress: str
    host: str
    path: str

    def route_id(self) -> str:
        """The controller's route id: compact JSON with Go's escaping (computed once per key)."""
        cached: str | None = self.__dict__.get("_route_id")
        if cached is not None:
            return cached
        text = (
            '{"n":'
            + go_json_string(self.ingress)
            + ',"ns":'
            + go_json_string(self.namespace)
            + ',"h":'
            + go_json_string(self.host)
            + ',"p":'
            + go_json_string(self.path)
            + "}"
        )
        object.__setattr__(self, "_route_id", text)
        return text

    def __str__(self) -> str:
        return f"{{Name:{self.ingress} Namespace:{self.namespace} Host:{self.host} Path:{self.path}}}"


@dataclass(frozen=True)
class SecretValue:
    """A value read from a Secret: rendered redacted unless secrets are shown."""

    value: str
    secret: str  # "namespace/name"
    key: str

    def redacted(self) -> str:
        return f"<redacted: Secret {self.secret} key {self.key}>"


@dataclass(frozen=True)
class UnknownValue:
    """A value that depends on an object missing from the input (known only in the cluster)."""

    reason: str

    def __str__(self) -> str:
        return f"<unknown: {self.reason}>"


@dataclass
class Route:
    """One Pomerium route with config.yaml keys in ``fields`` and where it came from.

    Values in ``fields`` are plain JSON-like data, except `SecretValue` and `UnknownValue` leaves,
    which the renderers turn into text. They are read-only once translated: the routes of one Ingress
    share the containers of their annotation values (renderers copy what they change).
    """

    key: RouteKey
    ingress: ObjectRef
    fields: dict[str, Any]
    stat_name: str = ""
    rule_index: int | None = None
    path_index: int | None = None

    @property
    def from_url(self) -> str:
        return str(self.fields.get("from", ""))

    def match_value(self, kind: str) -> str:
        value = self.fields.get(kind)
        return value if isinstance(value, str) else ""

    def match_text(self) -> str:
        """How the route matches a request path: ``prefix /api``, ``path /x`` or ``regex …`` ("" for every path)."""
        for kind in MATCH_KINDS:
            value = self.match_value(kind)
            if value:
                return f"{kind} {value}"
        return ""

    @property
    def url_host(self) -> str:
        """The host of the ``from`` URL, lower-cased (``app.example.com``, ``*.example.com``; "" for none)."""
        return host_of_url(self.from_url) or ""

    def sort_key(self) -> tuple[bytes, ...]:
        """Pomerium's order: from asc, path desc, regex desc, prefix desc, id asc (byte-wise).

        Plain bytes, so keys compare in C and cost little to send between processes.
        """
        return (
            _ascending(self.from_url),
            _descending(self.match_value("path")),
            _descending(self.match_value("regex")),
            _descending(self.match_value("prefix")),
            _ascending(self.key.route_id()),
        )


@dataclass
class IngressOutcome:
    """What became of one Ingress: its routes, or why it failed, plus its findings."""

    ingress: ObjectRef
    managed: bool
    routes: list[Route] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    unmanaged_reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass
class TranslationResult:
    """Routes (sorted as Pomerium applies them) and every finding, per Ingress and overall."""

    routes: list[Route]
    outcomes: list[IngressOutcome]
    findings: list[Finding]

    @property
    def failed(self) -> list[IngressOutcome]:
        return [o for o in self.outcomes if o.failed]


def _ascending(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


#: Every byte c to 255 - c: the order of single bytes reversed.
_INVERTED = bytes(range(255, -1, -1))


def _descending(text: str) -> bytes:
    """Bytes that sort in the reverse byte-wise order of ``text`` (a prefix sorts after what extends it).

    Each byte c becomes 255 - c, except 0, which becomes FF 01 (FF is otherwise unused), and FF FF
    ends the key: so where two texts first differ, or where the shorter one ends, the order flips.
    """
    return _ascending(text).translate(_INVERTED).replace(b"\xff", b"\xff\x01") + b"\xff\xff"


_GO_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


_PLAIN = re.compile(r'[^"\\<>&\x00-\x1f\u2028\u2029\ud800-\udfff]*')


def go_json_string(text: str) -> str:
    """A JSON string literal as Go's encoding/json writes it (HTML-safe escaping)."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'  # nothing to escape: the common case of names, hosts and paths
    out = ['"']
    for char in text:
        escaped = _GO_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
