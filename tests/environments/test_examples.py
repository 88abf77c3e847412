"""The shipped example (examples/) read the way it is deployed.

It holds plain files built by one kustomization (apps/, with the deliberate `maybe` policy), a
kustomize base with dev and prod overlays (gitops/, with one mistake written only in a prod patch),
and a local Helm chart that an Argo CD Application deploys. The copy is analysed outside any git
repository, so its top is the examples/ folder, as for an installed wheel (share/pomgate/examples).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pomgate.environments import build
from pomgate.environments.build import BuildCache
from pomgate.environments.run import Deployment, analyze_deployed
from pomgate.environments.tree import repository_root
from pomgate.findings import Finding, Severity
from pomgate.reports.routes import route_config
from pomgate.translation.options import TranslateOptions
from tests.environments.gitops_repo import line_of, needs_kustomize

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEV = "gitops/overlays/dev"
PROD = "gitops/overlays/prod"
PROD_PATCH = "gitops/overlays/prod/orders-api-oncall.yaml"
CHART = "gitops/charts/status-page"

pytestmark = needs_kustomize


def analyse(root: Path, path: str, builds: Path) -> Deployment:
    """``analyze_deployed`` run from ``root`` on ``path``, as on a machine without helm (charts are not rendered)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setattr(build, "helm_command", lambda: None)
        return analyze_deployed([path], TranslateOptions(), build_cache=BuildCache(str(builds)))


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(shutil.copytree(EXAMPLES, tmp_path_factory.mktemp("example") / "examples"))
    assert repository_root(str(root)) == str(root.resolve()), "the copy must not be inside a git repository"
    return root


@pytest.fixture(scope="module")
def deployment(copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return analyse(copy, ".", tmp_path_factory.mktemp("builds"))


def of_rule(deployment: Deployment, rule: str) -> list[Finding]:
    return [finding for finding in deployment.findings if finding.rule == rule]


def routes(deployment: Deployment, environment: str) -> list[dict[str, object]]:
    item = deployment.environment(environment)
    assert item is not None, [env.environment.name for env in deployment.environments]
    return [route_config(route) for route in item.analysis.translation.routes]


def test_the_environments_are_the_kustomize_roots_and_the_plain_files(deployment: Deployment) -> None:
    names = {item.environment.name: item.environment.kind for item in deployment.environments}
    # gitops/base is read by both overlays: not an environment of its own. The chart is not rendered
    # without helm, so it has no analysis (its finding says so).
    assert names == {"plain": "plain", "apps": "kustomize", DEV: "kustomize", PROD: "kustomize"}


def test_no_false_errors_only_the_two_deliberate_mistakes(deployment: Deployment, copy: Path) -> None:
    for finding in deployment.findings:
        # Patches, the chart's Go templates and the unquoted `true` of the base are not read as
        # plain manifests: kustomize and helm read them.
        assert finding.rule not in (
            "k8s/ingress-spec",
            "input/duplicate-object",
            "input/yaml-syntax",
            "k8s/annotation-not-string",
        ), finding
        assert not (finding.path or "").startswith(("gitops/base/", f"{DEV}/", f"{CHART}/templates/")), finding
    errors = [(f.rule, f.path, f.line) for f in deployment.findings if f.severity is Severity.ERROR]
    assert sorted(errors) == [
        ("annotation/allowed-groups", PROD_PATCH, line_of(copy, PROD_PATCH, "ingress.pomerium.io/allowed_groups:")),
        (
            "policy/invalid",
            "apps/admin/admin.yaml",
            line_of(copy, "apps/admin/admin.yaml", "ingress.pomerium.io/policy"),
        ),
    ]


def test_the_prod_only_mistake_is_reported_at_the_prod_patch_for_prod_only(deployment: Deployment, copy: Path) -> None:
    (mistake,) = of_rule(deployment, "annotation/allowed-groups")
    assert mistake.severity is Severity.ERROR
    assert (mistake.path, mistake.line) == (
        PROD_PATCH,
        line_of(copy, PROD_PATCH, "ingress.pomerium.io/allowed_groups:"),
    )
    assert mistake.environments == (PROD,)
    dev = deployment.environment(DEV)
    assert dev is not None and dev.analysis.findings == []
    # The controller rejects the whole Ingress: prod has no orders route, dev has one.
    assert [r["from"] for r in routes(deployment, PROD)] == ["https://wiki.example.com"]
    assert "https://orders.dev.example.com" in [r["from"] for r in routes(deployment, DEV)]


def test_the_chart_gives_exactly_one_info_finding_named_by_its_application(deployment: Deployment) -> None:
    charts = [f for f in deployment.findings if (f.path or "").startswith(f"{CHART}/")]
    assert [(f.rule, f.severity, f.path, f.line) for f in charts] == [
        ("build/chart-not-rendered", Severity.INFO, f"{CHART}/Chart.yaml", 1)
    ]
    # The Argo CD Application deploys the chart: its environment is named by it, not by the folder.
    assert "status-page" in charts[0].message and CHART not in charts[0].message
    assert not [f for f in deployment.findings if f.rule.startswith("build/application")]


def test_every_overlay_route_carries_its_namespace(deployment: Deployment) -> None:
    dev = routes(deployment, DEV)
    assert [(r["from"], r["to"]) for r in dev] == [
        ("https://orders.dev.example.com", ["http://orders-api.dev.svc.cluster.local:8080"]),
        ("https://wiki.dev.example.com", ["http://wiki.dev.svc.cluster.local:80"]),
    ]
    prod = routes(deployment, PROD)
    assert [(r["from"], r["to"]) for r in prod] == [
        ("https://wiki.example.com", ["http://wiki-blue.prod.svc.cluster.local:80"])  # nameSuffix: -blue
    ]
    for environment, namespace in ((DEV, "dev"), (PROD, "prod")):
        item = deployment.environment(environment)
        assert item is not None
        assert {obj.namespace for obj in item.analysis.objects} == {namespace}
    # The base's unquoted `true` arrives as the string "true" through kustomize.
    assert all(r["allow_any_authenticated_user"] is True for r in dev + prod if "wiki" in str(r["from"]))


def test_the_original_maybe_mistake_is_still_reported(deployment: Deployment, copy: Path) -> None:
    (maybe,) = of_rule(deployment, "policy/invalid")
    assert (maybe.path, maybe.line) == (
        "apps/admin/admin.yaml",
        line_of(copy, "apps/admin/admin.yaml", "ingress.pomerium.io/policy"),
    )
    assert 'conditional "maybe"' in maybe.message
    assert maybe.environments == ("apps",)
    froms = [r["from"] for r in routes(deployment, "apps")]
    assert "https://grafana.example.com" in froms and not [f for f in froms if "admin" in str(f)]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")
def test_inside_another_repository_the_application_is_elsewhere(tmp_path: Path) -> None:
    # A clone of pomgate: the Application's repoURL is not a remote of this repository, so it is an
    # info finding, and the chart is an environment of its own (named by its folder).
    clone = tmp_path / "pomgate"
    shutil.copytree(EXAMPLES, clone / "examples")
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    subprocess.run(
        ["git", "-C", str(clone), "remote", "add", "origin", "https://github.com/acme/pomgate.git"], check=True
    )
    deployment = analyse(clone, "examples", tmp_path / "builds")
    notes = [(f.rule, f.severity, f.path) for f in deployment.findings if f.severity is Severity.INFO]
    assert sorted(notes) == [
        ("build/application-elsewhere", Severity.INFO, "examples/gitops/argocd/status-page.yaml"),
        ("build/chart-not-rendered", Severity.INFO, f"examples/{CHART}/Chart.yaml"),
    ]
    errors = sorted((f.rule, f.path) for f in deployment.findings if f.severity is Severity.ERROR)
    assert errors == [
        ("annotation/allowed-groups", f"examples/{PROD_PATCH}"),
        ("policy/invalid", "examples/apps/admin/admin.yaml"),
    ]


@pytest.mark.skipif(shutil.which("helm") is None, reason="helm is not on PATH")
def test_with_helm_the_chart_renders_as_its_application_deploys_it(copy: Path, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(copy)
        deployment = analyze_deployed(["."], TranslateOptions(), build_cache=BuildCache(str(tmp_path / "builds")))
    assert not [f for f in deployment.findings if (f.path or "").startswith(f"{CHART}/")]
    # Release "status" in the destination namespace "status"; the Application sets public: true.
    (route,) = routes(deployment, "status-page")
    assert (route["from"], route["to"]) == ("https://status.example.com", ["http://status.status.svc.cluster.local:80"])
    assert route["allow_public_unauthenticated_access"] is True
