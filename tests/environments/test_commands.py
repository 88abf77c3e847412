"""The commands on a GitOps repository: hook, check formats, configuration (build: false, environments:)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environments.gitops_repo import FILES, line_of, needs_kustomize, write_gitops_repo

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_gitops_repo(tmp_path / "repo")


def pomgate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "XDG_CACHE_HOME": str(root.parent / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


@needs_kustomize
def test_the_hook_on_a_base_file_reports_it_for_every_overlay_that_builds_it(repo: Path) -> None:
    result = pomgate(repo, "hook", "--format", "json", "base/ingress.yaml")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    # Only the file's findings, and the build failure of the overlay that builds it too (overlays/broken).
    assert {f["path"] for f in findings if not f["rule"].startswith("build/")} == {"base/ingress.yaml"}
    assert {f["path"] for f in findings if f["rule"].startswith("build/")} == {"overlays/broken/kustomization.yaml"}
    (bad,) = [f for f in findings if f["rule"] == "annotation/value"]
    assert bad["environments"] == ["overlays/dev", "overlays/prod"]
    assert bad["line"] == line_of(repo, "base/ingress.yaml", "pass_identity_headers")
    # A file only prod reads: reported for prod; a plain file: as before.
    prod = json.loads(pomgate(repo, "hook", "--format", "json", "overlays/prod/policy.yaml").stdout)["findings"]
    assert [(f["rule"], f["environments"]) for f in prod] == [("policy/invalid", ["overlays/prod"])]
    plain = json.loads(pomgate(repo, "hook", "--format", "json", "plain/ingress.yaml").stdout)["findings"]
    assert plain and all(f["path"] == "plain/ingress.yaml" for f in plain)


@needs_kustomize
def test_text_and_github_formats_name_the_environments(repo: Path) -> None:
    text = pomgate(repo, "check", "--color", "never", ".").stdout
    assert "[environments: overlays/dev, overlays/prod]" in text
    github = pomgate(repo, "check", "--format", "github", ".").stdout
    assert any("base/ingress.yaml" in line and "overlays/dev, overlays/prod" in line for line in github.splitlines())


def test_build_false_in_the_configuration_reads_every_file_as_it_is(repo: Path) -> None:
    (repo / ".pomgate.yaml").write_text("build: false\n")
    findings = json.loads(pomgate(repo, "check", "--format", "json", ".").stdout)["findings"]
    assert not any(f.get("environments") for f in findings)
    # Read raw, the base's unquoted true is what kubectl would refuse, and the patch is a broken Ingress.
    assert {"k8s/annotation-not-string", "k8s/ingress-spec"} <= {f["rule"] for f in findings}
    (repo / ".pomgate.yaml").write_text("build: maybe\n")
    refused = pomgate(repo, "check", ".")
    assert refused.returncode == 2 and "build must be true or false" in refused.stderr


@needs_kustomize
def test_configured_environments_group_roots_that_share_a_cluster(repo: Path) -> None:
    # dev and prod both route api.example.com: separate environments see no conflict ...
    apart = json.loads(pomgate(repo, "check", "--format", "json", ".").stdout)["findings"]
    assert not [f for f in apart if f["rule"].startswith("routing/") and "api.example.com" in f["message"]]
    # ... one cluster holding both does: the same host from two namespaces.
    (repo / ".pomgate.yaml").write_text("environments:\n  cluster: [overlays/dev, overlays/prod]\n")
    together = json.loads(pomgate(repo, "check", "--format", "json", ".").stdout)["findings"]
    shared = [f for f in together if f["rule"] == "routing/cross-namespace-host"]
    assert shared and all(f["environments"] == ["cluster"] for f in shared)
    names = json.loads(pomgate(repo, "render", "--format", "json", ".").stdout)["environments"]
    assert "cluster" in [item["name"] for item in names]


@pytest.mark.parametrize("files", [FILES])
def test_no_build_on_the_command_line(tmp_path: Path, files: dict[str, str]) -> None:
    root = write_gitops_repo(tmp_path / "repo", files)
    result = pomgate(root, "render", "--no-build", "--format", "json", ".")
    assert "environments" not in json.loads(result.stdout)
