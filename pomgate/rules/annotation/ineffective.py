"""annotation/ineffective: an annotation the Ingress's other settings make do nothing, or something else."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.kube.inventory import Typed
from pomgate.kube.models import HTTPIngressPath, Ingress
from pomgate.rules.base import Rule, RuleContext
from pomgate.rules.review_helpers import is_http01_solver
from pomgate.translation.annotations import Flags, read_flags
from pomgate.translation.references import find_service

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/tls_server_name: "web.internal.example.com"
    ingress.pomerium.io/allow_any_authenticated_user: "true"
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/secure_upstream: "true"
    ingress.pomerium.io/tls_server_name: "web.internal.example.com"
    ingress.pomerium.io/allow_any_authenticated_user: "true"
"""

#: Settings of the TLS connection to the upstream: Pomerium only builds one for an https upstream.
#: (`tls_skip_verify` too, but upstream/tls-skip-verify reports it, saying it has no effect yet.)
UPSTREAM_TLS = ("tls_server_name", "tls_custom_ca_secret", "tls_client_secret")
#: Settings that rewrite the request path, which a TCP/UDP/SSH tunnel does not have.
PATH_REWRITES = ("prefix_rewrite", "regex_rewrite_pattern")


@dataclass(frozen=True)
class _Setting:
    """What one Ingress's annotations say, read once for all cases."""

    prefix: str
    annotations: dict[str, str]
    flags: Flags

    def value(self, name: str) -> str:
        return self.annotations.get(f"{self.prefix}/{name}", "")

    def is_set(self, name: str) -> bool:
        """Set to a non-empty value."""
        value = self.value(name).strip()
        return bool(value)

    @property
    def tunnel(self) -> str | None:
        """The tunnel the upstream URL uses, in the controller's order (ssh, then tcp, then udp)."""
        flags = self.flags
        return "ssh" if flags.ssh_upstream else "tcp" if flags.tcp_upstream else "udp" if flags.udp_upstream else None


def check(context: RuleContext) -> Iterator[Finding]:
    """One warning per Ingress and annotation that its other settings make ineffective."""
    prefix = context.options.prefix
    for outcome in context.translation.outcomes:
        typed = context.ingresses_by_ref.get(outcome.ingress)
        if not outcome.managed or typed is None or typed.rejected or is_http01_solver(typed.model):
            continue
        annotations = dict(typed.model.metadata.annotation_map)
        if not any(key.startswith(prefix + "/") for key in annotations):
            continue
        setting = _Setting(prefix, annotations, read_flags(annotations, prefix))
        for name, message in _cases(setting, typed, context):
            yield Finding(
                rule=RULE.id,
                severity=RULE.severity,
                message=f"{prefix}/{name} {message}",
                obj=outcome.ingress,
                field=("metadata", "annotations", f"{prefix}/{name}"),
            )


def _cases(setting: _Setting, typed: Typed[Ingress], context: RuleContext) -> Iterator[tuple[str, str]]:
    tunnel = setting.tunnel
    route = f"{tunnel.upper()} route" if tunnel else ""
    if tunnel and setting.flags.secure_upstream:
        yield (
            "secure_upstream",
            (
                f"has no effect on a {route}: the controller makes the upstream URL {tunnel}://, not https://, "
                "and the tunnel carries the client's bytes as they are"
            ),
        )
    for name in UPSTREAM_TLS:
        if not setting.is_set(name):
            continue
        if tunnel:
            yield name, f"has no effect on a {route}: Pomerium sets up TLS only to https:// upstreams"
        elif not setting.flags.secure_upstream:
            yield (
                name,
                (
                    'has no effect: the upstream URL is http:// because secure_upstream is not "true", and '
                    "Pomerium sets up TLS only to https:// upstreams"
                ),
            )
    for name in PATH_REWRITES:
        if tunnel and setting.is_set(name):
            yield name, f"has no effect on a {route}: a tunnel has no request path to rewrite"
    if tunnel:
        return
    paths = list(_paths(typed.model))
    if setting.flags.path_regex:
        literal = [
            f"{path.pathType} path {path.path or '(empty)'}"
            for path in paths
            if path.pathType != "ImplementationSpecific"
        ]
        if literal:
            yield (
                "path_regex",
                (
                    f"only applies to ImplementationSpecific paths; {_listed(literal)} "
                    f"{'is' if len(literal) == 1 else 'are'} matched literally, not as regex"
                ),
            )
    rewrite = setting.value("prefix_rewrite")
    if rewrite:
        exact = [path.path for path in paths if path.pathType == "Exact"]
        regex = [path.path for path in paths if path.pathType == "ImplementationSpecific" and setting.flags.path_regex]
        named = [
            f"{kind} path{'s' if len(found) > 1 else ''} {_listed(found)}"
            for kind, found in (("Exact", exact), ("regex", regex))
            if found
        ]
        if named:
            yield (
                "prefix_rewrite",
                (
                    f"replaces the whole request path, not a prefix, on the {' and '.join(named)}: every request "
                    f"matching {'it' if len(exact) + len(regex) == 1 else 'them'} reaches the upstream as {rewrite}"
                ),
            )
    if setting.flags.service_proxy_upstream:
        external = _external_name_services(typed, context)
        if external:
            yield (
                "service_proxy_upstream",
                (
                    f"has no effect on the ExternalName Service(s) {', '.join(external)}: the controller sends "
                    "their traffic to the external name"
                ),
            )


def _paths(ingress: Ingress) -> Iterator[HTTPIngressPath]:
    spec = ingress.spec
    if spec is None:
        return
    for rule in spec.rules:
        if rule.http is not None:
            yield from rule.http.paths


def _external_name_services(typed: Typed[Ingress], context: RuleContext) -> list[str]:
    ref: ObjectRef = typed.ref
    spec = typed.model.spec
    backends = [path.backend for path in _paths(typed.model)]
    if spec is not None and spec.defaultBackend is not None:
        backends.append(spec.defaultBackend)
    names = sorted({backend.service.name for backend in backends if backend.service is not None})
    found = []
    for name in names:
        service = find_service(context.inventory, ref.namespace, name)
        if service is not None and service.spec.type == "ExternalName":
            found.append(f"{ref.namespace}/{name}")
    return found


def _listed(items: list[str]) -> str:
    unique = list(dict.fromkeys(items))
    shown = ", ".join(unique[:4])
    return shown + (f" and {len(unique) - 4} more" if len(unique) > 4 else "")


RULE = Rule(
    id="annotation/ineffective",
    severity=Severity.WARNING,
    summary="An annotation that the Ingress's other settings make do nothing, or something other than its name says",
    explanation=(
        "The controller accepts some annotation combinations without a word although one setting cancels "
        "another (upstream issue pomerium/ingress-controller#197 asks for exactly these checks). On a TCP, "
        "UDP or SSH route (`tcp_upstream`, `udp_upstream`, `ssh_upstream`) the upstream URL takes the "
        "tunnel's scheme, so `secure_upstream` is ignored, and a tunnel has no request path, so "
        "`prefix_rewrite` and `regex_rewrite_pattern` do nothing. Pomerium sets up TLS only to an https:// "
        'upstream: without `secure_upstream: "true"` (or on a tunnel) `tls_server_name`, '
        "`tls_custom_ca_secret` and `tls_client_secret` are ignored (and `tls_skip_verify`, which "
        "upstream/tls-skip-verify reports). `path_regex` only "
        "turns ImplementationSpecific paths into regexes; Exact and Prefix paths stay literal. "
        "`prefix_rewrite` on an Exact path (or a regex path) replaces the whole request path, since the "
        "matched part is the whole path. `service_proxy_upstream` does nothing for an ExternalName Service, "
        "whose external name is always used. Remove the setting, or change the one that cancels it."
    ),
    bad=BAD,
    good=GOOD,
    check=check,
)
