"""Ingress -> Pomerium routes, as the upstream controller does it (translation.md).

Pure: typed objects in, routes and findings out. The repository scanner, the git reader and the
cluster watcher all feed `translate`; renderers, linters, diff and config writers consume its result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pomgate.findings import FieldPath, Finding, ObjectRef, Severity
from pomgate.kube.inventory import Inventory, Typed
from pomgate.kube.models import HTTPIngressPath, Ingress, IngressBackend, Service, ServiceBackendPort
from pomgate.translation.annotations import (
    Flags,
    apply_annotations,
    is_http01_solver,
    read_flags,
    secret_annotation_names,
)
from pomgate.translation.budget import IngressBudget
from pomgate.translation.classes import ClassSelector
from pomgate.translation.errors import Problem, TranslationFailure
from pomgate.translation.options import TranslateOptions
from pomgate.translation.references import SecretEntry, find_endpoint_subsets, find_secret, find_service
from pomgate.translation.route import IngressOutcome, Route, RouteKey, TranslationResult, UnknownValue
from pomgate.translation.slug import stat_name
from pomgate.translation.validation import (
    REGEX_FIELDS,
    check_regex,
    core_validation_problems,
    over_budget_reason,
    reduced_depends_on,
)
from pomgate.translation.whole_config import (
    CertificateSource,
    certificate_sources,
    envoy_problems,
    key_pair_problems,
    options_problems,
    prune_problems,
)

PARSING = "parsing ingress: "
#: Annotations that make cert-manager issue the spec.tls Secrets of an Ingress.
CERT_MANAGER_ISSUERS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
COSTLY_HINT = (
    "fewer Unicode classes (\\p, \\P) and smaller counted repetitions, or several simpler paths instead of one regex"
)


#: Annotations that make a translation compile regexes (`path_regex` turns paths into `regex`).
REGEX_ANNOTATIONS = ("path_regex", "regex_rewrite_pattern", "host_path_regex_rewrite_pattern")


def compiles_regexes(ingress: Ingress, prefix: str) -> bool:
    """Whether translating ``ingress`` may compile a regex (the costly part of a translation)."""
    annotations = ingress.metadata.annotation_map
    return any(f"{prefix}/{name}" in annotations for name in REGEX_ANNOTATIONS)


def translate(inventory: Inventory, options: TranslateOptions | None = None) -> TranslationResult:
    """Translate every managed Ingress; merge and sort the routes of those that succeed."""
    options = options or TranslateOptions()
    return assemble(translate_each(inventory.ingresses, inventory, options), inventory)


def translate_each(
    ingresses: Sequence[Typed[Ingress]], inventory: Inventory, options: TranslateOptions
) -> list[IngressOutcome]:
    """The outcome of each of ``ingresses`` (any part of ``inventory.ingresses``), in order."""
    selector = ClassSelector(inventory, options)
    return [translate_ingress(typed, inventory, options, selector) for typed in ingresses]


def assemble(outcomes: list[IngressOutcome], inventory: Inventory) -> TranslationResult:
    """Routes of the Ingresses that succeed in Pomerium's order, and every finding with its line."""
    routes = [route for outcome in outcomes if not outcome.failed for route in outcome.routes]
    routes.sort(key=Route.sort_key)
    findings = [finding for outcome in outcomes for finding in outcome.findings]
    for finding in findings:
        locate(finding, inventory)
    return TranslationResult(routes=routes, outcomes=outcomes, findings=findings)


def locate(finding: Finding, inventory: Inventory) -> None:
    """Fill a finding's file and line from the object's origin and field path."""
    if finding.obj is None or finding.line is not None:
        return
    source = inventory.source_of(finding.obj)
    if source is not None:
        finding.path = source.origin.path
        finding.line = source.line_of(finding.field)


def translate_ingress(
    typed: Typed[Ingress], inventory: Inventory, options: TranslateOptions, selector: ClassSelector
) -> IngressOutcome:
    """Translate one Ingress: its routes, or the error that fails it, plus findings."""
    ingress = typed.model
    ref = ObjectRef("Ingress", ingress.metadata.namespace, ingress.metadata.name)
    managed, reason = selector.is_managed(ingress)
    outcome = IngressOutcome(ingress=ref, managed=managed, unmanaged_reason=reason)
    if not managed:
        return outcome
    work = _IngressTranslation(ingress, ref, inventory, options)
    work.run()
    outcome.routes = work.routes
    problems = work.problems
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        outcome.error = errors[0].chain
        outcome.routes = []
    elif typed.rejected:
        outcome.error = "rejected by Kubernetes before the controller sees it (see the k8s/ findings)"
        outcome.routes = []
    outcome.findings = [_finding(ref, p) for p in problems]
    return outcome


#: Stage prefixes of the controller's error chain that tell a reader nothing about the cause.
_STAGE_PREFIXES = ("upsert routes: ", "parsing ingress: ", "annotations: ", "applying policy annotations: ")


def human_message(problem: Problem) -> str:
    """The finding text: the cause first, naming the annotation it is about.

    The controller's full event text stays in the finding's ``extra["chain"]``.
    """
    text = problem.chain
    stripped = True
    while stripped:
        stripped = False
        for prefix in _STAGE_PREFIXES:
            if text.startswith(prefix):
                text = text[len(prefix) :]
                stripped = True
    fld = problem.field
    if len(fld) == 3 and fld[:2] == ("metadata", "annotations") and isinstance(fld[2], str):
        key = fld[2]
        if key not in text:
            short = key.rsplit("/", 1)[-1]
            if text.startswith(short + ": "):
                text = text[len(short) + 2 :]
            text = f"{key}: {text}"
    return f"{text} ({problem.detail})" if problem.detail else text


def _finding(ref: ObjectRef, problem: Problem) -> Finding:
    return Finding(
        rule=problem.rule,
        severity=problem.severity,
        message=human_message(problem),
        obj=ref,
        field=problem.field,
        hint=problem.hint,
        extra=_extra(problem),
    )


def _backend_use(ctx: _PathContext, port_text: str) -> str:
    """Where a backend is, for a message: ``host/path port p`` (or ``defaultBackend port p``)."""
    where = "defaultBackend" if ctx.prefix else f"{ctx.host}{ctx.path.path}"
    return f"{where} port {port_text}" if port_text else where


def _extra(problem: Problem) -> dict[str, Any]:
    extra: dict[str, Any] = {"chain": problem.chain}
    if problem.related:
        extra["related"] = problem.related
    if problem.token:
        extra["token"] = problem.token
    extra.update(problem.facts)
    return extra


@dataclass
class _PathContext:
    """One rule path being turned into a route."""

    host: str
    path: HTTPIngressPath
    field: FieldPath
    rule_index: int | None
    path_index: int | None
    prefix: str = ""  # "defaultBackend: " for the default backend


@dataclass
class _IngressTranslation:
    ingress: Ingress
    ref: ObjectRef
    inventory: Inventory
    options: TranslateOptions
    routes: list[Route] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    secrets: dict[str, SecretEntry | None] = field(default_factory=dict)
    flags: Flags = field(default_factory=Flags)
    #: Started at the first regex: an Ingress without regexes never reads the clock.
    budget: IngressBudget | None = None
    over_budget: bool = False
    regexes_checked: set[tuple[str, str]] | None = None

    @property
    def namespace(self) -> str:
        return self.ingress.metadata.namespace

    @property
    def name(self) -> str:
        return self.ingress.metadata.name

    def problem(
        self,
        rule: str,
        chain: str,
        fld: FieldPath = (),
        *,
        severity: Severity = Severity.ERROR,
        detail: str | None = None,
        hint: str | None = None,
        facts: dict[str, str] | None = None,
    ) -> None:
        self.problems.append(
            Problem(rule=rule, chain=chain, field=fld, severity=severity, detail=detail, hint=hint, facts=facts or {})
        )

    # ------------------------------------------------------------ main flow
    def run(self) -> None:
        spec = self.ingress.spec
        if spec is None:
            return  # rejected by Kubernetes already (k8s/ingress-spec)
        annotations = self.ingress.metadata.annotation_map
        prefix = self.options.prefix
        self.flags = read_flags(annotations, prefix)
        fetch_ok = self.fetch(annotations)
        if not fetch_ok and self.options.live:
            return
        if is_http01_solver(self.ingress.metadata.label_map):
            template: dict[str, Any] = {"allow_public_unauthenticated_access": True, "preserve_host_header": True}
        else:
            applied = apply_annotations(annotations, prefix, self.resolve_secret, live=self.options.live)
            self.problems.extend(applied.problems)
            template = applied.fields
        built: list[Route] = []
        if spec.defaultBackend is not None:
            built.extend(self.default_backend_routes(template))
        for index in range(len(spec.rules)):
            built.extend(self.rule_routes(template, index))
        self.check_duplicates(built)
        certificates = self.prune_certificates()
        for route in built:
            self.validate_route(route)
        self.validate_whole_config(built, certificates)
        self.routes = built

    # ------------------------------------------------------------ fetch stage
    def resolve_secret(self, name: str) -> SecretEntry | None:
        if name not in self.secrets:
            self.secrets[name] = find_secret(self.inventory, self.namespace, name)
        return self.secrets[name]

    def fetch(self, annotations: Mapping[str, str]) -> bool:
        ok = True
        spec = self.ingress.spec
        assert spec is not None
        wanted: list[tuple[str, FieldPath, str]] = []
        for index, tls in enumerate(spec.tls):
            if tls.secretName:
                wanted.append((tls.secretName, ("spec", "tls", index, "secretName"), "spec.tls"))
        for key, name in secret_annotation_names(annotations, self.options.prefix):
            wanted.append((name, ("metadata", "annotations", key), key))
        for name, fld, used_by in wanted:
            if self.resolve_secret(name) is None:
                ok = False
                self.missing(
                    "Secret", name, fld, used_by, f'tls: get secret {self.namespace}/{name}: secrets "{name}" not found'
                )
        for ctx in self.backend_contexts():
            backend = ctx.path.backend
            where = ctx.prefix or f"rule host={ctx.host} path={ctx.path.path} "
            if backend.service is None:
                ok = False
                self.problem(
                    "routing/backend-not-service",
                    f"services: {where.rstrip()} has no backend service defined".replace("  ", " "),
                    ctx.field + ("backend",),
                )
                continue
            svc_name = backend.service.name
            service = find_service(self.inventory, self.namespace, svc_name)
            port_text = _port_text(backend.service.port)
            context = (
                f"services: {where}refers to service {self.namespace}/{svc_name} port={port_text}, "
                "failed to get service information: "
            )
            if service is None:
                ok = False
                self.missing(
                    "Service",
                    svc_name,
                    ctx.field + ("backend", "service", "name"),
                    "backend",
                    context + f'services "{svc_name}" not found',
                    use=_backend_use(ctx, port_text),
                )
                continue
            if service.spec.type != "ExternalName" and self.options.live:
                _subsets, found = find_endpoint_subsets(self.inventory, self.namespace, svc_name)
                if not found:
                    ok = False
                    self.problem(
                        "reference/endpoints-missing",
                        context + f'endpoints "{svc_name}" not found',
                        ctx.field + ("backend",),
                    )
        return ok

    def missing(self, kind: str, name: str, fld: FieldPath, used_by: str, chain: str, use: str = "") -> None:
        """A referenced object that is not there; ``use`` says where (a backend's host, path and port)."""
        if self.options.live:
            self.problem(f"reference/{kind.lower()}-missing", chain, fld)
            return
        facts = {"missing": f"{kind} {self.namespace}/{name}", "used_by": used_by, "use": use or used_by}
        pool = self.inventory.secrets if kind == "Secret" else self.inventory.services
        rejected = pool.get((self.namespace, name))
        if rejected is not None:
            self.problem(
                f"reference/{kind.lower()}-missing",
                f"{kind} {self.namespace}/{name} (used by {used_by}) is in the input, but Kubernetes rejects it "
                f"(see its k8s/ finding), so the controller fails this Ingress with `{chain}`",
                fld,
                severity=Severity.WARNING,
                facts=facts,
            )
            return
        if used_by == "spec.tls":
            return  # offline, certmanager/tls-secret-without-issuer judges where a TLS Secret comes from
        elsewhere = sorted(ns for (ns, other) in pool if other == name and ns != self.namespace)
        detail = f"a {kind} of that name exists in namespace {', '.join(elsewhere)}" if elsewhere else None
        self.problem(
            f"reference/{kind.lower()}-missing",
            f"{kind} {self.namespace}/{name} (used by {used_by}) is not in the input: fine if it is created outside "
            f"this repository, otherwise the controller fails this Ingress with `{chain}`",
            fld,
            severity=Severity.WARNING,
            detail=detail,
            facts=facts,
        )

    def backend_contexts(self) -> list[_PathContext]:
        spec = self.ingress.spec
        assert spec is not None
        contexts: list[_PathContext] = []
        if spec.defaultBackend is not None:
            contexts.append(
                _PathContext(
                    "",
                    HTTPIngressPath(path="/", pathType="Prefix", backend=spec.defaultBackend),
                    ("spec", "defaultBackend"),
                    None,
                    None,
                    "defaultBackend: ",
                )
            )
        for r_index, rule in enumerate(spec.rules):
            if rule.http is None:
                continue
            for p_index, path in enumerate(rule.http.paths):
                contexts.append(
                    _PathContext(
                        rule.host, path, ("spec", "rules", r_index, "http", "paths", p_index), r_index, p_index
                    )
                )
        return contexts

    # ------------------------------------------------------------ after translation (whole_config.py)
    def prune_certificates(self) -> list[CertificateSource]:
        """Fetched TLS Secrets become certificates; one that does not parse fails the update upstream."""
        sources = certificate_sources(self.secrets, self.secret_field)
        problems, parsed = prune_problems(sources, live=self.options.live, issued=self.issued_by_cert_manager())
        self.problems.extend(problems)
        return parsed

    def issued_by_cert_manager(self) -> set[str]:
        """spec.tls Secrets cert-manager's ingress-shim writes for this Ingress (it has an issuer annotation)."""
        annotations = self.ingress.metadata.annotation_map
        spec = self.ingress.spec
        if spec is None or not any(key in annotations for key in CERT_MANAGER_ISSUERS):
            return set()
        return {f"{self.namespace}/{tls.secretName}" for tls in spec.tls if tls.secretName}

    def annotation_field(self, name: str) -> FieldPath:
        """Where annotation ``name`` (a route field) is written on this Ingress."""
        return ("metadata", "annotations", f"{self.options.prefix}/{name}")

    def validate_whole_config(self, routes: list[Route], certificates: list[CertificateSource]) -> None:
        """Options validation (certificates in use, bearer token format), then Envoy's rules."""
        hosts = {route.url_host for route in routes}
        self.problems.extend(key_pair_problems(certificates, hosts))
        fields = [route.fields for route in routes]
        self.problems.extend(options_problems(fields, self.annotation_field))
        self.problems.extend(envoy_problems(fields, self.annotation_field))

    def secret_field(self, secret_name: str) -> FieldPath:
        spec = self.ingress.spec
        assert spec is not None
        for index, tls in enumerate(spec.tls):
            if tls.secretName == secret_name:
                return ("spec", "tls", index, "secretName")
        for key, name in secret_annotation_names(self.ingress.metadata.annotation_map, self.options.prefix):
            if name == secret_name:
                return ("metadata", "annotations", key)
        return ()

    # ------------------------------------------------------------ rules
    def default_backend_routes(self, template: dict[str, Any]) -> list[Route]:
        spec = self.ingress.spec
        assert spec is not None and spec.defaultBackend is not None
        fld: FieldPath = ("spec", "defaultBackend")
        chain = PARSING + "defaultBackend: deriving host: "
        if len(spec.tls) != 1:
            self.problem(
                "routing/default-backend-tls",
                f"{chain}expected one TLS spec, got {len(spec.tls)}",
                fld,
                hint="a defaultBackend needs exactly one spec.tls entry with exactly one host",
            )
            return []
        if len(spec.tls[0].hosts) != 1:
            self.problem(
                "routing/default-backend-tls",
                f"{chain}expected exactly one Host in the TLS spec, got {len(spec.tls[0].hosts)}",
                ("spec", "tls", 0, "hosts"),
            )
            return []
        path = HTTPIngressPath(path="/", pathType="Prefix", backend=spec.defaultBackend)
        ctx = _PathContext(spec.tls[0].hosts[0], path, fld, None, None, "defaultBackend: ")
        route = self.path_route(template, ctx)
        return [route] if route else []

    def rule_routes(self, template: dict[str, Any], index: int) -> list[Route]:
        spec = self.ingress.spec
        assert spec is not None
        rule = spec.rules[index]
        fld: FieldPath = ("spec", "rules", index)
        host = rule.host
        if not host:
            if self.flags.subtle_allow_empty_host:
                host = "*"
            else:
                self.problem(
                    "routing/empty-host",
                    f"{PARSING}ingress rule has empty host; if this is intentional, set the annotation "
                    f"'{self.options.prefix}/subtle_allow_empty_host=true'",
                    fld,
                )
                return []
        if rule.http is None:
            self.problem("routing/missing-http", f"{PARSING}rules.http is required", fld)
            return []
        routes = []
        for p_index, path in enumerate(rule.http.paths):
            ctx = _PathContext(host, path, fld + ("http", "paths", p_index), index, p_index)
            route = self.path_route(template, ctx)
            if route:
                routes.append(route)
        return routes

    # ------------------------------------------------------------ one path
    def path_route(self, template: dict[str, Any], ctx: _PathContext) -> Route | None:
        if ctx.path.backend.service is None:
            return None  # reported by the fetch stage
        head = f"{PARSING}{ctx.prefix}pathToRoute: {_go_path(ctx.path)}: "
        try:
            fields = dict(template)  # nested values are shared: route fields are never modified after this
            fields["from"] = self.from_url(ctx)
            self.apply_path_match(fields, ctx)
            fields["to"] = self.upstream_urls(fields, ctx)
        except TranslationFailure as failure:
            problem = failure.problem
            problem.chain = head + problem.chain
            self.problems.append(problem)
            return None
        key = RouteKey(self.namespace, self.name, ctx.host, ctx.path.path)
        generated = stat_name(self.namespace, self.name, ctx.host, ctx.path.path)
        if not fields.get("name"):
            fields["name"] = generated
        fields["id"] = key.route_id()
        return Route(
            key=key,
            ingress=self.ref,
            fields=fields,
            stat_name=generated,
            rule_index=ctx.rule_index,
            path_index=ctx.path_index,
        )

    def mode(self) -> str:
        flags = self.flags
        if flags.udp_upstream:
            return "udp"
        if flags.tcp_upstream:
            return "tcp"
        if flags.ssh_upstream:
            return "ssh"
        return "http"

    def from_url(self, ctx: _PathContext) -> str:
        mode = self.mode()
        if mode == "http":
            return f"https://{ctx.host}"
        if mode == "ssh":
            return f"ssh://{ctx.host}"
        port = self.service_port(ctx, "from: ")
        host = f"[{ctx.host}]" if ":" in ctx.host else ctx.host
        if port is None:
            return f"{mode}+https://{host}"
        return f"{mode}+https://{host}:{port}"

    def service_port(self, ctx: _PathContext, chain: str) -> int | None:
        """The Service port number a backend refers to (None when it cannot be known offline)."""
        service_ref = ctx.path.backend.service
        if service_ref is None:
            raise TranslationFailure(
                Problem("routing/backend-not-service", f"{chain}no backend service defined", ctx.field + ("backend",))
            )
        port = service_ref.port or ServiceBackendPort()
        if port.number:
            return port.number
        service = find_service(self.inventory, self.namespace, service_ref.name)
        if service is None:
            return None
        for service_port in service.spec.ports:
            if service_port.name == port.name:
                return service_port.port
        svc = f"{self.namespace}/{service_ref.name}"
        raise TranslationFailure(
            Problem(
                "routing/service-port-not-found",
                f"{chain}get service {svc} port by name {port.name}: could not find port {port.name} on service {svc}",
                ctx.field + ("backend", "service", "port", "name"),
                detail=f"Service {svc} has ports: {_port_names(service)}",
            )
        )

    def apply_path_match(self, fields: dict[str, Any], ctx: _PathContext) -> None:
        path_type = ctx.path.pathType
        text = ctx.path.path
        fld = ctx.field + ("pathType",)
        if path_type is None:
            raise TranslationFailure(Problem("routing/path-type", "path: pathType is required", fld))
        flags = self.flags
        tunnel = "ssh" if flags.ssh_upstream else "tcp" if flags.tcp_upstream else "udp" if flags.udp_upstream else ""
        if tunnel:
            if path_type != "ImplementationSpecific":
                raise TranslationFailure(
                    Problem(
                        "routing/path-type",
                        f"{tunnel} services must have ImplementationSpecific path type",
                        fld,
                        hint="pathType: ImplementationSpecific, and no path",
                    )
                )
            if text:
                raise TranslationFailure(
                    Problem(
                        "routing/path-type",
                        f"{tunnel} services must not specify path, got {text}",
                        ctx.field + ("path",),
                        hint="remove the path: the route is host:port only",
                    )
                )
            return
        if path_type == "Exact":
            target = "path"
        elif path_type == "Prefix":
            target = "prefix"
        elif path_type == "ImplementationSpecific":
            target = "regex" if flags.path_regex else "prefix"
        else:
            raise TranslationFailure(
                Problem(
                    "routing/path-type",
                    f"unknown pathType {path_type}",
                    fld,
                    hint="one of Exact, Prefix, ImplementationSpecific",
                )
            )
        if text:
            fields[target] = text

    def upstream_urls(self, fields: dict[str, Any], ctx: _PathContext) -> list[str]:
        service_ref = ctx.path.backend.service
        assert service_ref is not None
        flags = self.flags
        scheme = (
            "ssh"
            if flags.ssh_upstream
            else "tcp"
            if flags.tcp_upstream
            else "udp"
            if flags.udp_upstream
            else "https"
            if flags.secure_upstream
            else "http"
        )
        service = find_service(self.inventory, self.namespace, service_ref.name)
        port = self.service_port(ctx, "backend: get service hosts: get service from path: ")
        dns = f"{service_ref.name}.{self.namespace}.svc.cluster.local"
        if port is None:
            self.problem(
                "reference/service-port-unknown",
                f"the backend names port {_port_text(service_ref.port)!r} of Service "
                f"{self.namespace}/{service_ref.name}, which is not in the input: the upstream URL is shown "
                "without its port",
                ctx.field + ("backend", "service", "port"),
                severity=Severity.WARNING,
                facts={"missing": f"Service {self.namespace}/{service_ref.name}", "port": _port_text(service_ref.port)},
            )
            return [f"{scheme}://{dns}"]
        if service is not None and service.spec.type == "ExternalName":
            return [f"{scheme}://{service.spec.externalName}:{port}"]
        if flags.service_proxy_upstream:
            return [f"{scheme}://{dns}:{port}"]
        hosts = self.endpoint_hosts(service, service_ref.name, service_ref.port or ServiceBackendPort(), port)
        if not hosts:
            return [f"{scheme}://{dns}:{port}"]
        if flags.secure_upstream and not fields.get("tls_server_name"):
            fields["tls_server_name"] = dns
        return sorted(f"{scheme}://{host}" for host in hosts)

    def endpoint_hosts(self, service: Service | None, name: str, port: ServiceBackendPort, number: int) -> list[str]:
        subsets, _found = find_endpoint_subsets(self.inventory, self.namespace, name)
        if not subsets:
            return []
        if port.name:

            def matches(ep_name: str, ep_port: int) -> bool:
                return ep_name == port.name
        else:
            target: int | None = None
            for service_port in service.spec.ports if service else []:
                if service_port.port == number:
                    effective = service_port.effective_target_port
                    target = effective if isinstance(effective, int) else None
                    break

            def matches(ep_name: str, ep_port: int) -> bool:
                return target is not None and ep_port == target

        hosts: list[str] = []
        for subset in subsets:
            for address in subset.addresses:
                for ep in subset.ports:
                    if matches(ep.name, ep.port):
                        hosts.append(f"{address.ip}:{ep.port}")
        return hosts

    # ------------------------------------------------------------ whole-Ingress checks
    def check_duplicates(self, routes: list[Route]) -> None:
        seen: dict[RouteKey, Route] = {}
        for route in routes:
            if route.key in seen:
                first = seen[route.key]
                where = (
                    ("spec", "rules", route.rule_index) if route.rule_index is not None else ("spec", "defaultBackend")
                )
                self.problem(
                    "routing/duplicate-route",
                    f"indexing new routes: duplicate route {route.key}",
                    where,
                    detail=f"{first.from_url} path {route.key.path or '(none)'} is defined twice in this Ingress"
                    + (" (two TCP/UDP ports on one host give the same route)" if not route.key.path else ""),
                )
            else:
                seen[route.key] = route

    def validate_route(self, route: Route) -> None:
        fld: FieldPath = (
            ("spec", "rules", route.rule_index, "http", "paths", route.path_index or 0)
            if route.rule_index is not None
            else ("spec", "defaultBackend")
        )
        problems = core_validation_problems(route.fields)
        for problem in problems:
            if not problem.field:
                problem.field = fld
            self.problems.append(problem)
        if not problems and route.fields.get("depends_on"):
            # Policy.Validate rewrites URL entries to their host in place: the stored route holds hosts.
            route.fields["depends_on"] = reduced_depends_on(route.fields["depends_on"])
        for key in REGEX_FIELDS:
            pattern = route.fields.get(key)
            if isinstance(pattern, str):
                self.check_regex_field(key, pattern, fld)

    def check_regex_field(self, key: str, pattern: str, fld: FieldPath) -> None:
        """Compile one regex of a route within the Ingress's budget (which starts at its first regex)."""
        if self.budget is None or self.regexes_checked is None:
            self.budget = IngressBudget(self.options.ingress_budget)
            self.regexes_checked = set()
        elif (key, pattern) in self.regexes_checked:
            return  # an annotation's pattern is in every route: checked (and reported) once
        self.regexes_checked.add((key, pattern))
        label = "path regex" if key == "regex" else key
        target = fld + ("path",) if key == "regex" else ("metadata", "annotations", f"{self.options.prefix}/{key}")
        if self.budget.exceeded():
            if not self.over_budget:
                self.over_budget = True
                reason = over_budget_reason(pattern, label, self.budget)
                self.problem("regex/too-costly", f"config validation: {reason}", target, hint=COSTLY_HINT)
            return
        verdict = check_regex(pattern, label, self.budget)
        if verdict is None:
            return
        rule, reason = verdict
        hint = COSTLY_HINT if rule == "regex/too-costly" else None
        if rule == "regex/re2" and ("(?=" in pattern or "(?!" in pattern or "(?<" in pattern):
            hint = "RE2 has no lookaround: match the wanted paths positively, or split them into several paths"
        elif rule == "regex/re2" and ("\\1" in pattern or "\\2" in pattern):
            hint = "RE2 has no backreferences"
        self.problem(rule, f"config validation: {reason}", target, hint=hint)


def _port_names(service: Service) -> str:
    return ", ".join(p.name or str(p.port) for p in service.spec.ports) or "none"


def _port_text(port: ServiceBackendPort | None) -> str:
    if port is None:
        return ""
    return port.name or str(port.number)


def _go_path(path: HTTPIngressPath) -> str:
    backend: IngressBackend = path.backend
    service = backend.service
    svc = f"{service.name}:{_port_text(service.port)}" if service else "nil"
    return f"{{Path:{path.path} PathType:{path.pathType} Backend:{{Service:{svc}}}}}"


__all__ = ["UnknownValue", "compiles_regexes", "locate", "translate", "translate_ingress"]
