"""`pomgate diff` on a repository with overlays: a base change shows in every environment that builds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pomgate.diff.gitread import open_repository, repository_prefixes
from pomgate.environments.diff import changed_environments, sides
from tests.environments.gitops_repo import FILES, needs_kustomize, write_gitops_repo

PROJECT = Path(__file__).resolve().parents[2]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = {**FILES, "overlays/other/kustomization.yaml": "namespace: other\nresources:\n  - ../../plain\n"}
    root = write_gitops_repo(tmp_path / "repo", files)
    (root / ".git").rmdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return root


def diff(root: Path, *args: str, output_format: str = "json") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", "diff", "--base", "HEAD", "--format", output_format, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(PROJECT)},
    )


def make_api_public(root: Path) -> None:
    api = root / "base" / "api.yaml"
    api.write_text(
        api.read_text().replace(
            "ingress.pomerium.io/allowed_users: '[\"alice@example.com\"]'",
            'ingress.pomerium.io/allow_public_unauthenticated_access: "true"',
        )
    )


def test_only_environments_whose_inputs_changed_are_compared(repo: Path) -> None:
    make_api_public(repo)
    (repo / "plain" / "notes.yaml").write_text("# not a manifest\n")  # read by overlays/other? no: not listed
    git_repo = open_repository(".")
    before, after = sides(git_repo, "HEAD", None, repository_prefixes(git_repo, []))
    assert changed_environments(before, after) == ["overlays/broken", "overlays/dev", "overlays/prod"]


@needs_kustomize
def test_a_base_change_shows_in_each_environment_that_builds_it(repo: Path) -> None:
    make_api_public(repo)
    result = diff(repo)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    changed = {(c["route"]["environment"], c["route"]["from"]) for c in document["changed"]}
    assert changed == {("overlays/dev", "https://api.example.com"), ("overlays/prod", "https://api.example.com")}
    risks = [(r["kind"], r.get("environment")) for r in document["risks"]]
    assert sorted(risks) == [("became_public", "overlays/dev"), ("became_public", "overlays/prod")]
    # The base file is not a plain manifest on either side: no raw-file findings about it.
    assert not [
        f for f in document["findings"]["introduced"] if f["path"] == "base/api.yaml" and not f.get("environments")
    ]
    markdown = diff(repo, "--format", "markdown").stdout.replace("--format json", "")
    assert "[overlays/prod]" in markdown and "[overlays/dev]" in markdown


@needs_kustomize
def test_a_mistake_added_to_a_prod_patch_is_introduced_for_prod_only(repo: Path) -> None:
    patch = repo / "overlays" / "prod" / "headers.json.yaml"
    patch.write_text(
        patch.read_text()
        + "- op: add\n  path: /metadata/annotations/ingress.pomerium.io~1idle_timeout\n  value: forever\n"
    )
    result = diff(repo)
    assert result.returncode == 1, result.stderr
    introduced = json.loads(result.stdout)["findings"]["introduced"]
    assert [(f["path"], f["environments"]) for f in introduced] == [
        ("overlays/prod/headers.json.yaml", ["overlays/prod"])
    ]
    assert introduced[0]["line"] == len(patch.read_text().splitlines())


@needs_kustomize
def test_no_build_reads_the_raw_files_as_before(repo: Path) -> None:
    make_api_public(repo)
    document = json.loads(diff(repo, "--no-build").stdout)
    assert all("environment" not in c["route"] for c in document["changed"])


@needs_kustomize
def test_an_application_names_its_environment_in_the_diff_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.environments.test_applications import APPLICATIONS, REPO_URL

    root = write_gitops_repo(tmp_path / "apps-repo", {**FILES, **APPLICATIONS})
    (root / ".git").rmdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", REPO_URL)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    make_api_public(root)
    document = json.loads(diff(root).stdout)
    changed = {(c["route"]["environment"], tuple(c["route"]["to"])) for c in document["changed"]}
    # app-prod deploys overlays/prod with nameSuffix -blue: the same upstream as `check` shows.
    assert ("app-prod", ("http://api-v2-blue.prod.svc.cluster.local:8080",)) in changed
    assert "overlays/prod" not in {name for name, _to in changed}
    # A plain folder deployed by an ApplicationSet: its objects take the destination namespace.
    blue = root / "teams" / "blue" / "ingress.yaml"
    blue.write_text(blue.read_text().replace("blue@example.com", "navy@example.com"))
    document = json.loads(diff(root).stdout)
    teams = [(c["route"]["environment"], c["route"]["to"]) for c in document["changed"] if "blue" in c["route"]["from"]]
    assert teams == [("team-blue", ["http://blue.blue.svc.cluster.local:80"])]
