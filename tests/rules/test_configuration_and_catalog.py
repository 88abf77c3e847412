"""Issue 19, part B: configuration typos, `rules FAMILY`, one duplicate policy, and the noise and gaps on real input.

Each test reproduces one point of the issue; on the main branch before it, each of them fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pomgate.config import Config, ConfigError, load_config, loosening, parse_config
from pomgate.diff.compare import compare
from pomgate.diff.explain import explain, source_of
from pomgate.findings import Finding, Severity
from pomgate.pipeline import Analysis, analyze_objects
from pomgate.rules import all_rules
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from tests.helpers import analyze, docs, ingress, service, simple_rule

P = "ingress.pomerium.io"
ROOT = Path(__file__).resolve().parents[2]
ANYONE = {f"{P}/allow_any_authenticated_user": "true"}


def configured(text: str) -> Config:
    return parse_config(text, ".pomgate.yaml", pyproject=False)


def analyze_files(files: dict[str, str], config: Config | None = None) -> Analysis:
    """Scan each file in order (as a folder's sorted files are) and translate them together."""
    objects, scanned = [], []
    for name, text in files.items():
        found, problems = scan_text(text, name, "default")
        objects.extend(found)
        scanned.extend(problems)
    return analyze_objects(
        objects, TranslateOptions(), scan_findings=scanned, files=list(files), sources=dict(files), config=config
    )


def of_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule == rule]


def pomgate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


# ---------------------------------------------------------------- configuration typos are not silent


@pytest.mark.parametrize(
    ("text", "key", "typo", "meant"),
    [
        ("ignore: [upstream/tls-skip-verfy]\n", "ignore", "upstream/tls-skip-verfy", "upstream/tls-skip-verify"),
        ("select: [polcy]\n", "select", "polcy", "policy"),
        ("severity: {routng: info}\n", "severity", "routng", "routing"),
        ("ignore: ['routng/*']\n", "ignore", "routng/*", "routing"),
        ("ignore: [tls-skip-verify]\n", "ignore", "tls-skip-verify", "upstream/tls-skip-verify"),
    ],
)
def test_an_unknown_rule_or_family_in_the_configuration_is_an_error_with_did_you_mean(
    text: str, key: str, typo: str, meant: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        configured(text)
    message = str(caught.value)
    assert message.startswith(f".pomgate.yaml: {key}: ") and repr(typo) in message
    assert f"did you mean {meant}" in message


def test_every_catalog_id_and_family_is_accepted_in_every_form() -> None:
    ids = list(all_rules())
    families = sorted({rule_id.split("/")[0] for rule_id in ids})
    forms = [*ids, *families, *(f + "/" for f in families), *(f + "/*" for f in families)]
    config = configured(f"select: {forms}\nignore: {families[:1]}\n")
    assert config.select == forms


def test_a_family_severity_applies_to_its_rules_and_an_id_overrides_it() -> None:
    config = configured("severity: {reference: info, reference/secret-missing: error}\n")
    assert config.severity_for("reference/service-missing") is Severity.INFO
    assert config.severity_for("reference/secret-missing") is Severity.ERROR
    assert config.severity_for("routing/duplicate-route") is None
    text = docs(ingress(annotations=ANYONE))  # its Service is missing
    (finding,) = of_rule(config.apply(analyze(text).findings), "reference/service-missing")
    assert finding.severity is Severity.INFO


def test_a_bad_configuration_stops_the_cli_with_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app.yaml").write_text(docs(ingress(annotations=ANYONE), service()))
    (tmp_path / ".pomgate.yaml").write_text("select: [polcy]\n")
    done = pomgate("check", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert ".pomgate.yaml" in done.stderr and "did you mean policy" in done.stderr


def test_a_suppression_naming_an_unknown_rule_is_an_error_finding_not_an_unused_one() -> None:
    ignore = {"pomgate.io/ignore": "reference/servce-missing: created by the app chart"}
    text = docs(ingress(annotations={**ANYONE, **ignore}))
    findings = analyze(text).findings
    (unknown,) = of_rule(findings, "suppression/unknown-rule")
    assert unknown.severity is Severity.ERROR
    assert "did you mean reference/service-missing" in unknown.message
    assert unknown.hint == 'pomgate.io/ignore: "reference/service-missing: created by the app chart"'
    assert "pomgate.io/ignore" in text.splitlines()[(unknown.line or 0) - 1]
    assert not of_rule(findings, "suppression/unused")
    assert of_rule(findings, "reference/service-missing")  # nothing was suppressed


def test_a_suppression_naming_a_family_is_still_accepted() -> None:
    ignore = {"pomgate.io/ignore": "reference: the Services live in the app chart"}
    findings = analyze(docs(ingress(annotations={**ANYONE, **ignore}))).findings
    assert not of_rule(findings, "suppression/unknown-rule") and not of_rule(findings, "reference/service-missing")


@pytest.mark.parametrize("pattern", ["charts/", "charts", "charts/**", "/charts"])
def test_exclude_follows_gitignore_rules_for_a_folder(pattern: str) -> None:
    config = configured(f"exclude: [{pattern!r}]\n")
    assert not config.wants_path("charts/app/templates/ingress.yaml")
    assert not config.wants_path("charts/ingress.yaml")
    assert config.wants_path("chartsx/ingress.yaml") and config.wants_path("apps/ingress.yaml")


def test_include_follows_gitignore_rules_and_keeps_negation() -> None:
    config = configured("include: ['apps/', '!apps/legacy/']\n")
    assert config.wants_path("apps/web/ingress.yaml") and config.wants_path("./apps/ingress.yaml")
    assert not config.wants_path("apps/legacy/ingress.yaml") and not config.wants_path("charts/ingress.yaml")


def test_loosening_counts_the_files_a_folder_pattern_leaves_unchecked() -> None:
    catalog = {rule_id: rule.severity for rule_id, rule in all_rules().items()}
    paths = ["charts/app/ingress.yaml", "charts/db.yaml", "apps/web.yaml"]
    found = loosening(Config(), configured("exclude: [charts]\n"), rules=catalog, paths=paths)
    assert any("excludes 'charts'" in phrase for phrase in found)
    assert any(phrase.startswith("leaves 2 manifest file(s) unchecked") for phrase in found)
    same = loosening(
        configured("exclude: ['charts/**']\n"), configured("exclude: ['charts/**']\n"), rules=catalog, paths=paths
    )
    assert not same


# ---------------------------------------------------------------- pomgate rules FAMILY


def test_rules_family_lists_that_family_one_rule_per_line() -> None:
    done = pomgate("rules", "routing")
    assert done.returncode == 0, done.stderr
    routing = sorted(rule_id for rule_id in all_rules() if rule_id.startswith("routing/"))
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("routing/")]
    assert listed == routing
    assert not any(line.startswith(("regex/", "access/")) for line in done.stdout.splitlines())


def test_rules_with_a_rule_name_alone_explains_it_and_a_typo_gets_did_you_mean() -> None:
    short = pomgate("rules", "re2")
    assert short.returncode == 0 and short.stdout.startswith("regex/re2 (error)")
    typo = pomgate("rules", "polcy")
    assert typo.returncode == 2 and "did you mean policy" in typo.stderr
    assert len(typo.stderr.splitlines()) == 1 and len(typo.stderr) < 400  # not every id on one line


# ---------------------------------------------------------------- one duplicate-object policy


def duplicated() -> dict[str, str]:
    first = docs(ingress(name="app", annotations=ANYONE, rules=simple_rule(host="a.example.com")), service())
    second = ingress(name="app", annotations=ANYONE, rules=simple_rule(host="b.example.com"))
    return {"a.yaml": first, "b.yaml": second}


def test_the_later_definition_is_used_by_the_warning_render_and_explain() -> None:
    analysis = analyze_files(duplicated())
    (warning,) = of_rule(analysis.findings, "input/duplicate-object")
    assert warning.path == "b.yaml" and "the later definition is used" in warning.message
    assert [route.from_url for route in analysis.translation.routes] == ["https://b.example.com"]
    assert not explain(analysis.translation.routes, "https://a.example.com/").group
    (route,) = explain(analysis.translation.routes, "https://b.example.com/").group
    assert source_of(route, analysis.inventory)[0] == "b.yaml"
    assert [typed.source.origin.path for typed in analysis.inventory.ingresses if typed.source] == ["b.yaml"]


def test_diff_sees_the_later_definition_replace_the_earlier_one() -> None:
    files = duplicated()
    base = analyze_files({"a.yaml": files["a.yaml"]})
    result = compare(base, analyze_files(files))
    assert [route.from_url for route in result.added] == ["https://b.example.com"]
    assert [route.from_url for route in result.removed] == ["https://a.example.com"]


def test_an_earlier_duplicate_keeps_its_own_kubernetes_findings_at_its_own_file() -> None:
    broken = ingress(name="app", annotations=ANYONE, rules=simple_rule(host="A_B.example.com"))
    analysis = analyze_files({"a.yaml": broken, "b.yaml": duplicated()["b.yaml"], "svc.yaml": service()})
    assert [f.path for f in analysis.findings if f.rule.startswith("k8s/")] == ["a.yaml"]
    assert [route.from_url for route in analysis.translation.routes] == ["https://b.example.com"]


# ---------------------------------------------------------------- one finding per missing object


def four_paths_to_one_missing_service() -> str:
    rules = f"""\
- host: app.example.com
  http:
    paths:
{_path("/", "name: http")}{_path("/api", "name: http")}{_path("/metrics", "name: metrics")}
- host: www.example.com
  http:
    paths:
{_path("/", "number: 80")}"""
    return ingress(annotations=ANYONE, rules=rules)


def _path(path: str, port: str) -> str:
    return f"""\
      - path: {path}
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              {port}
"""


def test_a_missing_service_is_one_finding_listing_every_path_and_unresolved_port() -> None:
    text = four_paths_to_one_missing_service()
    findings = analyze(text).findings
    (missing,) = of_rule(findings, "reference/service-missing")
    assert not of_rule(findings, "reference/service-port-unknown")
    assert missing.message.startswith("Service default/web (used by 4 backends: ")
    for use in ("app.example.com/ port http", "app.example.com/api port http", "www.example.com/ port 80"):
        assert use in missing.message
    assert "named port(s) http, metrics" in missing.message
    lines = text.splitlines()
    first_use = next(
        n for n, line in enumerate(lines, 1) if line.strip() == "name: web" and lines[n - 2].strip() == "service:"
    )
    assert missing.line == first_use


def test_each_missing_object_keeps_its_own_finding() -> None:
    rules = simple_rule(service="web") + simple_rule(host="www.example.com", service="api")
    findings = analyze(ingress(annotations=ANYONE, rules=rules)).findings
    assert sorted(f.message.split(" (")[0] for f in of_rule(findings, "reference/service-missing")) == [
        "Service default/api",
        "Service default/web",
    ]


def test_one_secret_named_by_two_annotations_is_one_finding() -> None:
    secrets = {f"{P}/secure_upstream": "true", f"{P}/tls_custom_ca_secret": "ca", f"{P}/tls_client_secret": "ca"}
    findings = analyze(docs(ingress(annotations={**ANYONE, **secrets}), service())).findings
    (missing,) = of_rule(findings, "reference/secret-missing")
    assert f"used by 2 annotations: {P}/tls_client_secret, {P}/tls_custom_ca_secret" in missing.message


# ---------------------------------------------------------------- an Ingress no IngressClass makes ours


def test_an_ingress_with_our_annotations_but_no_class_is_an_info_finding() -> None:
    analysis = analyze(docs(ingress(annotations=ANYONE, class_name=None), service()))
    assert not analysis.translation.routes
    (notice,) = of_rule(analysis.findings, "routing/ingress-not-managed")
    assert notice.severity is Severity.INFO and "names no IngressClass" in notice.message
    assert notice.hint == "spec.ingressClassName: pomerium"


def test_an_ingress_of_another_controller_is_named_with_that_controller() -> None:
    nginx = (
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\n"
        "spec:\n  controller: k8s.io/ingress-nginx\n"
    )
    analysis = analyze(docs(ingress(annotations=ANYONE, class_name="nginx"), service(), nginx))
    (notice,) = of_rule(analysis.findings, "routing/ingress-not-managed")
    assert "belongs to controller k8s.io/ingress-nginx" in notice.message


def test_an_unmanaged_ingress_without_our_annotations_stays_quiet() -> None:
    analysis = analyze(docs(ingress(annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "true"}, class_name=None)))
    assert not of_rule(analysis.findings, "routing/ingress-not-managed")


# ---------------------------------------------------------------- spec.tls hosts without a rule


def with_tls(hosts: list[str], rule_host: str = "app.example.com", **extra: str) -> str:
    tls = "tls:\n  - secretName: web-tls\n    hosts:\n" + "".join(f"      - {h!r}\n" for h in hosts)
    annotations = {**ANYONE, "cert-manager.io/cluster-issuer": "letsencrypt", **extra}
    return ingress(annotations=annotations, rules=simple_rule(host=rule_host), extra_spec=tls)


def test_a_tls_host_without_a_rule_host_is_a_warning_at_that_host() -> None:
    findings = analyze(docs(with_tls(["app.example.com", "www.example.com"]), service())).findings
    (warning,) = of_rule(findings, "routing/tls-host-without-rule")
    assert warning.severity is Severity.WARNING and "www.example.com" in warning.message
    assert warning.field == ("spec", "tls", 0, "hosts", 1)


@pytest.mark.parametrize(
    ("tls_hosts", "rule_host"),
    [
        (["*.example.com"], "app.example.com"),
        (["app.example.com"], "*.example.com"),
        (["APP.example.com"], "app.example.com"),
    ],
)
def test_wildcards_on_either_side_cover_a_tls_host(tls_hosts: list[str], rule_host: str) -> None:
    findings = analyze(docs(with_tls(tls_hosts, rule_host), service())).findings
    assert not of_rule(findings, "routing/tls-host-without-rule")


def test_a_tls_host_served_by_another_ingress_is_not_reported() -> None:
    other = ingress(name="www", annotations=ANYONE, rules=simple_rule(host="www.example.com"))
    findings = analyze(docs(with_tls(["app.example.com", "www.example.com"]), other, service())).findings
    assert not of_rule(findings, "routing/tls-host-without-rule")


# ---------------------------------------------------------------- combinations upstream accepts but ignores


def tcp_ingress(annotations: dict[str, str]) -> str:
    rule = simple_rule(host="db.example.com", path=None, path_type="ImplementationSpecific", port="number: 80")
    return ingress(annotations={**ANYONE, f"{P}/tcp_upstream": "true", **annotations}, rules=rule)


def ineffective(text: str) -> dict[str, str]:
    """annotation/ineffective findings by the annotation they point at."""
    return {str(f.field[-1]): f.message for f in of_rule(analyze(text).findings, "annotation/ineffective")}


def test_secure_upstream_and_path_rewrites_on_a_tcp_route_are_reported() -> None:
    text = docs(tcp_ingress({f"{P}/secure_upstream": "true", f"{P}/prefix_rewrite": "/x"}), service())
    found = ineffective(text)
    assert set(found) == {f"{P}/secure_upstream", f"{P}/prefix_rewrite"}
    assert "TCP route" in found[f"{P}/secure_upstream"] and "tcp://" in found[f"{P}/secure_upstream"]


def test_prefix_rewrite_on_an_exact_path_replaces_the_whole_path() -> None:
    rules = simple_rule(path="/login", path_type="Exact") + simple_rule(host="www.example.com", path="/app")
    found = ineffective(docs(ingress(annotations={**ANYONE, f"{P}/prefix_rewrite": "/"}, rules=rules), service()))
    assert list(found) == [f"{P}/prefix_rewrite"]
    assert "Exact path /login" in found[f"{P}/prefix_rewrite"] and "/app" not in found[f"{P}/prefix_rewrite"]


def test_path_regex_on_prefix_paths_and_upstream_tls_without_secure_upstream_are_reported() -> None:
    annotations = {**ANYONE, f"{P}/path_regex": "true", f"{P}/tls_server_name": "web.internal"}
    found = ineffective(docs(ingress(annotations=annotations, rules=simple_rule(path="/api/.*")), service()))
    assert "Prefix path /api/.* is matched literally" in found[f"{P}/path_regex"]
    assert "secure_upstream is not" in found[f"{P}/tls_server_name"]


def test_service_proxy_upstream_on_an_external_name_service_is_reported() -> None:
    external = service(service_type="ExternalName", external_name="api.example.org")
    found = ineffective(docs(ingress(annotations={**ANYONE, f"{P}/service_proxy_upstream": "true"}), external))
    assert "ExternalName Service(s) default/svc" in found[f"{P}/service_proxy_upstream"]


def test_consistent_combinations_are_not_reported() -> None:
    https = {f"{P}/secure_upstream": "true", f"{P}/tls_server_name": "web.internal", f"{P}/prefix_rewrite": "/v2"}
    regex = {f"{P}/path_regex": "true"}
    rules = simple_rule(path="^/api/.*$", path_type="ImplementationSpecific")
    assert not ineffective(docs(ingress(annotations={**ANYONE, **https}), service()))
    assert not ineffective(docs(ingress(annotations={**ANYONE, **regex}, rules=rules), service()))
    assert not ineffective(docs(tcp_ingress({}), service()))


def test_tls_skip_verify_on_an_http_upstream_says_it_has_no_effect_yet() -> None:
    text = docs(ingress(annotations={**ANYONE, f"{P}/tls_skip_verify": "true"}), service())
    (finding,) = of_rule(analyze(text).findings, "upstream/tls-skip-verify")
    assert "no effect yet" in finding.message and "accepts any certificate from the upstream of" not in finding.message


# ---------------------------------------------------------------- controller-version


def test_the_added_in_table_names_known_annotations_with_versions_up_to_the_current_one() -> None:
    from pomgate.translation.annotation_table import ADDED_IN, CURRENT_CONTROLLER_VERSION, KNOWN, parse_version

    current = parse_version(CURRENT_CONTROLLER_VERSION)
    assert current is not None
    for name, version in ADDED_IN.items():
        parsed = parse_version(version)
        assert name in KNOWN and parsed is not None and parsed <= current


def test_an_annotation_newer_than_the_controller_version_is_an_error() -> None:
    from pomgate.translation.annotation_table import ADDED_IN

    tunnel = {**ANYONE, f"{P}/ssh_upstream": "false", f"{P}/allow_websockets": "true"}
    text = docs(ingress(annotations=tunnel), service())
    old = analyze_files({"app.yaml": text}, configured('controller-version: "v0.32.9"\n'))
    (finding,) = of_rule(old.findings, "annotation/newer-than-controller")
    assert finding.severity is Severity.ERROR and finding.field == ("metadata", "annotations", f"{P}/ssh_upstream")
    assert f"added in {ADDED_IN['ssh_upstream']}" in finding.message and "0.32.9" in finding.message
    for version in (ADDED_IN["ssh_upstream"], None):
        config = configured(f"controller-version: {version!r}\n" if version else "")
        assert not of_rule(analyze_files({"app.yaml": text}, config).findings, "annotation/newer-than-controller")


@pytest.mark.parametrize("value", ["latest", "0.x", "1", "0.31.2.1", "0.31"])
def test_controller_version_must_be_a_release(value: str) -> None:
    if value == "0.31":
        assert configured(f"controller-version: '{value}'\n").controller_release == (0, 31, 0)
        return
    with pytest.raises(ConfigError, match="controller-version must be an upstream controller release"):
        configured(f"controller-version: '{value}'\n")


def test_added_after_compares_releases_not_text() -> None:
    from pomgate.translation.annotation_table import ADDED_IN, added_after

    assert added_after("healthy_panic_threshold", (0, 30, 3)) == ADDED_IN["healthy_panic_threshold"]
    assert added_after("healthy_panic_threshold", (0, 30, 10)) is None
    assert added_after("allow_websockets", (0, 15, 0)) is None


def test_raising_the_controller_version_is_a_loosening_and_lowering_it_is_not() -> None:
    catalog = {rule_id: rule.severity for rule_id, rule in all_rules().items()}
    older, newer = configured("controller-version: '0.31.0'\n"), Config()
    assert any("raises controller-version from '0.31.0'" in p for p in loosening(older, newer, rules=catalog, paths=[]))
    assert not loosening(newer, older, rules=catalog, paths=[])


def test_load_config_reads_the_controller_version(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pomgate]\ncontroller-version = "0.30.0"\n')
    assert load_config(tmp_path / "pyproject.toml").controller_release == (0, 30, 0)
