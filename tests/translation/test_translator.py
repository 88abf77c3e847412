"""The translation algorithm, rule by rule (../shared/reference/translation.md)."""

from __future__ import annotations

import json

import pytest

from pomgate.findings import Severity
from pomgate.translation.route import RouteKey, go_json_string
from pomgate.translation.slug import slugify, stat_name
from tests.helpers import (
    analyze,
    docs,
    endpoints,
    errors,
    ingress,
    routes,
    rules_of,
    secret,
    service,
    simple_rule,
)

P = "ingress.pomerium.io"


def chains(text: str, **options: object) -> list[str]:
    """The controller's error texts, translator findings only (what Kubernetes rejects comes first elsewhere)."""
    translated = analyze(text, **options).translation.findings
    return [f.extra.get("chain", f.message) for f in translated if f.severity is Severity.ERROR]


# ---------------------------------------------------------------- §0 fetch stage


class TestFetchStage:
    def test_missing_tls_secret_is_a_warning_offline_and_the_route_renders(self) -> None:
        text = docs(ingress(extra_spec="tls:\n  - hosts: [app.example.com]\n    secretName: app-tls"), service())
        analysis = analyze(text)
        assert not errors(analysis)
        assert "certmanager/tls-secret-without-issuer" in rules_of(analysis, Severity.WARNING)
        assert "reference/secret-missing" not in rules_of(analysis, Severity.WARNING)
        assert len(analysis.translation.routes) == 1

    def test_missing_tls_secret_fails_the_ingress_live(self) -> None:
        text = docs(
            ingress(extra_spec="tls:\n  - hosts: [app.example.com]\n    secretName: app-tls"), service(), endpoints()
        )
        assert chains(text, live=True) == ['tls: get secret default/app-tls: secrets "app-tls" not found']

    def test_annotation_secret_is_fetched_even_for_an_unknown_name(self) -> None:
        text = docs(ingress(annotations={f"{P}/bogus_secret": "nope"}), service(), endpoints())
        found = chains(text, live=True)
        assert found[0] == 'tls: get secret default/nope: secrets "nope" not found'

    def test_missing_service_offline_numeric_port_uses_dns_name(self) -> None:
        analysis = analyze(ingress(rules=simple_rule(port="number: 9000")))
        assert "reference/service-missing" in rules_of(analysis, Severity.WARNING)
        assert analysis.translation.routes[0].fields["to"] == ["http://svc.default.svc.cluster.local:9000"]

    def test_missing_service_offline_named_port_drops_port_with_warning(self) -> None:
        analysis = analyze(ingress(rules=simple_rule(port="name: http")))
        missing = [f for f in analysis.findings if f.rule == "reference/service-missing"]
        assert len(missing) == 1 and missing[0].severity == Severity.WARNING  # one finding per missing Service
        assert "named port(s) http" in missing[0].message
        assert "reference/service-port-unknown" not in rules_of(analysis)
        assert analysis.translation.routes[0].fields["to"] == ["http://svc.default.svc.cluster.local"]

    def test_missing_service_points_at_same_name_in_other_namespace(self) -> None:
        analysis = analyze(docs(ingress(), service(namespace="other")))
        warning = next(f for f in analysis.findings if f.rule == "reference/service-missing")
        assert "namespace other" in warning.message

    def test_live_requires_endpoints_for_cluster_ip_services(self) -> None:
        found = chains(docs(ingress(), service()), live=True)
        assert found and "endpoints" in found[0] and "failed to get service information" in found[0]

    def test_resource_backend_fails(self) -> None:
        rules = """\
- host: a.example.com
  http:
    paths:
      - path: /
        pathType: Prefix
        backend:
          resource:
            apiGroup: k8s.example.com
            kind: Bucket
            name: b
"""
        found = chains(ingress(rules=rules))
        assert found == ["services: rule host=a.example.com path=/ has no backend service defined"]


# ---------------------------------------------------------------- §1 HTTP-01 solver


class TestHttp01Solver:
    def test_solver_is_public_preserves_host_and_ignores_annotations(self) -> None:
        text = docs(
            ingress(
                labels={"acme.cert-manager.io/http01-solver": "TRUE"},
                annotations={f"{P}/unknown_thing": "x", f"{P}/policy": "allow: {maybe: []}"},
                rules=simple_rule(path="/.well-known/acme-challenge/tok", path_type="Exact"),
            ),
            service(),
        )
        analysis = analyze(text)
        assert not errors(analysis)
        (route,) = routes(text)
        assert route["allow_public_unauthenticated_access"] is True
        assert route["preserve_host_header"] is True
        assert route["path"] == "/.well-known/acme-challenge/tok"
        assert "policy" not in route

    def test_solver_still_honours_flag_annotations(self) -> None:
        text = docs(
            ingress(
                labels={"acme.cert-manager.io/http01-solver": "true"}, annotations={f"{P}/secure_upstream": "true"}
            ),
            service(),
        )
        assert routes(text)[0]["to"] == ["https://svc.default.svc.cluster.local:80"]


# ---------------------------------------------------------------- §2 template


def test_template_annotations_apply_to_every_route() -> None:
    rules = simple_rule(path="/a") + simple_rule(host="b.example.com", path="/b")
    text = docs(ingress(annotations={f"{P}/timeout": "30s", f"{P}/allow_websockets": "true"}, rules=rules), service())
    out = routes(text)
    assert len(out) == 2
    assert all(r["timeout"] == "30s" and r["allow_websockets"] is True for r in out)


# ---------------------------------------------------------------- §3 defaultBackend

DEFAULT_BACKEND = """\
defaultBackend:
  service:
    name: svc
    port:
      number: 80
"""


class TestDefaultBackend:
    def test_default_backend_uses_the_single_tls_host_with_prefix_slash(self) -> None:
        extra = DEFAULT_BACKEND + "tls:\n  - hosts: [d.example.com]\n    secretName: ''\n"
        (route,) = routes(docs(ingress(rules="", extra_spec=extra), service()))
        assert route["from"] == "https://d.example.com"
        assert route["prefix"] == "/"
        assert json.loads(route["id"]) == {"n": "web", "ns": "default", "h": "d.example.com", "p": "/"}

    def test_default_backend_needs_exactly_one_tls_entry(self) -> None:
        assert chains(docs(ingress(rules="", extra_spec=DEFAULT_BACKEND), service())) == [
            "parsing ingress: defaultBackend: deriving host: expected one TLS spec, got 0"
        ]

    def test_default_backend_needs_exactly_one_tls_host(self) -> None:
        extra = DEFAULT_BACKEND + "tls:\n  - hosts: [a.example.com, b.example.com]\n"
        assert chains(docs(ingress(rules="", extra_spec=extra), service())) == [
            "parsing ingress: defaultBackend: deriving host: expected exactly one Host in the TLS spec, got 2"
        ]

    def test_default_backend_with_tcp_fails_the_path_type_check(self) -> None:
        extra = DEFAULT_BACKEND + "tls:\n  - hosts: [d.example.com]\n"
        found = chains(docs(ingress(rules="", extra_spec=extra, annotations={f"{P}/tcp_upstream": "true"}), service()))
        assert len(found) == 1 and "tcp services must have ImplementationSpecific path type" in found[0]
        assert found[0].startswith("parsing ingress: defaultBackend: pathToRoute: ")

    def test_default_backend_and_rule_with_slash_on_same_host_is_duplicate(self) -> None:
        extra = DEFAULT_BACKEND + "tls:\n  - hosts: [app.example.com]\n"
        found = chains(docs(ingress(extra_spec=extra), service()))
        assert found == [
            "indexing new routes: duplicate route {Name:web Namespace:default Host:app.example.com Path:/}"
        ]


# ---------------------------------------------------------------- §4 rules


class TestRules:
    def test_empty_host_fails_without_the_flag(self) -> None:
        rules = simple_rule().replace("- host: app.example.com\n  http:", "- http:")
        assert chains(docs(ingress(rules=rules), service())) == [
            "parsing ingress: ingress rule has empty host; if this is intentional, set the annotation "
            "'ingress.pomerium.io/subtle_allow_empty_host=true'"
        ]

    def test_empty_host_becomes_star_with_the_flag(self) -> None:
        rules = simple_rule(path="/foo").replace("- host: app.example.com\n  http:", "- http:")
        (route,) = routes(docs(ingress(rules=rules, annotations={f"{P}/subtle_allow_empty_host": "True"}), service()))
        assert route["from"] == "https://*"
        assert route["name"] == "default-web-foo"

    def test_rule_without_http_fails(self) -> None:
        assert chains(docs(ingress(rules="- host: a.example.com\n"), service())) == [
            "parsing ingress: rules.http is required"
        ]

    def test_one_failing_path_fails_the_whole_ingress(self) -> None:
        rules = simple_rule(path="/ok") + simple_rule(path="/bad", path_type="Fancy")
        analysis = analyze(docs(ingress(rules=rules), service()))
        assert analysis.translation.routes == []
        assert "unknown pathType Fancy" in analysis.translation.findings[0].message
        # Kubernetes refuses the object before the controller sees it, and says so first.
        assert errors(analysis)[0].rule == "k8s/ingress-path"
        assert [f.rule for f in errors(analysis)].count("routing/path-type") == 0

    def test_wildcard_host_passes_verbatim(self) -> None:
        (route,) = routes(docs(ingress(rules=simple_rule(host="'*.example.com'")), service()))
        assert route["from"] == "https://*.example.com"


# ---------------------------------------------------------------- §5.1 from


class TestFromUrl:
    def test_tcp_named_port_uses_service_port_not_target_port(self) -> None:
        text = docs(
            ingress(
                annotations={f"{P}/tcp_upstream": "true"},
                rules=simple_rule(path=None, path_type="ImplementationSpecific", port="name: db"),
            ),
            service(ports=[("db", 5432, 15432)]),
        )
        (route,) = routes(text)
        assert route["from"] == "tcp+https://app.example.com:5432"
        assert route["to"] == ["tcp://svc.default.svc.cluster.local:5432"]

    def test_udp_and_ssh_from_urls(self) -> None:
        rule = simple_rule(path=None, path_type="ImplementationSpecific", port="number: 53")
        udp = routes(docs(ingress(annotations={f"{P}/udp_upstream": "true"}, rules=rule), service()))
        assert udp[0]["from"] == "udp+https://app.example.com:53"
        assert udp[0]["to"] == ["udp://svc.default.svc.cluster.local:53"]
        ssh = routes(docs(ingress(annotations={f"{P}/ssh_upstream": "true"}, rules=rule), service()))
        assert ssh[0]["from"] == "ssh://app.example.com"
        assert ssh[0]["to"] == ["ssh://svc.default.svc.cluster.local:53"]

    def test_later_mode_wins_for_from_but_ssh_wins_for_scheme(self) -> None:
        rule = simple_rule(path=None, path_type="ImplementationSpecific", port="number: 22")
        (route,) = routes(
            docs(ingress(annotations={f"{P}/ssh_upstream": "true", f"{P}/tcp_upstream": "true"}, rules=rule), service())
        )
        assert route["from"] == "tcp+https://app.example.com:22"
        assert route["to"] == ["ssh://svc.default.svc.cluster.local:22"]

    def test_named_port_missing_on_service_fails_with_from_prefix(self) -> None:
        text = docs(
            ingress(
                annotations={f"{P}/tcp_upstream": "true"},
                rules=simple_rule(path=None, path_type="ImplementationSpecific", port="name: nope"),
            ),
            service(),
        )
        (chain,) = chains(text)
        assert chain.endswith(
            "from: get service default/svc port by name nope: could not find port nope on service default/svc"
        )


# ---------------------------------------------------------------- §5.2 path matching


class TestPathMatching:
    @pytest.mark.parametrize(
        ("path_type", "key"), [("Exact", "path"), ("Prefix", "prefix"), ("ImplementationSpecific", "prefix")]
    )
    def test_path_types_map_to_fields(self, path_type: str, key: str) -> None:
        (route,) = routes(docs(ingress(rules=simple_rule(path="/x", path_type=path_type)), service()))
        assert route[key] == "/x"
        assert {"path", "prefix", "regex"} & set(route) == {key}

    def test_path_regex_turns_implementation_specific_into_regex(self) -> None:
        text = docs(
            ingress(
                annotations={f"{P}/path_regex": "true"},
                rules=simple_rule(path="/(a|b)/.*", path_type="ImplementationSpecific"),
            ),
            service(),
        )
        (route,) = routes(text)
        assert route["regex"] == "/(a|b)/.*"

    def test_path_regex_does_not_affect_prefix_paths(self) -> None:
        text = docs(ingress(annotations={f"{P}/path_regex": "true"}, rules=simple_rule(path="/x")), service())
        assert routes(text)[0]["prefix"] == "/x"

    def test_empty_implementation_specific_path_sets_nothing(self) -> None:
        (route,) = routes(docs(ingress(rules=simple_rule(path=None, path_type="ImplementationSpecific")), service()))
        assert not {"path", "prefix", "regex"} & set(route)

    def test_missing_path_type(self) -> None:
        rules = simple_rule().replace("pathType: Prefix\n        ", "")
        assert chains(docs(ingress(rules=rules), service()))[0].endswith("path: pathType is required")

    @pytest.mark.parametrize("mode", ["ssh", "tcp", "udp"])
    def test_tunnel_modes_need_implementation_specific_and_no_path(self, mode: str) -> None:
        bad_type = chains(docs(ingress(annotations={f"{P}/{mode}_upstream": "true"}), service()))
        assert bad_type[0].endswith(f"{mode} services must have ImplementationSpecific path type")
        bad_path = chains(
            docs(
                ingress(
                    annotations={f"{P}/{mode}_upstream": "true"},
                    rules=simple_rule(path="/p", path_type="ImplementationSpecific"),
                ),
                service(),
            )
        )
        assert bad_path[0].endswith(f"{mode} services must not specify path, got /p")

    def test_ssh_is_checked_before_tcp(self) -> None:
        found = chains(docs(ingress(annotations={f"{P}/tcp_upstream": "true", f"{P}/ssh_upstream": "true"}), service()))
        assert found[0].endswith("ssh services must have ImplementationSpecific path type")

    def test_path_error_points_at_the_path_type_line(self) -> None:
        analysis = analyze(docs(ingress(annotations={f"{P}/tcp_upstream": "true"}), service()))
        finding = errors(analysis)[0]
        assert finding.field[-1] == "pathType"
        assert (
            finding.line is not None
            and "pathType"
            in (docs(ingress(annotations={f"{P}/tcp_upstream": "true"}), service()).splitlines()[finding.line - 1])
        )


# ---------------------------------------------------------------- §5.3 id, name, stat_name


@pytest.mark.parametrize(
    ("namespace", "name", "host", "path", "expected"),
    [
        ("test", "my-ingress", "a.localhost.pomerium.io", "/", "test-my-ingress-a-localhost-pomerium-io"),
        ("default", "my-app", "app.example.com", "/api/v1/", "default-my-app-app-example-com-api-v1"),
        ("default", "my-app", "*", "", "default-my-app"),
        ("prod", "web_site", "App.Example.COM", "/Users/_me_", "prod-web_site-app-example-com-users-_me"),
        (
            "default",
            "example",
            "example.localhost.pomerium.io",
            "^/(admin|superuser)/.*$",
            "default-example-example-localhost-pomerium-io-admin-superuser",
        ),
        ("default", "tcp-example", "tcp.localhost.pomerium.io", "", "default-tcp-example-tcp-localhost-pomerium-io"),
        ("ns", "a--b", "x.io", "/a&b", "ns-a-b-x-io-aandb"),
        ("ns", "n", "x.io", "/user@home/it's", "ns-n-x-io-userathome-its"),
        ("ns", "n", "x.io", "/__init__", "ns-n-x-io-init"),
        ("ns", "n", "x.io", "/v1.2/*", "ns-n-x-io-v1-2"),
    ],
)
def test_stat_name_table(namespace: str, name: str, host: str, path: str, expected: str) -> None:
    assert stat_name(namespace, name, host, path) == expected


def test_slug_transliterates_and_handles_dashes() -> None:
    assert slugify("  Straße – Café  ") == "strasse-cafe"
    assert slugify('"quoted"') == "quoted"


def test_route_id_is_compact_json_with_go_escaping() -> None:
    key = RouteKey("test", "my-ingress", "a.localhost.pomerium.io", "/")
    assert key.route_id() == '{"n":"my-ingress","ns":"test","h":"a.localhost.pomerium.io","p":"/"}'
    assert go_json_string("<a&b>\u2028é") == '"\\u003ca\\u0026b\\u003e\\u2028é"'


def test_name_annotation_overrides_name_but_not_stat_name() -> None:
    analysis = analyze(docs(ingress(annotations={f"{P}/name": "My Route"}), service()))
    (route,) = analysis.translation.routes
    assert route.fields["name"] == "My Route"
    assert route.stat_name == "default-web-app-example-com"


# ---------------------------------------------------------------- §5.4 upstream


class TestUpstream:
    def test_external_name_wins_over_endpoints_and_proxy(self) -> None:
        text = docs(
            ingress(annotations={f"{P}/service_proxy_upstream": "true"}),
            service(service_type="ExternalName", external_name="db.corp.example", ports=[("http", 80, 80)]),
            endpoints(),
        )
        assert routes(text)[0]["to"] == ["http://db.corp.example:80"]

    def test_service_proxy_uses_dns_name(self) -> None:
        text = docs(ingress(annotations={f"{P}/service_proxy_upstream": "true"}), service(), endpoints())
        assert routes(text)[0]["to"] == ["http://svc.default.svc.cluster.local:80"]

    def test_endpoints_by_number_match_the_target_port(self) -> None:
        text = docs(
            ingress(),
            service(ports=[("http", 80, 8080)]),
            endpoints(addresses=["10.0.0.9", "10.0.0.10"], ports=[("", 8080)], not_ready=["10.0.0.99"]),
        )
        assert routes(text)[0]["to"] == ["http://10.0.0.10:8080", "http://10.0.0.9:8080"]

    def test_endpoints_by_name_match_the_endpoint_port_name(self) -> None:
        text = docs(
            ingress(rules=simple_rule(port="name: web")),
            service(ports=[("web", 80, "http")]),
            endpoints(ports=[("web", 8081), ("metrics", 9090)]),
        )
        assert routes(text)[0]["to"] == ["http://10.0.0.1:8081"]

    def test_number_with_named_target_port_falls_back_to_dns(self) -> None:
        text = docs(ingress(), service(ports=[("http", 80, "web")]), endpoints())
        assert routes(text)[0]["to"] == ["http://svc.default.svc.cluster.local:80"]

    def test_secure_upstream_sets_tls_server_name_only_for_endpoint_hosts(self) -> None:
        text = docs(ingress(annotations={f"{P}/secure_upstream": "true"}), service(), endpoints())
        (route,) = routes(text)
        assert route["to"] == ["https://10.0.0.1:8080"]
        assert route["tls_server_name"] == "svc.default.svc.cluster.local"
        text = docs(ingress(annotations={f"{P}/secure_upstream": "true"}), service())
        assert "tls_server_name" not in routes(text)[0]

    def test_explicit_tls_server_name_is_kept(self) -> None:
        text = docs(
            ingress(annotations={f"{P}/secure_upstream": "true", f"{P}/tls_server_name": "x.internal"}),
            service(),
            endpoints(),
        )
        assert routes(text)[0]["tls_server_name"] == "x.internal"

    def test_endpoint_slices_stand_in_for_missing_endpoints(self) -> None:
        slice_doc = """\
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-abc
  namespace: default
  labels:
    kubernetes.io/service-name: svc
addressType: IPv4
endpoints:
  - addresses: [10.1.0.1]
    conditions: {ready: true}
  - addresses: [10.1.0.2]
    conditions: {ready: false}
ports:
  - name: http
    port: 8080
"""
        text = docs(ingress(), service(), slice_doc)
        assert routes(text)[0]["to"] == ["http://10.1.0.1:8080"]


# ---------------------------------------------------------------- §6 ordering and §7 merging


def test_routes_sort_by_from_then_path_regex_prefix_descending_then_id() -> None:
    rules = (
        simple_rule(host="b.example.com", path="/p", path_type="Prefix")
        + simple_rule(host="b.example.com", path="/e", path_type="Exact")
        + simple_rule(host="b.example.com", path="/p/longer", path_type="Prefix")
        + simple_rule(host="a.example.com", path="/", path_type="Prefix")
    )
    out = routes(docs(ingress(rules=rules), service()))
    assert [(r["from"], r.get("path") or r.get("prefix")) for r in out] == [
        ("https://a.example.com", "/"),
        ("https://b.example.com", "/e"),
        ("https://b.example.com", "/p/longer"),
        ("https://b.example.com", "/p"),
    ]


def test_same_route_in_two_ingresses_both_exist_smaller_id_first() -> None:
    text = docs(ingress(name="zeta"), ingress(name="alpha"), service())
    out = routes(text)
    assert [json.loads(r["id"])["n"] for r in out] == ["alpha", "zeta"]
    assert not errors(analyze(text))


def test_two_tcp_ports_on_one_host_in_one_ingress_are_duplicates() -> None:
    rules = simple_rule(path=None, path_type="ImplementationSpecific", port="number: 5432") + simple_rule(
        path=None, path_type="ImplementationSpecific", port="number: 5433"
    )
    found = chains(docs(ingress(annotations={f"{P}/tcp_upstream": "true"}, rules=rules), service()))
    assert found == ["indexing new routes: duplicate route {Name:web Namespace:default Host:app.example.com Path:}"]


def test_a_failing_ingress_does_not_affect_others() -> None:
    text = docs(ingress(name="bad", annotations={f"{P}/policy": "allow: {maybe: []}"}), ingress(name="good"), service())
    analysis = analyze(text)
    assert [r.ingress.name for r in analysis.translation.routes] == ["good"]
    assert [o.ingress.name for o in analysis.translation.failed] == ["bad"]


# ---------------------------------------------------------------- §9 certificates and core validation


def test_unparseable_tls_certificate_fails_the_update() -> None:
    text = docs(
        ingress(extra_spec="tls:\n  - hosts: [app.example.com]\n    secretName: app-tls"),
        service(),
        secret("app-tls", {"tls.crt": "not a pem", "tls.key": "x"}, secret_type="kubernetes.io/tls"),
    )
    assert chains(text) == ["removing unused certs: failed to decode cert block"]


def test_public_and_any_authenticated_is_rejected_by_core() -> None:
    text = docs(
        ingress(
            annotations={
                f"{P}/allow_public_unauthenticated_access": "true",
                f"{P}/allow_any_authenticated_user": "true",
            }
        ),
        service(),
    )
    assert chains(text) == ["config validation: config: policy route marked as public but contains whitelists"]


def test_public_plus_allowed_users_is_accepted_in_the_ingress_path() -> None:
    text = docs(
        ingress(
            annotations={f"{P}/allow_public_unauthenticated_access": "true", f"{P}/allowed_users": '["a@example.com"]'}
        ),
        service(),
    )
    assert not errors(analyze(text))


def test_prefix_rewrite_and_regex_rewrite_are_exclusive() -> None:
    text = docs(ingress(annotations={f"{P}/prefix_rewrite": "/", f"{P}/regex_rewrite_pattern": "^/a"}), service())
    assert chains(text) == [
        "config validation: config: only prefix_rewrite or regex_rewrite_pattern can be specified, but not both"
    ]


def test_depends_on_is_limited_to_five() -> None:
    hosts = json.dumps([f"h{i}.example.com" for i in range(6)])
    text = docs(ingress(annotations={f"{P}/depends_on": hosts}), service())
    assert chains(text)[0].startswith("config validation: config: depends_on is limited to 5")


@pytest.mark.parametrize(
    ("annotation", "value"),
    [("regex_rewrite_pattern", "^/(?P<x>a)(?=b)"), ("host_path_regex_rewrite_pattern", "(a)\\1")],
)
def test_rewrite_patterns_must_be_re2(annotation: str, value: str) -> None:
    text = docs(ingress(annotations={f"{P}/{annotation}": value}), service())
    analysis = analyze(text)
    assert rules_of(analysis, Severity.ERROR) == ["regex/re2"]


def test_regex_path_with_lookahead_is_rejected_and_re2_only_syntax_is_accepted() -> None:
    bad = docs(
        ingress(
            annotations={f"{P}/path_regex": "true"},
            rules=simple_rule(path="/(?!internal).*", path_type="ImplementationSpecific"),
        ),
        service(),
    )
    finding = errors(analyze(bad))[0]
    assert finding.rule == "regex/re2"
    assert "RE2" in finding.message and finding.field[-1] == "path"
    good = docs(
        ingress(
            annotations={f"{P}/path_regex": "true"},
            rules=simple_rule(path=r"/\pL+/(?i:abc)", path_type="ImplementationSpecific"),
        ),
        service(),
    )
    assert not errors(analyze(good))


# ---------------------------------------------------------------- class selection (controller.md §2)


class TestClassSelection:
    def test_other_classes_are_ignored_entirely(self) -> None:
        text = docs(ingress(class_name="nginx", annotations={f"{P}/bogus": "x"}), service())
        analysis = analyze(text)
        assert analysis.translation.routes == [] and not errors(analysis)

    def test_legacy_annotation_selects_the_class(self) -> None:
        text = docs(ingress(class_name=None, annotations={"kubernetes.io/ingress.class": "pomerium"}), service())
        assert len(routes(text)) == 1

    def test_ingress_class_name_wins_over_legacy_annotation(self) -> None:
        text = docs(ingress(class_name="nginx", annotations={"kubernetes.io/ingress.class": "pomerium"}), service())
        assert routes(text) == []

    def test_classless_ingress_needs_a_default_class(self) -> None:
        text = docs(ingress(class_name=None), service())
        assert routes(text) == []
        default_class = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: pom
  annotations:
    ingressclass.kubernetes.io/is-default-class: "t"
spec:
  controller: pomerium.io/ingress-controller
"""
        assert len(routes(docs(default_class, ingress(class_name=None), service()))) == 1

    def test_input_ingress_class_with_other_controller_overrides_the_assumption(self) -> None:
        other = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: pomerium
spec:
  controller: example.com/other
"""
        assert routes(docs(other, ingress(), service())) == []

    def test_controller_name_and_class_options(self) -> None:
        text = docs(ingress(class_name="internal"), service())
        assert routes(text) == []
        assert len(routes(text, assumed_ingress_class="internal")) == 1

    def test_namespace_filter(self) -> None:
        text = docs(ingress(), service())
        assert routes(text, namespaces=frozenset({"other"})) == []


def test_a_backend_service_name_with_a_bracket_is_an_error_not_a_traceback() -> None:
    from tests.helpers import analyze, errors, ingress, simple_rule

    analysis = analyze(ingress(rules=simple_rule(service='"g ]one"')))
    assert errors(analysis)
    assert not analysis.translation.routes
