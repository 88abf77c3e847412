"""Edge cases of reading a repository as deployed (each one a bug found in review)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from pomgate.environments import build
from pomgate.environments.build import BuildCache, build_all, run_helm, tool_message
from pomgate.environments.plan import Environment, plan_builds
from pomgate.environments.run import analyze_deployed
from pomgate.environments.tree import WorkingTree
from pomgate.findings import Finding, Severity
from pomgate.reports.finding_formats import junit_text
from pomgate.translation.options import TranslateOptions
from tests.environments.gitops_repo import FILES, line_of, needs_kustomize, write_gitops_repo

PROJECT = Path(__file__).resolve().parents[2]


def pomgate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "XDG_CACHE_HOME": str(root.parent / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True)


@pytest.mark.parametrize("release", ["--post-renderer=sh", "--set-file=x=/etc/hostname", "Web", "a b"])
def test_a_release_name_that_is_not_a_dns_label_never_reaches_helm(tmp_path: Path, release: str) -> None:
    root = write_gitops_repo(tmp_path / "repo", {"chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n"})
    environment = Environment("app", "helm", "chart", ("chart/Chart.yaml",), release=release)
    result = run_helm(WorkingTree(str(root)), environment, ["/nonexistent/helm", "template"])
    assert result.output is None and "not a DNS-1123 label" in (result.error or "")


def test_a_chart_at_the_repository_top_claims_its_templates(tmp_path: Path) -> None:
    root = write_gitops_repo(
        tmp_path / "repo",
        {
            "Chart.yaml": "apiVersion: v2\nname: top\nversion: 1.0.0\n",
            "templates/ingress.yaml": "kind: Ingress\nmetadata:\n  name: {{ .Release.Name }}\n",
            "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        },
    )
    plan = plan_builds(WorkingTree(str(root)), [], ["", "charts/sub"])
    assert [env.name for env in plan.environments] == ["."]  # the subchart is part of its parent
    assert plan.is_claimed("templates/ingress.yaml")


@needs_kustomize
def test_a_failed_run_of_the_tool_is_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_gitops_repo(tmp_path / "repo")
    tree = WorkingTree(str(root))
    plan = plan_builds(tree, ["overlays/dev/kustomization.yaml"])
    cache = BuildCache(str(tmp_path / "builds"))
    monkeypatch.setattr(build, "BUILD_TIMEOUT", 0.0001)
    (timed_out,) = build_all(tree, plan.environments, cache=cache)
    assert timed_out.output is None and timed_out.transient
    monkeypatch.setattr(build, "BUILD_TIMEOUT", 120.0)
    (again,) = build_all(tree, plan.environments, cache=cache)
    assert not again.cached and again.output


def test_kubectl_messages_are_cleaned_when_a_warning_comes_first() -> None:
    raw = (
        b"# Warning: 'patchesStrategicMerge' is deprecated. Please use 'patches' instead.\n"
        b'E1201 22:45:56.258840   25353 run.go:72] "command failed" err="accumulating resources: no file"\n'
    )
    assert tool_message(raw, "/tmp/sandbox") == "accumulating resources: no file"


def test_junit_stays_well_formed_with_control_characters() -> None:
    finding = Finding("build/kustomize-failed", Severity.ERROR, "bad\x1b[2J\x00", path="k.yaml", line=1)
    finding.environments = ("env\x07",)
    ElementTree.fromstring(junit_text([finding], ["k.yaml"]))


@needs_kustomize
def test_a_finding_points_at_the_document_of_the_longest_matching_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = FILES["base/ingress.yaml"]
    admin = base.replace("name: app\n", "name: app-admin\n", 1).replace("app.example.com", "admin.example.com")
    files = {
        "base/kustomization.yaml": "resources:\n  - ingress.yaml\n",
        "base/ingress.yaml": base.replace("pass_identity_headers: yes", 'pass_identity_headers: "true"')
        + "---\n"
        + admin,
        "prod/kustomization.yaml": "namespace: prod\nnameSuffix: -blue\nresources:\n  - ../base\n",
    }
    root = write_gitops_repo(tmp_path / "repo", files)
    monkeypatch.chdir(root)
    deployment = analyze_deployed(["."], TranslateOptions(), build_cache=BuildCache(str(tmp_path / "builds")))
    (bad,) = [f for f in deployment.findings if f.rule == "annotation/value"]
    text = (root / "base/ingress.yaml").read_text().splitlines()
    assert "pass_identity_headers: yes" in text[bad.line - 1]
    assert bad.line > line_of(root, "base/ingress.yaml", "name: app-admin")


@needs_kustomize
def test_environments_of_one_name_are_told_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flux = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./overlays/{env}
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
    files = {
        **FILES,
        "clusters/dev/apps.yaml": flux.format(env="dev"),
        "clusters/prod/apps.yaml": flux.format(env="prod"),
    }
    root = write_gitops_repo(tmp_path / "repo", files)
    monkeypatch.chdir(root)
    deployment = analyze_deployed(["."], TranslateOptions(), build_cache=BuildCache(str(tmp_path / "builds")))
    names = [item.environment.name for item in deployment.environments]
    assert "apps (clusters/dev/apps.yaml)" in names and "apps (clusters/prod/apps.yaml)" in names
    assert len(names) == len(set(names))


@needs_kustomize
def test_the_hook_fails_on_a_patch_that_breaks_its_build(tmp_path: Path) -> None:
    root = write_gitops_repo(tmp_path / "repo")
    (root / "overlays/prod/headers.json.yaml").write_text("- op: add\n  path: /nope/0/deep\n  value: 1\n")
    result = pomgate(root, "hook", "--format", "json", "overlays/prod/headers.json.yaml")
    assert result.returncode == 1, result.stdout
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["path"]) for f in findings] == [
        ("build/kustomize-failed", "overlays/prod/kustomization.yaml")
    ]


@needs_kustomize
def test_diff_between_two_revisions_builds_the_environments(tmp_path: Path) -> None:
    root = write_gitops_repo(tmp_path / "repo")
    (root / ".git").rmdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    api = root / "base" / "api.yaml"
    api.write_text(api.read_text().replace("number: 8080", "number: 9090"))
    git(root, "commit", "-q", "-am", "port")
    document = json.loads(pomgate(root, "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json").stdout)
    assert {c["route"]["environment"] for c in document["changed"]} == {"overlays/dev", "overlays/prod"}
