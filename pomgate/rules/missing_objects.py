"""One finding per missing object: the translator reports a missing Service or Secret at each use.

An Ingress whose four backend paths name one absent Service used to get four
`reference/service-missing` warnings plus one `reference/service-port-unknown` per named port.
`one_finding_per_missing_object` folds them, per Ingress and missing object, into the first
finding, whose message then lists every use (host and path, or annotation) and the named ports
that cannot be resolved. Pure: findings in, findings out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pomgate.findings import Finding, ObjectRef

SERVICE_MISSING = "reference/service-missing"
SECRET_MISSING = "reference/secret-missing"
PORT_UNKNOWN = "reference/service-port-unknown"


@dataclass
class _Group:
    """The findings about one missing object of one Ingress."""

    first: Finding
    uses: list[str] = field(default_factory=list)
    unresolved_ports: list[str] = field(default_factory=list)
    folded: int = 0


def one_finding_per_missing_object(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` with each Ingress's findings about one missing Service or Secret folded into one.

    The translator says what each finding is about in its ``extra``: ``missing`` (``Service ns/name``),
    ``used_by`` and ``use`` for a missing object, ``port`` for a named port it cannot resolve.
    """
    findings = list(findings)
    groups: dict[tuple[ObjectRef | None, str], _Group] = {}
    dropped: set[int] = set()
    for index, finding in enumerate(findings):
        missing = finding.extra.get("missing")
        if finding.rule not in (SERVICE_MISSING, SECRET_MISSING) or not isinstance(missing, str):
            continue
        key = (finding.obj, missing)
        group = groups.get(key)
        if group is None:
            groups[key] = _Group(finding, [str(finding.extra.get("use", ""))])
            continue
        group.uses.append(str(finding.extra.get("use", "")))
        group.folded += 1
        dropped.add(index)
    for index, finding in enumerate(findings):
        port, missing = finding.extra.get("port"), finding.extra.get("missing")
        if finding.rule != PORT_UNKNOWN or not isinstance(missing, str) or not isinstance(port, str):
            continue
        group = groups.get((finding.obj, missing))
        if group is None:
            continue
        if port not in group.unresolved_ports:
            group.unresolved_ports.append(port)
        group.folded += 1
        dropped.add(index)
    for group in groups.values():
        if group.folded:
            _rewrite(group)
    return [finding for index, finding in enumerate(findings) if index not in dropped]


def _rewrite(group: _Group) -> None:
    finding = group.first
    missing, used_by = str(finding.extra["missing"]), str(finding.extra.get("used_by", ""))
    written = f"{missing} (used by {used_by})"  # how the translator's message begins
    if not finding.message.startswith(written):
        return
    uses = list(dict.fromkeys(group.uses))
    label = "backend" if used_by == "backend" else "annotation"
    listed = f"used by {len(uses)} {label}s: {', '.join(uses)}" if len(uses) > 1 else f"used by {uses[0]}"
    message = f"{missing} ({listed})" + finding.message[len(written) :]
    if group.unresolved_ports:
        ports = ", ".join(group.unresolved_ports)
        message += (
            f"; its named port(s) {ports} cannot be resolved without it, so those upstream URLs are shown "
            "without a port"
        )
    finding.message = message
    finding.extra["uses"] = uses
