"""The pre-commit hooks, run by the real pre-commit framework on a real git repository.

The project is copied into a throwaway git repository (so pre-commit can pin a revision, as users
do), pre-commit installs it into its own environment once for the module, and the hooks run on a
repository with good and bad manifests: all files, staged files only, and the stale-render hook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ingress, service, simple_rule

PROJECT = Path(__file__).resolve().parents[2]
P = "ingress.pomerium.io"
POLICY = {f"{P}/allowed_domains": '["example.com"]'}
TCP = {**POLICY, f"{P}/tcp_upstream": "true"}


def pre_commit_available() -> bool:
    return shutil.which("pre-commit") is not None or (Path(sys.executable).parent / "pre-commit").exists()


PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit") if pre_commit_available() else "pre-commit"

pytestmark = pytest.mark.skipif(
    not pre_commit_available(), reason="pre-commit is not installed (pip install '.[test]')"
)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def init_repo(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "ci@example.com")
    git(path, "config", "user.name", "CI")
    git(path, "config", "commit.gpgsign", "false")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, dict[str, str]]]:
    """A committed copy of the project (the hook repository), its revision and the environment."""
    copy = tmp_path_factory.mktemp("hooks") / "pomgate"
    ignore = shutil.ignore_patterns(".git", ".venv*", "*_cache", ".pomgate_cache", "__pycache__", "*.egg-info", "build")
    shutil.copytree(PROJECT, copy, ignore=ignore)
    init_repo(copy)
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "snapshot")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=copy, check=True, capture_output=True, text=True).stdout
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }
    yield copy, rev.strip(), env


def run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PRE_COMMIT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def user_repo(root: Path) -> Path:
    init_repo(root)
    (root / "k8s").mkdir()
    (root / "k8s" / "web.yaml").write_text(ingress(name="web", annotations=POLICY) + "---\n" + service())
    tcp_rule = simple_rule(host="db.example.com", path=None, path_type="ImplementationSpecific")
    (root / "k8s" / "db.yaml").write_text(ingress(name="db", annotations=TCP, rules=tcp_rule))
    (root / "README.md").write_text("not a manifest\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def test_manifest_is_valid() -> None:
    result = subprocess.run(
        [PRE_COMMIT, "validate-manifest", str(PROJECT / ".pre-commit-hooks.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_try_repo_passes_a_clean_repo_and_fails_a_bad_file(
    hook_repo: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    copy, _rev, env = hook_repo
    repo = user_repo(tmp_path / "user")
    clean = run(repo, env, "try-repo", str(copy), "pomgate", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout
    (repo / "k8s" / "bad.yaml").write_text(
        ingress(name="bad", annotations={**POLICY, f"{P}/alow_websockets": "true"}, rules=simple_rule(host="b.io"))
    )
    git(repo, "add", "-A")
    bad = run(repo, env, "try-repo", str(copy), "pomgate", "--all-files")
    assert bad.returncode == 1
    assert "k8s/bad.yaml" in bad.stdout
    assert f"unknown {P}/alow_websockets" in bad.stdout and "did you mean" in bad.stdout


def test_staged_file_is_checked_against_the_rest_of_the_repository(
    hook_repo: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    copy, _rev, env = hook_repo
    repo = user_repo(tmp_path / "user")
    tcp_rule = simple_rule(host="db.example.com", path=None, path_type="ImplementationSpecific", port="number: 81")
    (repo / "k8s" / "db2.yaml").write_text(ingress(name="db2", annotations=TCP, rules=tcp_rule))
    git(repo, "add", "k8s/db2.yaml")
    result = run(repo, env, "try-repo", str(copy), "pomgate")  # staged files only
    assert result.returncode == 1
    assert "routing/duplicate-tcp-host" in result.stdout
    assert "k8s/db2.yaml" in result.stdout
    assert "k8s/db.yaml\n" not in result.stdout  # only the changed file is reported


def test_the_hook_runs_the_repository_access_tests(hook_repo: tuple[Path, str, dict[str, str]], tmp_path: Path) -> None:
    copy, _rev, env = hook_repo
    repo = user_repo(tmp_path / "user")
    (repo / ".pomgate").mkdir()
    (repo / ".pomgate" / "access.yaml").write_text(
        "- as: anonymous\n  request: https://app.example.com/\n  expect: deny\n"
        "- as: alice@example.com\n  request: https://app.example.com/\n  expect: allow\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "access tests")
    assert run(repo, env, "try-repo", str(copy), "pomgate", "--all-files").returncode == 0
    public = {f"{P}/allow_public_unauthenticated_access": "true"}
    (repo / "k8s" / "web.yaml").write_text(ingress(name="web", annotations=public) + "---\n" + service())
    git(repo, "add", "k8s/web.yaml")
    result = run(repo, env, "try-repo", str(copy), "pomgate")  # the staged Ingress only
    assert result.returncode == 1, result.stdout
    assert ".pomgate/access.yaml" in result.stdout and "access/test-failed" in result.stdout
    assert "expects deny, got allow" in result.stdout


def test_render_hook_fails_on_a_stale_routes_file(hook_repo: tuple[Path, str, dict[str, str]], tmp_path: Path) -> None:
    copy, rev, env = hook_repo
    repo = user_repo(tmp_path / "user")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {copy}\n    rev: {rev}\n    hooks:\n"
        "      - id: pomgate-render\n        args: [--output, rendered/routes.yaml, k8s/]\n"
    )
    (repo / "rendered").mkdir()
    (repo / "rendered" / "routes.yaml").write_text("routes: []\n")
    git(repo, "add", "-A")
    stale = run(repo, env, "run", "pomgate-render", "--all-files")
    assert stale.returncode == 1
    assert "rendered/routes.yaml is stale" in stale.stdout
    assert "+  - from: https://app.example.com" in stale.stdout
    fresh = subprocess.run(
        [sys.executable, "-m", "pomgate", "render", "-o", "rendered/routes.yaml", "k8s/", "--no-cache"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert fresh.returncode == 0, fresh.stderr
    git(repo, "add", "-A")
    ok = run(repo, env, "run", "pomgate-render", "--all-files")
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_the_hook_with_daemon_answers_later_runs_from_its_worker(
    hook_repo: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    copy, rev, env = hook_repo
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**env, "XDG_RUNTIME_DIR": str(runtime), "POMGATE_WORKER_IDLE": "20"}
    repo = user_repo(tmp_path / "user")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {copy}\n    rev: {rev}\n    hooks:\n      - id: pomgate\n        args: [--daemon]\n"
    )
    git(repo, "add", "-A")
    first = run(repo, env, "run", "pomgate", "--all-files")  # runs in-process, starts the worker
    assert first.returncode == 0, first.stdout + first.stderr
    (repo / "k8s" / "bad.yaml").write_text(
        ingress(name="bad", annotations={**POLICY, f"{P}/alow_websockets": "true"}, rules=simple_rule(host="b.io"))
    )
    git(repo, "add", "-A")
    deadline = time.monotonic() + 60
    while not list((runtime / "pomgate").glob("*.sock")) and time.monotonic() < deadline:
        time.sleep(0.1)
    bad = run(repo, env, "run", "pomgate", "--all-files")
    assert bad.returncode == 1
    assert f"unknown {P}/alow_websockets" in bad.stdout and "k8s/bad.yaml" in bad.stdout
    [log] = (runtime / "pomgate").glob("*.log")
    assert "ran hook" in log.read_text(), "the second run was not answered by the worker"
