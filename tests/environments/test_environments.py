"""Environments: a GitOps repository read the way it is deployed, built with the real kustomize."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pomgate.environments.build import BuildCache, build_all, kustomize_command
from pomgate.environments.plan import plan_builds
from pomgate.environments.run import Deployment, analyze_deployed
from pomgate.environments.tree import WorkingTree, inside
from pomgate.findings import Finding, Severity
from pomgate.reports.routes import route_config
from pomgate.translation.options import TranslateOptions
from tests.environments.gitops_repo import FILES, line_of, needs_kustomize, write_gitops_repo

KUSTOMIZATIONS = [
    "base/kustomization.yaml",
    "overlays/broken/kustomization.yaml",
    "overlays/dev/kustomization.yaml",
    "overlays/prod/kustomization.yaml",
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = write_gitops_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    yield root


def deployed(root: Path, cache_folder: Path | None = None) -> Deployment:
    cache = BuildCache(str(cache_folder)) if cache_folder else BuildCache(str(root.parent / "builds"))
    return analyze_deployed(["."], TranslateOptions(), build_cache=cache)


def of_rule(deployment: Deployment, rule: str) -> list[Finding]:
    return [finding for finding in deployment.findings if finding.rule == rule]


def test_inside_keeps_paths_in_the_repository() -> None:
    assert inside("overlays/prod", "../../base") == "base"
    assert inside("overlays/prod", "patch.yaml") == "overlays/prod/patch.yaml"
    assert inside("overlays/prod", "../../../etc") is None
    assert inside("", "/etc/passwd") is None
    assert inside("a", "..") == ""


def test_the_plan_finds_roots_and_what_each_build_reads(repo: Path) -> None:
    plan = plan_builds(WorkingTree(str(repo)), KUSTOMIZATIONS, ["charts/web"])
    names = {env.name: env for env in plan.environments}
    assert set(names) == {"overlays/broken", "overlays/dev", "overlays/prod", "charts/web"}  # base is not a root
    prod = names["overlays/prod"]
    assert prod.kind == "kustomize" and prod.buildable
    assert set(prod.inputs) == {
        "overlays/prod/kustomization.yaml",
        "overlays/prod/policy.yaml",
        "overlays/prod/headers.json.yaml",
        "base/kustomization.yaml",
        "base/ingress.yaml",
        "base/service.yaml",
        "base/api.yaml",
    }
    assert prod.kustomizations == ("overlays/prod/kustomization.yaml", "base/kustomization.yaml")
    for claimed in ("overlays/prod/policy.yaml", "base/ingress.yaml", "overlays/prod/headers.json.yaml"):
        assert plan.is_claimed(claimed)
    assert plan.is_claimed("charts/web/templates/ingress.yaml")
    assert not plan.is_claimed("plain/ingress.yaml")


def test_remote_and_escaping_references_are_never_built(tmp_path: Path) -> None:
    root = write_gitops_repo(
        tmp_path / "repo",
        {
            "remote/kustomization.yaml": "resources:\n  - https://github.com/org/repo//deploy?ref=v1\n",
            "escape/kustomization.yaml": "resources:\n  - ../../outside\n",
            "absolute/kustomization.yaml": "resources:\n  - /etc/kubernetes\n",
        },
    )
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "kustomization.yaml").write_text("resources: []\n")
    plan = plan_builds(
        WorkingTree(str(root)),
        ["remote/kustomization.yaml", "escape/kustomization.yaml", "absolute/kustomization.yaml"],
    )
    assert all(not env.buildable for env in plan.environments)
    rules = {(f.path, f.rule, f.severity) for f in plan.findings}
    assert ("remote/kustomization.yaml", "build/remote-reference", Severity.INFO) in rules
    assert ("escape/kustomization.yaml", "build/outside-repository", Severity.ERROR) in rules
    assert ("absolute/kustomization.yaml", "build/outside-repository", Severity.ERROR) in rules
    assert all(f.line == 2 for f in plan.findings)


def test_a_link_out_of_the_repository_is_not_copied_into_the_build(tmp_path: Path) -> None:
    secret = tmp_path / "outside.yaml"
    secret.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  k: v\n")
    root = write_gitops_repo(tmp_path / "repo", {"app/kustomization.yaml": "resources:\n  - link.yaml\n"})
    os.symlink(secret, root / "app" / "link.yaml")
    tree = WorkingTree(str(root))
    assert tree.kind("app/link.yaml") is None
    plan = plan_builds(tree, ["app/kustomization.yaml"])
    if kustomize_command() is None:
        pytest.skip("neither kustomize nor kubectl is on PATH")
    (result,) = build_all(tree, plan.environments)
    assert result.output is None and "stolen" not in (result.error or "")


@needs_kustomize
def test_check_reads_the_repository_as_deployed(repo: Path) -> None:
    deployment = deployed(repo)
    # No false errors: the patch file and the chart's Go template are not read as manifests, and the
    # unquoted true arrives as "true" through kustomize.
    for finding in deployment.findings:
        assert finding.rule not in ("k8s/ingress-spec", "input/duplicate-object", "input/yaml-syntax"), finding
        assert finding.rule != "k8s/annotation-not-string", finding
    # Every route carries its overlay's namespace (and prod's name suffix).
    routes = {
        item.environment.name: [route_config(route) for route in item.analysis.translation.routes]
        for item in deployment.environments
    }
    assert [(r["from"], r["to"]) for r in routes["overlays/dev"]] == [
        ("https://api.example.com", ["http://api.dev.svc.cluster.local:8080"])
    ]
    assert [r["to"] for r in routes["overlays/prod"]] == [["http://api-v2.prod.svc.cluster.local:8080"]]
    assert [r["to"] for r in routes["plain"]] == [["http://docs.tools.svc.cluster.local:80"]]


@needs_kustomize
def test_a_mistake_written_only_in_the_prod_patch_is_reported_there_for_prod_only(repo: Path) -> None:
    (policy,) = of_rule(deployed(repo), "policy/invalid")
    assert (policy.path, policy.line) == (
        "overlays/prod/policy.yaml",
        line_of(repo, "overlays/prod/policy.yaml", "policy:"),
    )
    assert policy.environments == ("overlays/prod",)


@needs_kustomize
def test_a_json_patch_value_is_reported_at_the_operation(repo: Path) -> None:
    (skip,) = of_rule(deployed(repo), "upstream/tls-skip-verify")
    assert skip.path == "overlays/prod/headers.json.yaml"
    assert skip.line == line_of(repo, "overlays/prod/headers.json.yaml", '"true"')
    assert skip.environments == ("overlays/prod",)


@needs_kustomize
def test_a_mistake_in_the_base_is_reported_once_naming_both_environments(repo: Path) -> None:
    (bad,) = [f for f in of_rule(deployed(repo), "annotation/value") if "pass_identity_headers" in f.message]
    assert (bad.path, bad.line) == ("base/ingress.yaml", line_of(repo, "base/ingress.yaml", "pass_identity_headers"))
    assert bad.environments == ("overlays/dev", "overlays/prod")


@needs_kustomize
def test_a_kustomization_that_does_not_build_is_one_finding_with_kustomizes_message(repo: Path) -> None:
    (failed,) = of_rule(deployed(repo), "build/kustomize-failed")
    assert failed.severity is Severity.ERROR
    assert failed.path == "overlays/broken/kustomization.yaml"
    assert failed.line == line_of(repo, "overlays/broken/kustomization.yaml", "missing.yaml")
    assert "missing.yaml" in failed.message and "pomgate-build-" not in failed.message


@needs_kustomize
def test_a_chart_without_helm_is_one_info_finding_and_its_templates_are_not_parsed(repo: Path) -> None:
    deployment = deployed(repo)
    (chart,) = of_rule(deployment, "build/chart-not-rendered")
    assert chart.severity is Severity.INFO and chart.path == "charts/web/Chart.yaml"
    assert not [f for f in deployment.findings if f.path and f.path.startswith("charts/web/templates")]


@needs_kustomize
def test_build_annotations_never_reach_routes_or_findings(repo: Path) -> None:
    deployment = deployed(repo)
    for item in deployment.environments:
        for obj in item.analysis.objects:
            annotations = obj.raw.get("metadata", {}).get("annotations", {}) or {}
            assert not [key for key in annotations if "config.kubernetes.io" in key]
    assert "config.kubernetes.io" not in repr([f.message for f in deployment.findings])


@needs_kustomize
def test_cross_object_rules_stay_inside_one_environment(repo: Path) -> None:
    # dev and prod both route api.example.com: normal for two overlays, not a duplicate or a takeover.
    deployment = deployed(repo)
    assert not [f for f in deployment.findings if f.rule.startswith("routing/") and "api.example.com" in f.message]


@needs_kustomize
def test_builds_are_cached_by_the_digest_of_their_inputs(repo: Path, tmp_path: Path) -> None:
    tree = WorkingTree(str(repo))
    plan = plan_builds(tree, KUSTOMIZATIONS)
    cache = BuildCache(str(tmp_path / "builds"))
    first = build_all(tree, plan.environments, cache=cache)
    again = build_all(tree, plan.environments, cache=cache)
    assert not any(result.cached for result in first) and all(result.cached for result in again)
    assert [r.output for r in first] == [r.output for r in again]
    (repo / "base" / "service.yaml").write_text(FILES["base/service.yaml"].replace("port: 80", "port: 81"))
    changed = {r.environment.name: r.cached for r in build_all(tree, plan.environments, cache=cache)}
    assert changed == {"overlays/broken": False, "overlays/dev": False, "overlays/prod": False}
