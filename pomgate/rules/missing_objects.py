"""One finding per missing object: the translator reports a missing Service or Secret at each use.

An Ingress whose four backend paths name one absent Service used to get four
`reference/service-missing` warnings plus one `reference/service-port-unknown` per named port.
`one_finding_per_missing_object` folds them, per Ingress and missing object, into the first
finding, whose message then lists every use (host and path, or annotation) and the named ports
that cannot be resolved. Pure: findings in, findings out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pomgate.findings import Finding, ObjectRef

SERVICE_MISSING = "reference/service-missing"
SECRET_MISSING = "reference/secret-missing"
PORT_UNKNOWN = "reference/service-port-unknown"

#: "Service default/web (used by backend) is ..." (the translator's offline wording)
_MISSING = re.compile(r"^(?P<kind>Service|Secret) (?P<ref>\S+/\S+) \(used by (?P<user>[^)]*)\)")
#: "the backend names port 'http' of Service default/web, which is not in the input ..."
_PORT = re.compile(r"names port '(?P<port>[^']*)' of Service (?P<ref>\S+/\S+), which")
#: the controller's chain names the rule host and path of the backend (or the default backend)
_BACKEND = re.compile(
    r"(?:rule host=(?P<host>\S*) path=(?P<path>\S*) |defaultBackend: )refers to service \S+ port=(?P<port>\S*),"
)


@dataclass
class _Group:
    """The findings about one missing object of one Ingress."""

    first: Finding
    uses: list[str] = field(default_factory=list)
    unresolved_ports: list[str] = field(default_factory=list)
    folded: int = 0


def one_finding_per_missing_object(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` with each Ingress's findings about one missing Service or Secret folded into one."""
    findings = list(findings)
    groups: dict[tuple[ObjectRef | None, str, str], _Group] = {}
    dropped: set[int] = set()
    for index, finding in enumerate(findings):
        if finding.rule not in (SERVICE_MISSING, SECRET_MISSING):
            continue
        match = _MISSING.match(finding.message)
        if match is None:
            continue
        key = (finding.obj, match["kind"], match["ref"])
        group = groups.get(key)
        if group is None:
            groups[key] = _Group(finding, [_use(finding, match["user"])])
            continue
        group.uses.append(_use(finding, match["user"]))
        group.folded += 1
        dropped.add(index)
    for index, finding in enumerate(findings):
        port = _PORT.search(finding.message) if finding.rule == PORT_UNKNOWN else None
        group = groups.get((finding.obj, "Service", port["ref"])) if port else None
        if port is None or group is None:
            continue
        if port["port"] not in group.unresolved_ports:
            group.unresolved_ports.append(port["port"])
        group.folded += 1
        dropped.add(index)
    for group in groups.values():
        if group.folded:
            _rewrite(group)
    return [finding for index, finding in enumerate(findings) if index not in dropped]


def _use(finding: Finding, user: str) -> str:
    """Where one finding's object is used: ``host/path port p`` for a backend, else the annotation."""
    backend = _BACKEND.search(str(finding.extra.get("chain", "")))
    if user != "backend" or backend is None:
        return user
    where = f"{backend['host']}{backend['path']}" if backend["host"] is not None else "defaultBackend"
    return f"{where} port {backend['port']}" if backend["port"] else where


def _rewrite(group: _Group) -> None:
    finding = group.first
    match = _MISSING.match(finding.message)
    assert match is not None
    uses = list(dict.fromkeys(group.uses))
    label = "backend" if match["user"] == "backend" else "annotation"
    listed = f"used by {len(uses)} {label}s: {', '.join(uses)}" if len(uses) > 1 else f"used by {uses[0]}"
    message = f"{match['kind']} {match['ref']} ({listed})" + finding.message[match.end() :]
    if group.unresolved_ports:
        ports = ", ".join(group.unresolved_ports)
        message += (
            f"; its named port(s) {ports} cannot be resolved without it, so those upstream URLs are shown "
            "without a port"
        )
    finding.message = message
    finding.extra["uses"] = uses
