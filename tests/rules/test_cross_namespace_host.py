"""routing/cross-namespace-host: hosts served from two namespaces, and the configuration's `hosts:` owners."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from pomgate.config import Config, ConfigError, load_config, loosening, parse_config
from pomgate.findings import Severity
from pomgate.pipeline import Analysis, analyze_objects
from pomgate.rules import all_rules
from pomgate.rules.routing.cross_namespace_host import HostOwners, host_ownership_violations, most_specific_pattern
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from tests.helpers import docs, ingress, service, simple_rule

P = "ingress.pomerium.io"
RULE = "routing/cross-namespace-host"
USERS = {f"{P}/allowed_users": '["a@example.com"]'}
ROOT = Path(__file__).resolve().parents[2]


def web(name: str, namespace: str, host: str, path: str = "/", annotations: dict[str, str] | None = None) -> str:
    return docs(
        ingress(
            name=name,
            namespace=namespace,
            annotations={**USERS, **(annotations or {})},
            rules=simple_rule(host=host, path=path),
        ),
        service(namespace=namespace),
    )


def analyze_with(text: str, hosts: Mapping[str, tuple[str, ...]] | None = None) -> Analysis:
    """``text`` analysed under a configuration whose ``hosts:`` is ``hosts``."""
    objects, findings = scan_text(textwrap.dedent(text), "test.yaml", "default")
    config = Config(path=".pomgate.yaml", hosts=dict(hosts or {}))
    return analyze_objects(
        objects, TranslateOptions(), scan_findings=findings, files=["test.yaml"], config=config, sources={}
    )


def reported(analysis: Analysis) -> list[tuple[str, str, Severity]]:
    """(namespace/name, message, severity) of the rule's findings."""
    return [
        (f"{f.obj.namespace}/{f.obj.name}", f.message, f.severity)
        for f in analysis.findings
        if f.rule == RULE and f.obj
    ]


def names(analysis: Analysis) -> list[str]:
    return sorted(who for who, _message, _severity in reported(analysis))


# ---------------------------------------------------------------- without `hosts:`: overlaps across namespaces


def test_one_host_in_two_namespaces_warns_on_both_ingresses_at_their_host_line() -> None:
    text = docs(web("site", "team-a", "app.example.com"), web("grab", "team-b", "app.example.com", "/admin"))
    analysis = analyze_with(text)
    found = [f for f in analysis.findings if f.rule == RULE]
    assert names(analysis) == ["team-a/site", "team-b/grab"]
    assert {f.severity for f in found} == {Severity.WARNING}
    grab = next(f for f in found if f.obj and f.obj.name == "grab")
    assert "Ingress team-a/site" in grab.message and "hosts: {app.example.com: [team-a, team-b]}" in (grab.hint or "")
    lines = text.splitlines()
    assert all(f.line and "host: app.example.com" in lines[f.line - 1] for f in found)


def test_one_namespace_and_distinct_hosts_are_fine() -> None:
    text = docs(
        web("a", "team-a", "app.example.com"),
        web("b", "team-a", "app.example.com", "/b"),
        web("c", "team-b", "other.example.com"),
    )
    assert names(analyze_with(text)) == []


def test_wildcards_overlap_hosts_under_them_and_nested_wildcards() -> None:
    text = docs(
        web("wild", "platform", '"*.example.com"'),
        web("app", "team-a", "app.example.com"),
        web("nested", "team-b", '"*.b.example.com"'),
        web("apex", "team-c", "example.com"),  # `*.example.com` does not match example.com itself
        web("elsewhere", "team-d", "app.example.org"),
    )
    analysis = analyze_with(text)
    assert names(analysis) == ["platform/wild", "team-a/app", "team-b/nested"]
    wild = next(message for who, message, _ in reported(analysis) if who == "platform/wild")
    assert "Ingress team-a/app (app.example.com)" in wild and "Ingress team-b/nested (*.b.example.com)" in wild
    hint = next(f.hint for f in analysis.findings if f.rule == RULE and f.obj and f.obj.name == "wild")
    assert "hosts: {'*.example.com': [platform, team-a, team-b]}" in (hint or "")  # valid YAML to paste


def test_a_catch_all_route_is_not_compared() -> None:
    backend = "{service: {name: svc, port: {number: 80}}}"
    catch_all = ingress(
        name="fallback",
        namespace="platform",
        annotations={**USERS, f"{P}/subtle_allow_empty_host": "true"},
        rules=f"- http:\n    paths:\n      - {{path: /, pathType: Prefix, backend: {backend}}}",
    )
    text = docs(catch_all, service(namespace="platform"), web("app", "team-a", "app.example.com"))
    assert names(analyze_with(text)) == []


def test_tcp_and_http_routes_on_one_host_from_two_namespaces_overlap() -> None:
    backend = "{service: {name: svc, port: {number: 80}}}"
    tcp_rule = (
        f"- host: db.example.com\n  http:\n    paths:\n      - {{pathType: ImplementationSpecific, backend: {backend}}}"
    )
    tcp = ingress(name="db", namespace="data", annotations={**USERS, f"{P}/tcp_upstream": "true"}, rules=tcp_rule)
    text = docs(tcp, service(namespace="data"), web("ui", "team-a", "db.example.com"))
    assert names(analyze_with(text)) == ["data/db", "team-a/ui"]


def test_the_warning_can_be_suppressed_with_a_reason() -> None:
    ignore = {"pomgate.io/ignore": f"{RULE}: shared with team-a, see OPS-1"}
    text = docs(web("site", "team-a", "app.example.com"), web("grab", "team-b", "app.example.com", "/x", ignore))
    assert names(analyze_with(text)) == ["team-a/site"]


def test_shadowed_route_and_this_rule_report_different_things() -> None:
    """Same host and path in two namespaces: shadowed (one never answers) and cross-namespace (two owners)."""
    text = docs(web("a", "team-a", "app.example.com"), web("b", "team-b", "app.example.com"))
    rules = {f.rule for f in analyze_with(text).findings}
    assert {"routing/shadowed-route", RULE} <= rules
    same_namespace = docs(web("a", "team-a", "app.example.com"), web("b", "team-a", "app.example.com"))
    rules = {f.rule for f in analyze_with(same_namespace).findings}
    assert "routing/shadowed-route" in rules and RULE not in rules


# ---------------------------------------------------------------- with `hosts:`: declared owners


def test_a_route_from_a_namespace_hosts_does_not_allow_is_an_error() -> None:
    text = docs(web("site", "team-a", "app.example.com"), web("grab", "team-b", "app.example.com", "/admin"))
    analysis = analyze_with(text, {"app.example.com": ("team-a",)})
    assert [(who, severity) for who, _message, severity in reported(analysis)] == [("team-b/grab", Severity.ERROR)]
    message = reported(analysis)[0][1]
    assert "reserves it for namespace(s) team-a" in message and "namespace team-b" in message


def test_namespaces_allowed_to_share_a_host_get_no_warning() -> None:
    text = docs(web("site", "team-a", "app.example.com"), web("api", "team-b", "app.example.com", "/api"))
    assert reported(analyze_with(text, {"app.example.com": ("team-a", "team-b")})) == []


def test_the_most_specific_entry_decides_like_pomerium_picks_a_route_group() -> None:
    owners = {"*.example.com": ("platform",), "app.example.com": ("team-a",), "*": ("edge",)}
    text = docs(
        web("app", "team-a", "app.example.com"),  # the exact entry: allowed
        web("docs", "team-a", "docs.example.com"),  # the wildcard entry: platform only
        web("deep", "platform", "x.y.example.com"),  # a wildcard matches several labels
        web("wild", "platform", '"*.example.com"'),  # a wildcard host is decided by its own entry
        web("org", "team-a", "app.example.org"),  # `*` decides every other host
    )
    analysis = analyze_with(text, owners)
    assert [(who, severity) for who, _m, severity in reported(analysis)] == [
        ("team-a/docs", Severity.ERROR),
        ("team-a/org", Severity.ERROR),
    ]
    assert "(entry *.example.com)" in next(m for who, m, _ in reported(analysis) if who == "team-a/docs")


def test_an_annotation_cannot_suppress_the_ownership_error() -> None:
    ignore = {"pomgate.io/ignore": f"{RULE}: this host is mine now"}
    text = web("grab", "team-b", "app.example.com", "/admin", ignore)
    analysis = analyze_with(text, {"app.example.com": ("team-a",)})
    assert [(who, severity) for who, _m, severity in reported(analysis)] == [("team-b/grab", Severity.ERROR)]
    assert "suppression/unused" in {f.rule for f in analysis.findings}  # the annotation allowed nothing


def test_hosts_the_map_does_not_decide_still_warn_on_overlaps() -> None:
    text = docs(web("a", "team-a", "free.example.com"), web("b", "team-b", "free.example.com", "/b"))
    assert names(analyze_with(text, {"app.example.com": ("team-a",)})) == ["team-a/a", "team-b/b"]


def test_host_ownership_violations_is_a_pure_function_of_routes_and_the_map() -> None:
    text = docs(web("site", "team-a", "app.example.com"), web("grab", "team-b", "app.example.com", "/admin"))
    routes = analyze_with(text).translation.routes
    violations = host_ownership_violations(routes, {"app.example.com": ["team-a"]})
    assert [(v.route.ingress.name, v.host, v.entry, v.allowed) for v in violations] == [
        ("grab", "app.example.com", "app.example.com", ("team-a",))
    ]
    assert host_ownership_violations(routes, HostOwners({"*.example.com": ["team-a", "team-b"]})) == []
    assert host_ownership_violations(routes, {}) == []


def test_most_specific_pattern() -> None:
    patterns = {"a.example.com", "*.example.com", "*.b.example.com", "*"}
    assert most_specific_pattern("a.example.com", patterns) == "a.example.com"
    assert most_specific_pattern("x.b.example.com", patterns) == "*.b.example.com"
    assert most_specific_pattern("x.y.example.com", patterns) == "*.example.com"
    assert most_specific_pattern("*.b.example.com", patterns) == "*.b.example.com"
    assert most_specific_pattern("example.org", patterns) == "*"
    assert most_specific_pattern("example.org", {"*.example.com"}) is None


def test_check_enforces_the_hosts_map_from_the_configuration_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "apps.yaml").write_text(
        docs(web("site", "team-a", "app.example.com"), web("grab", "team-b", "app.example.com", "/admin"))
    )
    (tmp_path / ".pomgate.yaml").write_text("hosts:\n  app.example.com: [team-a]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pomgate", "check", "--no-cache", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1, done.stderr
    assert f'"rule": "{RULE}"' in done.stdout and "reserves it for namespace(s) team-a" in done.stdout


# ---------------------------------------------------------------- validating `hosts:`


def test_hosts_in_yaml_and_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".pomgate.yaml").write_text("hosts:\n  app.example.com: [team-a]\n  '*.example.com': [platform, b]\n")
    assert load_config(tmp_path / ".pomgate.yaml").hosts == {
        "app.example.com": ("team-a",),
        "*.example.com": ("platform", "b"),
    }
    (tmp_path / "pyproject.toml").write_text('[tool.pomgate.hosts]\n"*" = ["edge"]\n')
    assert load_config(tmp_path / "pyproject.toml").hosts == {"*": ("edge",)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hosts: [app.example.com]", "hosts must map host names or \\*.domain wildcards to lists of namespaces"),
        ("hosts: {App.Example.com: [a]}", "'App.Example.com' is not a host name"),
        ("hosts: {'app.example.com:443': [a]}", "'app.example.com:443' is not a host name"),
        ("hosts: {'https://app.example.com': [a]}", "is not a host name"),
        ("hosts: {'a.*.example.com': [a]}", "'a.\\*.example.com' is not a host name"),
        ("hosts: {1: [a]}", "1 is not a string"),
        ("hosts: {app.example.com: team-a}", "app.example.com must list the namespaces allowed to serve it"),
        ("hosts: {app.example.com: []}", "app.example.com must list the namespaces"),
        ("hosts: {app.example.com: [Team_A]}", "'Team_A' is not a namespace name"),
        ("hosts: {app.example.com: [7]}", "7 is not a namespace name"),
        ("hosts: {app.example.com: [a, a]}", "lists namespace a twice"),
    ],
)
def test_bad_hosts_are_refused_with_the_file_named(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / ".pomgate.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")


# ---------------------------------------------------------------- what a changed configuration loosens

CATALOG = {rule_id: rule.severity for rule_id, rule in all_rules().items()}


def loosened(old: str, new: str, paths: tuple[str, ...] = ()) -> list[str]:
    before = parse_config(old, "old.yaml", pyproject=False)
    after = parse_config(new, "new.yaml", pyproject=False)
    return loosening(before, after, rules=CATALOG, paths=paths)


def test_tightening_or_an_unchanged_meaning_loosens_nothing() -> None:
    assert loosened("ignore: [access]\n", "{}\n") == []
    assert loosened("{}\n", "severity: {access/public-route: error}\nfail-on: warning\n") == []
    assert loosened("{}\n", "hosts: {app.example.com: [a]}\n") == []
    assert loosened("hosts: {app.example.com: [a, b]}\n", "hosts: {app.example.com: [a]}\n") == []
    assert loosened("exclude: ['x/*']\n", "exclude: ['x/*']\nnamespace: default\n") == []


def test_rules_no_longer_reported_and_lowered_severities() -> None:
    (dropped,) = loosened("{}\n", "ignore: [access]\n")
    assert dropped.startswith("stops reporting") and "access/public-route" in dropped
    (selected,) = loosened("select: [routing, access]\n", "select: [routing]\n")
    assert "access/no-policy" in selected and "routing/" not in selected
    (lowered,) = loosened("{}\n", "severity: {routing/duplicate-tcp-host: warning}\n")
    assert lowered == "lowers the severity of routing/duplicate-tcp-host error->warning"


def test_include_and_exclude_narrowing_what_is_checked() -> None:
    files = ("k8s/a.yaml", "legacy/b.yaml")
    assert loosened("{}\n", "exclude: ['legacy/*']\n", files) == [
        "excludes 'legacy/*'",
        "leaves 1 manifest file(s) unchecked: legacy/b.yaml",
    ]
    assert loosened("{}\n", "include: ['k8s/*']\n", files)[0] == "checks only files matching 'k8s/*'"
    assert loosened("include: ['k8s/*', 'legacy/*']\n", "include: ['k8s/*']\n", files)[0] == (
        "no longer includes 'legacy/*'"
    )


def test_settings_and_fail_on() -> None:
    assert loosened("{}\n", "ingress-class: not-pomerium\n") == [
        "changes ingress-class from 'pomerium' to 'not-pomerium'"
    ]
    assert loosened("namespace: a\n", "controller-name: x\nnamespace: b\n") == [
        "changes namespace from 'a' to 'b'",
        "changes controller-name from 'pomerium.io/ingress-controller' to 'x'",
    ]
    assert loosened("fail-on: warning\n", "fail-on: never\n") == ["raises fail-on from 'warning' to 'never'"]


def test_host_ownership_widened() -> None:
    assert loosened("hosts: {app.example.com: [a]}\n", "hosts: {app.example.com: [a, b]}\n") == [
        "lets namespace(s) b serve 'app.example.com'"
    ]
    assert loosened("hosts: {app.example.com: [a]}\n", "{}\n") == [
        "no longer restricts who serves 'app.example.com' (was a)"
    ]
    carve_out = loosened(
        "hosts: {'*.example.com': [platform]}\n", "hosts: {'*.example.com': [platform], x.example.com: [b]}\n"
    )
    assert carve_out == ["lets namespace(s) b serve 'x.example.com'"]


# ---------------------------------------------------------------- near-linear


def overlap_seconds(count: int) -> float:
    """The best of three runs of the overlap check on ``count`` Ingresses of 50 namespaces, 40 of them wildcards."""
    from pomgate.rules.routing.cross_namespace_host import overlapping_claims

    parts = []
    for index in range(count):
        host = f'"*.team{index}.example.com"' if index < 40 else f"app{index}.team{index % 40}.example.com"
        rule = simple_rule(host=host)
        parts.append(ingress(name=f"i{index}", namespace=f"ns{index % 50}", annotations=USERS, rules=rule))
    routes = analyze_with(docs(*parts)).translation.routes
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        found = list(overlapping_claims(routes, HostOwners({})))
        best = min(best, time.perf_counter() - started)
    assert len(found) > count // 2  # most hosts are under a wildcard of another namespace
    return best


def test_the_overlap_check_grows_about_linearly() -> None:
    small, large = overlap_seconds(300), overlap_seconds(2400)
    assert large < small * 8 * 3  # 8x the routes: pairwise work would be 64x


def test_the_hook_sees_a_wildcard_overlap_with_an_unchanged_file(tmp_path: Path) -> None:
    from pomgate.pipeline import analyze_paths
    from pomgate.scanning.cache import ScanCache

    (tmp_path / "a.yaml").write_text(web("wild", "team-a", "'*.example.com'"))
    (tmp_path / "b.yaml").write_text(web("app", "team-b", "app.example.com"))
    cache = ScanCache.open(tmp_path / "cache")
    focused = analyze_paths([str(tmp_path)], TranslateOptions(), cache=cache, focus=[str(tmp_path / "b.yaml")])
    full = analyze_paths([str(tmp_path)], TranslateOptions())
    wanted = [(f.rule, f.path) for f in full.findings if f.path == str(tmp_path / "b.yaml")]
    assert ("routing/cross-namespace-host", str(tmp_path / "b.yaml")) in wanted
    assert [(f.rule, f.path) for f in focused.findings] == wanted
