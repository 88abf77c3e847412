"""What the Kubernetes API server rejects: the format validators, object validation and the k8s/ rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pomgate.kube.apivalidation as apivalidation
import pomgate.kube.inventory as inventory
from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.kube.apivalidation import (
    DNS1035_LABEL_ERROR,
    DNS1123_LABEL_ERROR,
    DNS1123_SUBDOMAIN_ERROR,
    LABEL_VALUE_ERROR,
    WILDCARD_SUBDOMAIN_ERROR,
    base64_problem,
    config_key,
    dns1035_label,
    dns1123_label,
    dns1123_subdomain,
    domain_prefixed_path,
    drop_shadowed,
    iana_service_name,
    is_ip_address,
    label_value,
    path_segment_name,
    port_number,
    qualified_name,
    validate_object,
    wildcard_dns1123_subdomain,
    yaml_scalar,
)
from pomgate.pipeline import Analysis
from pomgate.rules import all_rules
from pomgate.scanning.manifest import LineDict, ManifestObject, Origin
from pomgate.scanning.scan import scan_text
from tests.helpers import analyze, b64, docs, ingress, secret, service, simple_rule

P = "ingress.pomerium.io"


def objects_of(text: str) -> list[ManifestObject]:
    objects, _ = scan_text(text, "t.yaml", "default")
    return objects


def found(analysis: Analysis, rule: str) -> list[Finding]:
    return [f for f in analysis.findings if f.rule == rule]


def line_with(text: str, needle: str, start: int = 0) -> int:
    """1-based number of the first line (after line ``start``) that contains ``needle``."""
    for number, line in enumerate(text.splitlines(), 1):
        if number > start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


# ---------------------------------------------------------------- §1 formats


class TestFormats:
    def test_dns1123_label_texts(self) -> None:
        assert dns1123_label("my-name") == []
        assert dns1123_label("a.b") == ["must not contain dots"]
        assert dns1123_label("My_Name") == [DNS1123_LABEL_ERROR]
        assert "(e.g. 'my-name',  or '123-abc', regex used for validation is " in DNS1123_LABEL_ERROR
        assert DNS1123_LABEL_ERROR.startswith("a lowercase RFC 1123 label must consist of lower case alphanumeric")
        assert dns1123_label("a" * 64) == ["must be no more than 63 characters"]

    def test_dns1123_subdomain(self) -> None:
        assert dns1123_subdomain("example.com") == []
        assert dns1123_subdomain("10.0.0.1") == []  # the IP rule is separate
        assert dns1123_subdomain(("a" * 70 + ".") * 3 + "com") == []  # no per-label limit
        for bad in ("Foo.com", "a_b.com", "example.com.", "example.com:443", "https://x.com", "bücher.de", ""):
            assert dns1123_subdomain(bad) == [DNS1123_SUBDOMAIN_ERROR], bad
        assert dns1123_subdomain("a" * 254) == ["must be no more than 253 characters"]
        assert dns1123_subdomain("example.com\n") == [DNS1123_SUBDOMAIN_ERROR]  # fullmatch, not $
        assert DNS1123_SUBDOMAIN_ERROR == (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )

    def test_dns1035_label(self) -> None:
        assert dns1035_label("api") == []
        assert dns1035_label("api-1") == []
        for bad in ("1api", "my_svc", "web.app", "Api", "api-"):
            assert dns1035_label(bad) == [DNS1035_LABEL_ERROR], bad
        assert "(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')" in (
            DNS1035_LABEL_ERROR
        )

    def test_wildcard_subdomain(self) -> None:
        assert wildcard_dns1123_subdomain("*.com") == []
        assert wildcard_dns1123_subdomain("*.example.com") == []
        for bad in ("*", "*.*.a.com", "a.*.com", "*a.com", "*.Example.com"):
            assert wildcard_dns1123_subdomain(bad) == [WILDCARD_SUBDOMAIN_ERROR], bad
        assert WILDCARD_SUBDOMAIN_ERROR.endswith(
            r"(e.g. '*.example.com', regex used for validation is "
            r"'\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )

    def test_ip_addresses(self) -> None:
        for ip in ("10.0.0.1", "010.0.0.1", "::1", "2001:db8::1", "::ffff:1.2.3.4"):
            assert is_ip_address(ip), ip
        for name in ("10.0.0", "256.0.0.1", "example.com", "1.2.3.4.5", "fe80::1%eth0"):
            assert not is_ip_address(name), name

    def test_qualified_names(self) -> None:
        assert qualified_name("app.kubernetes.io/name") == []
        assert qualified_name("Ingress.Pomerium.io/Policy".lower()) == []
        assert qualified_name("ingress.pomerium.io/allowed_users") == []
        assert qualified_name("MyName") == []
        (prefix,) = qualified_name("Example.com/name")  # label keys are case-sensitive
        assert prefix.startswith("prefix part a lowercase RFC 1123 subdomain")
        assert qualified_name("/name") == ["prefix part must be non-empty"]
        empty = qualified_name("example.com/")
        assert empty[0] == "name part must be non-empty" and empty[1].startswith("name part must consist of")
        (many,) = qualified_name("a/b/c")
        assert many.startswith("a qualified name must consist of alphanumeric characters, '-', '_' or '.'")
        assert many.endswith("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")
        assert qualified_name("x" * 64) == ["name part must be no more than 63 characters"]
        for bad in ("has space", "a:b", "trailing.", "-lead"):
            assert qualified_name(bad) and qualified_name(bad)[0].startswith("name part must consist"), bad

    def test_label_values(self) -> None:
        assert label_value("") == []
        assert label_value("my_value") == []
        assert label_value("my value") == [LABEL_VALUE_ERROR]
        assert label_value("v" * 64) == ["must be no more than 63 characters"]
        assert "'MyValue',  or 'my_value',  or '12345'" in LABEL_VALUE_ERROR

    def test_iana_service_names(self) -> None:
        assert iana_service_name("http") == []
        assert iana_service_name("h2c-8080") == []
        assert iana_service_name("HTTP") == [
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "must contain at least one letter (a-z)",
        ]
        assert iana_service_name("http_api") == [
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
        ]
        assert iana_service_name("8080") == ["must contain at least one letter (a-z)"]
        assert iana_service_name("a--b") == ["must not contain consecutive hyphens"]
        assert iana_service_name("-a") == ["must not begin or end with a hyphen"]
        assert iana_service_name("very-long-port-name") == ["must be no more than 15 characters"]

    def test_port_numbers(self) -> None:
        assert port_number(1) == port_number(65535) == []
        assert port_number(0) == port_number(65536) == port_number(-1) == ["must be between 1 and 65535, inclusive"]

    def test_config_keys(self) -> None:
        assert config_key("tls.crt") == config_key("KEY_NAME") == config_key(".dockerconfigjson") == []
        assert config_key("tls crt")[0].startswith("a valid config key must consist of alphanumeric characters")
        assert config_key(".") == ["must not be '.'"]
        assert config_key("..") == ["must not be '..'"]
        assert config_key("..data") == ["must not start with '..'"]
        assert config_key("k" * 254) == ["must be no more than 253 characters"]

    def test_path_segments(self) -> None:
        assert path_segment_name("StorageBucket") == []
        assert path_segment_name("..") == ["may not be '..'"]
        assert path_segment_name("a/%") == ["may not contain '/'", "may not contain '%'"]

    def test_domain_prefixed_paths(self) -> None:
        assert domain_prefixed_path("pomerium.io/ingress-controller") == []
        shape = 'must be a domain-prefixed path (such as "acme.io/foo")'
        for bad in ("pomerium", "/x", "pomerium.io/"):
            assert domain_prefixed_path(bad) == [(bad, shape)], bad
        assert domain_prefixed_path("Pomerium.io/x") == [("Pomerium.io", DNS1123_SUBDOMAIN_ERROR)]
        assert domain_prefixed_path("pomerium.io/a b") == [
            ("a b", r"Invalid path (regex used for validation is '[A-Za-z0-9/\-._~%!$&'()*+,;=:]+')")
        ]

    def test_base64(self) -> None:
        assert base64_problem(b64("abc")) == (3, -1)
        assert base64_problem(b64("abcd")) == (4, -1)
        assert base64_problem("YWJj\nZA==\n") == (4, -1)
        assert base64_problem("") == (0, -1)
        assert base64_problem("YW!j") == (0, 2)
        assert base64_problem("YWJjZA") == (0, 4)
        assert base64_problem("YWJjZA==YWJj") == (0, 8)

    def test_yaml_scalar_quotes_only_when_needed(self) -> None:
        assert yaml_scalar("/(admin|superuser)/.*") == "/(admin|superuser)/.*"
        assert yaml_scalar("app.example.com") == "app.example.com"
        assert yaml_scalar("*.example.com") == '"*.example.com"'
        assert yaml_scalar("true") == '"true"'
        assert yaml_scalar("80") == '"80"'
        assert yaml_scalar("a: b") == '"a: b"'


# ---------------------------------------------------------------- §3 metadata


def _annotated(size: int) -> str:
    """An Ingress whose annotations total exactly ``size`` bytes (keys plus values)."""
    key = f"{P}/policy"
    value = "x" * (size - len(key))
    return ingress(annotations={key: value})


class TestMetadata:
    def test_annotations_up_to_256_kib_are_fine_one_byte_more_is_not(self) -> None:
        limit = 256 * 1024
        assert not [e for e in validate_object(objects_of(_annotated(limit))[0]) if "Too long" in e.message]
        (error,) = [e for e in validate_object(objects_of(_annotated(limit + 1))[0]) if "Too long" in e.message]
        assert error.rule == "k8s/annotations-too-large"
        assert error.message == "metadata.annotations: Too long: may not be more than 262144 bytes"
        assert error.field == ("metadata", "annotations")

    def test_annotation_keys_are_checked_lower_cased(self) -> None:
        text = ingress(
            annotations={"Ingress.Pomerium.io/Policy": "", f"{P}/allowed_users": "[]", "bad key": "x", "a/b/c": "y"}
        )
        analysis = analyze(text)
        errors = found(analysis, "k8s/annotation-key")
        assert sorted(e.message.split('"')[1] for e in errors) == ["a/b/c", "bad key"]
        bad = next(e for e in errors if '"bad key"' in e.message)
        assert bad.message.startswith('metadata.annotations: Invalid value: "bad key": name part must consist of')
        assert bad.line == line_with(text, "bad key:")
        assert analysis.translation.routes == []

    def test_labels_are_case_sensitive_and_values_checked(self) -> None:
        text = ingress(labels={"Example.com/tier": "web", "app": "my app"})
        errors = found(analyze(text), "k8s/label")
        assert [e.message.split(": ", 2)[2].split(":")[0] for e in errors] == ['"Example.com/tier"', '"my app"']
        assert all(e.message.startswith("metadata.labels: ") for e in errors)
        assert [e.line for e in errors] == [line_with(text, "Example.com/tier"), line_with(text, "my app")]

    def test_object_and_namespace_names(self) -> None:
        text = docs(ingress(name="Web_App", namespace="team.web"), service(namespace="team.web"))
        analysis = analyze(text)
        (name,) = found(analysis, "k8s/object-name")
        assert name.message.startswith('metadata.name: Invalid value: "Web_App": a lowercase RFC 1123 subdomain')
        assert name.hint == "name: web-app"
        assert name.line == line_with(text, "name: Web_App")
        namespaces = found(analysis, "k8s/namespace-name")
        assert {f.obj.kind for f in namespaces if f.obj} == {"Ingress", "Service"}
        assert all(
            f.message == 'metadata.namespace: Invalid value: "team.web": must not contain dots' for f in namespaces
        )

    def test_service_names_are_dns1035_labels(self) -> None:
        text = docs(ingress(rules=simple_rule(service="1api")), service(name="1api"))
        analysis = analyze(text)
        (name,) = found(analysis, "k8s/object-name")
        assert name.obj == ObjectRef("Service", "default", "1api")
        assert name.message == f'metadata.name: Invalid value: "1api": {DNS1035_LABEL_ERROR}'
        (backend,) = found(analysis, "k8s/ingress-backend")
        assert backend.message.startswith('spec.rules[0].http.paths[0].backend.service.name: Invalid value: "1api"')
        assert backend.line == line_with(text, "name: 1api")
        assert analysis.inventory.services[("default", "1api")].rejected


# ---------------------------------------------------------------- §4 Ingress


class TestIngress:
    def test_uppercase_host_is_rejected_on_its_line_with_a_lowercase_hint_and_no_routes(self) -> None:
        text = docs(ingress(rules=simple_rule(host="Foo.example.com")), service())
        analysis = analyze(text)
        (error,) = found(analysis, "k8s/ingress-host")
        assert error.severity is Severity.ERROR
        assert error.message == f'spec.rules[0].host: Invalid value: "Foo.example.com": {DNS1123_SUBDOMAIN_ERROR}'
        assert error.line == line_with(text, "host: Foo.example.com")
        assert error.hint == "host: foo.example.com"
        assert analysis.translation.routes == []
        assert analysis.inventory.ingresses[0].rejected
        (outcome,) = analysis.translation.outcomes
        assert outcome.failed

    def test_ip_host_is_rejected_but_an_ip_tls_host_is_not(self) -> None:
        tls = "tls:\n  - hosts: [10.0.0.1]\n"
        analysis = analyze(docs(ingress(rules=simple_rule(host="10.0.0.1"), extra_spec=tls), service()))
        (error,) = found(analysis, "k8s/ingress-host")
        assert error.message == 'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address'
        assert not found(analysis, "k8s/ingress-tls")

    def test_wildcard_hosts(self) -> None:
        assert not found(
            analyze(docs(ingress(rules=simple_rule(host="'*.example.com'")), service())), "k8s/ingress-host"
        )
        (error,) = found(
            analyze(docs(ingress(rules=simple_rule(host="'a.*.example.com'")), service())), "k8s/ingress-host"
        )
        assert error.message == f'spec.rules[0].host: Invalid value: "a.*.example.com": {WILDCARD_SUBDOMAIN_ERROR}'

    def test_seed_regex_path_gets_the_unanchored_hint(self) -> None:
        rule = simple_rule(path="^/(admin|superuser)/.*$", path_type="ImplementationSpecific")
        text = docs(ingress(annotations={f"{P}/path_regex": "true"}, rules=rule), service())
        analysis = analyze(text)
        (error,) = found(analysis, "k8s/ingress-path")
        assert error.message.startswith(
            'spec.rules[0].http.paths[0].path: Invalid value: "^/(admin|superuser)/.*$": must be an absolute path'
        )
        assert 'start with "/"' in error.message and "Pomerium anchors" in error.message
        assert error.hint == "path: /(admin|superuser)/.*"
        assert error.line == line_with(text, "path:")
        assert analysis.translation.routes == []
        fixed = docs(
            ingress(
                annotations={f"{P}/path_regex": "true"},
                rules=simple_rule(path="/(admin|superuser)/.*", path_type="ImplementationSpecific"),
            ),
            service(),
        )
        fixed_analysis = analyze(fixed)
        assert not [f for f in fixed_analysis.findings if f.rule.startswith("k8s/")]
        assert fixed_analysis.translation.routes

    def test_implementation_specific_allows_empty_and_regex_characters(self) -> None:
        for path in ("", "/(.*)", "/a//b/../c"):
            rule = simple_rule(path=path, path_type="ImplementationSpecific")
            assert not found(analyze(docs(ingress(rules=rule), service())), "k8s/ingress-path"), path

    def test_exact_and_prefix_paths(self) -> None:
        cases = {
            "api": (["must be an absolute path"], "path: /api"),
            "/a//b": (["must not contain '//'"], "path: /a/b"),
            "/a/..": (["cannot end with '/..'"], None),
            "/a%2Fb": (["must not contain '%2F'"], None),
            "/a/.": (["cannot end with '/.'"], "path: /a"),
        }
        for path, (details, hint) in cases.items():
            analysis = analyze(docs(ingress(rules=simple_rule(path=path, path_type="Exact")), service()))
            errors = found(analysis, "k8s/ingress-path")
            assert [e.message.rsplit(": ", 1)[1] for e in errors] == details, path
            assert {e.hint for e in errors} == {hint}, path

    def test_missing_path_type_is_reported_once(self) -> None:
        rules = simple_rule().replace("pathType: Prefix\n        ", "")
        text = docs(ingress(rules=rules), service())
        analysis = analyze(text)
        (error,) = found(analysis, "k8s/ingress-path")
        assert error.message == "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
        assert error.hint == "pathType: Prefix"
        assert error.line == line_with(text, '- path: "/"')
        kept = drop_shadowed(analysis.findings)
        assert error in kept
        assert not [f for f in kept if f.rule == "routing/path-type"]

    def test_unsupported_path_type_offers_the_right_case(self) -> None:
        analysis = analyze(docs(ingress(rules=simple_rule(path_type="prefix")), service()))
        (error,) = found(analysis, "k8s/ingress-path")
        assert error.message == (
            'spec.rules[0].http.paths[0].pathType: Unsupported value: "prefix": supported values: '
            '"Exact", "ImplementationSpecific", "Prefix"'
        )
        assert error.hint == "pathType: Prefix"
        assert not [f for f in drop_shadowed(analysis.findings) if f.rule == "routing/path-type"]

    def test_http_without_paths(self) -> None:
        rules = "- host: a.example.com\n  http:\n    paths: []\n"
        (error,) = found(analyze(docs(ingress(rules=rules), service())), "k8s/ingress-path")
        assert error.message == "spec.rules[0].http.paths: Required value"

    def test_v1beta1_backend_fields_are_unknown_with_the_v1_spelling(self) -> None:
        rules = """\
- host: a.example.com
  http:
    paths:
      - path: /
        pathType: Prefix
        backend:
          serviceName: svc
          servicePort: 80
"""
        text = docs(ingress(rules=rules), service())
        analysis = analyze(text)
        unknown = found(analysis, "k8s/unknown-field")
        assert [f.message for f in unknown] == [
            'Ingress in version "v1" cannot be handled as a Ingress: strict decoding error: unknown field '
            f'"spec.rules[0].http.paths[0].backend.{name}"'
            for name in ("serviceName", "servicePort")
        ]
        assert [f.line for f in unknown] == [line_with(text, "serviceName"), line_with(text, "servicePort")]
        assert all(f.hint and "service: {name: svc, port: {number: 80}}" in f.hint for f in unknown)
        (backend,) = found(analysis, "k8s/ingress-backend")
        assert backend.message == (
            'spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required'
        )
        assert analysis.translation.routes == []
        assert not [f for f in drop_shadowed(analysis.findings) if f.rule == "routing/backend-not-service"]

    def test_spec_backend_and_wrong_case_fields(self) -> None:
        extra = "backend:\n  service: {name: svc, port: {number: 80}}"
        rules = simple_rule().replace("pathType:", "pathtype:")
        analysis = analyze(docs(ingress(rules=rules, extra_spec=extra), service()))
        unknown = {f.message.rsplit("unknown field ", 1)[1]: f.hint for f in found(analysis, "k8s/unknown-field")}
        assert unknown == {
            '"spec.backend"': "networking.k8s.io/v1 spelling: defaultBackend (with service.name and service.port)",
            '"spec.rules[0].http.paths[0].pathtype"': "field names are case-sensitive: pathType",
        }
        assert [f.message for f in found(analysis, "k8s/ingress-path")] == [
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
        ]

    def test_backend_ports(self) -> None:
        cases = {
            "name: HTTP": ("spec.rules[0].http.paths[0].backend.service.port.name", "name: http"),
            "number: 70000": ("spec.rules[0].http.paths[0].backend.service.port.number", None),
            "{}": ("spec.rules[0].http.paths[0].backend", None),
        }
        for port, (where, hint) in cases.items():
            text = docs(ingress(rules=simple_rule(port=port)), service())
            errors = found(analyze(text), "k8s/ingress-backend")
            assert errors and all(e.message.startswith(where + ": ") for e in errors), port
            if hint:
                assert errors[0].hint == hint
        (both,) = found(
            analyze(docs(ingress(rules=simple_rule(port="{name: http, number: 80}")), service())),
            ("k8s/ingress-backend"),
        )
        assert both.message.endswith('backend: Invalid value: "": cannot set both port name & port number')
        (required,) = found(analyze(docs(ingress(rules=simple_rule(port="{}")), service())), "k8s/ingress-backend")
        assert required.message.endswith("backend: Required value: port name or number is required")
        (seventy,) = found(
            analyze(docs(ingress(rules=simple_rule(port="number: 70000")), service())), ("k8s/ingress-backend")
        )
        assert seventy.message.endswith("port.number: Invalid value: 70000: must be between 1 and 65535, inclusive")

    def test_resource_backend_and_both(self) -> None:
        extra = "defaultBackend:\n  resource: {apiGroup: Example.com, kind: Bucket, name: a/b}"
        analysis = analyze(docs(ingress(extra_spec=extra), service()))
        messages = [f.message.split(": Invalid value")[0] for f in found(analysis, "k8s/ingress-backend")]
        assert messages == ["spec.defaultBackend.resource.apiGroup", "spec.defaultBackend.resource.name"]
        both = "defaultBackend:\n  resource: {kind: Bucket, name: b}\n  service: {name: svc, port: {number: 80}}"
        (error,) = found(analyze(docs(ingress(extra_spec=both), service())), "k8s/ingress-backend")
        assert error.message == 'spec.defaultBackend: Invalid value: "": cannot set both resource and service backends'

    def test_tls_secret_name_and_hosts(self) -> None:
        tls = "tls:\n  - hosts: [App.example.com, '*.example.com']\n    secretName: default/web-tls\n"
        text = docs(ingress(extra_spec=tls), service())
        analysis = analyze(text)
        errors = found(analysis, "k8s/ingress-tls")
        assert [e.message.split(": Invalid value")[0] for e in errors] == [
            "spec.tls[0].hosts[0]",
            "spec.tls[0].secretName",
        ]
        assert errors[0].hint == "- app.example.com"
        assert errors[1].hint and errors[1].hint.startswith("secretName: web-tls")
        assert errors[1].line == line_with(text, "secretName:")

    def test_class_annotation_and_field(self) -> None:
        differ = analyze(docs(ingress(annotations={"kubernetes.io/ingress.class": "nginx"}), service()))
        (error,) = found(differ, "k8s/ingress-class-conflict")
        assert error.severity is Severity.ERROR
        assert error.message == (
            'annotations.kubernetes.io/ingress.class: Invalid value: "nginx": must match `ingressClassName` '
            "when both are specified"
        )
        assert differ.translation.routes == []
        same = analyze(docs(ingress(annotations={"kubernetes.io/ingress.class": "pomerium"}), service()))
        (warning,) = found(same, "k8s/ingress-class-conflict")
        assert warning.severity is Severity.WARNING
        assert same.translation.routes  # accepted by 1.27+: still rendered

    def test_ingress_class_name_format(self) -> None:
        analysis = analyze(docs(ingress(class_name="Pomerium"), service()))
        (error,) = found(analysis, "k8s/ingress-class-name")
        assert error.message.startswith('spec.ingressClassName: Invalid value: "Pomerium": a lowercase RFC 1123')
        assert error.hint == "ingressClassName: pomerium"

    def test_no_rules_and_no_default_backend(self) -> None:
        analysis = analyze("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec: {rules: []}\n")
        (error,) = found(analysis, "k8s/ingress-spec")
        assert error.message == "spec: Invalid value: either `defaultBackend` or `rules` must be specified"
        assert error.line == 4

    def test_a_valid_ingress_has_no_k8s_findings(self) -> None:
        tls = "tls:\n  - hosts: ['*.example.com']\n    secretName: web-tls\n"
        analysis = analyze(docs(ingress(extra_spec=tls, rules=simple_rule(port="name: http")), service()))
        assert not [f for f in analysis.findings if f.rule.startswith("k8s/")]
        assert analysis.translation.routes


# ---------------------------------------------------------------- §6-§8 IngressClass, Service, Secret


class TestOtherKinds:
    def test_ingress_class_controller_and_parameters(self) -> None:
        text = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: pomerium}
spec:
  controller: pomerium
  parameters: {kind: Pomerium, name: global, scope: cluster}
"""
        errors = found(analyze(text), "k8s/ingressclass-spec")
        assert [e.message for e in errors] == [
            'spec.controller: Invalid value: "pomerium": must be a domain-prefixed path (such as "acme.io/foo")',
            'spec.parameters.scope: Unsupported value: "cluster": supported values: "Cluster", "Namespace"',
        ]
        assert errors[0].hint == "controller: pomerium.io/ingress-controller"
        assert errors[0].line == 5
        forbidden = text.replace("controller: pomerium\n", "controller: pomerium.io/ingress-controller\n").replace(
            "scope: cluster", "namespace: x"
        )
        (error,) = found(analyze(forbidden), "k8s/ingressclass-spec")
        assert error.message == "spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"

    def test_removed_ingress_class_version(self) -> None:
        text = (
            "apiVersion: networking.k8s.io/v1beta1\nkind: IngressClass\nmetadata: {name: p}\nspec: {controller: a/b}\n"
        )
        analysis = analyze(text)
        assert [f.rule for f in analysis.findings] == ["k8s/removed-api-version"]
        assert not analysis.inventory.ingress_classes

    def test_service_ports(self) -> None:
        text = service(ports=[("http_api", 80, "http_api"), ("", 80, 0)])
        text = text.replace("targetPort: 0", "targetPort: 0\n      protocol: tcp")
        analysis = analyze(text)
        messages = [f.message for f in found(analysis, "k8s/service-spec")]
        assert messages[0] == f'spec.ports[0].name: Invalid value: "http_api": {DNS1123_LABEL_ERROR}'
        assert messages[1] == (
            'spec.ports[0].targetPort: Invalid value: "http_api": must contain only alpha-numeric characters '
            "(a-z, 0-9), and hyphens (-)"
        )
        assert "spec.ports[1].name: Required value" in messages
        assert 'spec.ports[1].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"' in messages
        assert found(analysis, "k8s/service-spec")[0].hint == "name: http-api"
        assert analysis.inventory.services[("default", "svc")].rejected

    def test_service_duplicates_and_missing_ports(self) -> None:
        duplicated = analyze(service(ports=[("http", 80, 8080), ("http", 80, 8081)]))
        messages = [f.message for f in found(duplicated, "k8s/service-spec")]
        assert sorted(messages) == [
            'spec.ports[1].name: Duplicate value: "http"',
            "spec.ports[1]: Duplicate value: 80/TCP (port and protocol already used by spec.ports[0])",
        ]
        no_ports = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {selector: {app: a}}\n"
        assert [f.message for f in found(analyze(no_ports), "k8s/service-spec")] == ["spec.ports: Required value"]
        headless = no_ports.replace("spec: {", "spec: {clusterIP: None, ")
        assert not found(analyze(headless), "k8s/service-spec")
        external = service(service_type="ExternalName", external_name="Db.Example.com", ports=[])
        (error,) = found(analyze(external), "k8s/service-spec")
        assert error.message.startswith('spec.externalName: Invalid value: "Db.Example.com"')

    def test_tls_secret_needs_both_keys(self) -> None:
        text = secret("web-tls", {"tls.crt": "x"}, secret_type="kubernetes.io/tls")
        analysis = analyze(text)
        (error,) = found(analysis, "k8s/secret-type")
        assert error.message == "data[tls.key]: Required value"
        assert error.line == line_with(text, "type:")
        assert analysis.inventory.secrets[("default", "web-tls")].rejected

    def test_secret_keys_base64_and_size(self) -> None:
        text = (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  ok: YWJj\n  bad: YW!j\nstringData:\n  a b: x\n"
        )
        errors = found(analyze(text), "k8s/secret-data")
        assert [e.message for e in errors] == [
            'Secret in version "v1" cannot be handled as a Secret: illegal base64 data (in data[bad]; '
            "the byte offset is withheld: it would point into the value)",
            'data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '
            "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
            "'[-._a-zA-Z0-9]+')",
        ]
        assert [e.line for e in errors] == [6, 8]
        big = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  a: " + "x" * (1024 * 1024 + 1) + "\n"
        assert [f.message for f in found(analyze(big), "k8s/secret-data")] == [
            "data: Too long: may not be more than 1048576 bytes"
        ]


# ---------------------------------------------------------------- robustness, shadowing, catalog

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=8), st.floats(0, 2))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["name", "port", "number", "service", "paths", "path", "pathType", "host", "http", "x"]),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
_SLOTS = [
    ("spec",),
    ("spec", "rules"),
    ("spec", "tls"),
    ("spec", "defaultBackend"),
    ("spec", "ingressClassName"),
    ("metadata", "annotations"),
    ("metadata", "labels"),
    ("spec", "ports"),
    ("spec", "controller"),
    ("spec", "parameters"),
    ("data",),
    ("stringData",),
    ("type",),
]


def _object(kind: str, api_version: str, slot: tuple[str, ...], value: Any) -> ManifestObject:
    raw: dict[str, Any] = LineDict({"apiVersion": api_version, "kind": kind, "metadata": LineDict({"name": "x"})})
    node = raw
    for part in slot[:-1]:
        node = node.setdefault(part, LineDict())
    node[slot[-1]] = value
    return ManifestObject(api_version, kind, "x", "default", raw, Origin("t.yaml", 0, 1))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(
        [
            ("Ingress", "networking.k8s.io/v1"),
            ("IngressClass", "networking.k8s.io/v1"),
            ("Service", "v1"),
            ("Secret", "v1"),
        ]
    ),
    slot=st.sampled_from(_SLOTS),
    value=_values,
)
def test_validate_object_never_raises(kind: tuple[str, str], slot: tuple[str, ...], value: Any) -> None:
    obj = _object(kind[0], kind[1], slot, value)
    for error in validate_object(obj):
        assert error.rule.startswith("k8s/") and error.message
        obj.line_of(error.field)
    inventory.build_inventory([obj])


def test_drop_shadowed_keeps_other_objects_and_sections() -> None:
    web = ObjectRef("Ingress", "default", "web")
    other = ObjectRef("Ingress", "default", "other")
    fld = ("spec", "rules", 0, "http", "paths", 0, "pathType")
    k8s = Finding("k8s/ingress-path", Severity.ERROR, "m", obj=web, field=fld)
    same = Finding("routing/path-type", Severity.ERROR, "m", obj=web, field=fld)
    under = Finding("x/y", Severity.ERROR, "m", obj=web, field=(*fld, "deeper"))
    sibling = Finding("x/y", Severity.ERROR, "m", obj=web, field=("spec", "rules", 0, "host"))
    elsewhere = Finding("routing/path-type", Severity.ERROR, "m", obj=other, field=fld)
    size = Finding("k8s/annotations-too-large", Severity.ERROR, "m", obj=web, field=("metadata", "annotations"))
    annotation = Finding("annotation/value", Severity.ERROR, "m", obj=web, field=("metadata", "annotations", "a"))
    warning = Finding("k8s/ingress-class-conflict", Severity.WARNING, "m", obj=web, field=("metadata", "annotations"))
    regex = Finding("regex/re2", Severity.ERROR, "m", obj=web, field=fld)  # not what Kubernetes checks
    kept = drop_shadowed([k8s, same, under, sibling, elsewhere, size, annotation, warning, regex])
    assert kept == [k8s, sibling, elsewhere, size, annotation, warning, regex]


def _emitted_k8s_ids() -> set[str]:
    ids: set[str] = set()
    for module in (apivalidation, inventory):
        assert module.__file__
        ids.update(re.findall(r"""["'](k8s/[a-z0-9-]+)["']""", Path(module.__file__).read_text(encoding="utf-8")))
    return ids


def test_the_catalog_documents_every_k8s_id() -> None:
    emitted = _emitted_k8s_ids()
    assert len(emitted) >= 20
    catalog = {rule_id for rule_id in all_rules() if rule_id.startswith("k8s/")}
    assert emitted <= catalog, sorted(emitted - catalog)
    assert catalog <= emitted, sorted(catalog - emitted)


@pytest.mark.parametrize("rule_id", sorted(_emitted_k8s_ids() - {"k8s/annotations-too-large"}))
def test_k8s_rule_examples(rule_id: str) -> None:
    rule = all_rules()[rule_id]
    bad = [f for f in drop_shadowed(analyze(rule.bad).findings) if f.rule == rule_id]
    assert bad, f"the bad example of {rule_id} does not produce it"
    assert rule.severity in {f.severity for f in bad}
    good = drop_shadowed(analyze(rule.good).findings)
    assert not [f for f in good if f.rule == rule_id]
    assert not [f"{f.rule}: {f.message}" for f in good if f.severity is Severity.ERROR]


def test_a_secret_key_with_its_value_glued_on_is_not_printed_whole() -> None:
    from tests.helpers import analyze

    analysis = analyze(
        """
        apiVersion: v1
        kind: Secret
        metadata:
          name: creds
        stringData: {password:hunter2: ""}
        """
    )
    messages = " ".join(f.message for f in analysis.findings)
    assert "password…" in messages and "hunter2" not in messages
