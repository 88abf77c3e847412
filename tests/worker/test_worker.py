"""`pomgate hook --daemon`: the real command line as client, a real worker process behind a Unix socket.

Every answer must be the one an ordinary run gives (same stdout, stderr and exit status) while the
repository changes under it: edits, new and deleted files, renamed folders, files that go bad.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.corpus import write_corpus

PROJECT = Path(__file__).resolve().parents[2]
AN_HOUR_AGO = time.time() - 3600


def age(root: Path) -> None:
    """Date every folder an hour back, so the worker may trust its listings of them (not "racy")."""
    for directory, _subdirectories, _files in os.walk(root):
        os.utime(directory, (AN_HOUR_AGO, AN_HOUR_AGO))


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    root = write_corpus(tmp_path / "repo", 30, bad_fraction=0.2)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(PROJECT),
        "XDG_RUNTIME_DIR": str(runtime),  # this test's own socket folder
        "XDG_CACHE_HOME": str(tmp_path / "user-cache"),  # this test's own scan cache (and its key)
        "GIT_CEILING_DIRECTORIES": str(tmp_path),
        "POMGATE_WORKER_IDLE": "120",
    }
    age(root)
    yield root, env
    pomgate(root, env, "worker", "stop")


def pomgate(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def runs_answered(cwd: Path, env: dict[str, str]) -> int | None:
    status = pomgate(cwd, env, "worker", "status")
    if status.returncode != 0:
        return None
    return int(status.stdout.split(": ")[1].split(" runs")[0])


def wait_for_worker(cwd: Path, env: dict[str, str]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answered = runs_answered(cwd, env)
        if answered is not None:
            return answered
        time.sleep(0.1)
    raise AssertionError("no worker started")


def same_as_in_process(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the hook through the worker and in a fresh process; both must say the same."""
    through_worker = pomgate(cwd, env, "hook", *args, "--daemon")
    fresh = pomgate(cwd, env, "hook", *args)
    assert (through_worker.stdout, through_worker.stderr, through_worker.returncode) == (
        fresh.stdout,
        fresh.stderr,
        fresh.returncode,
    )
    return through_worker


def test_worker_answers_exactly_like_a_fresh_process_while_the_repository_changes(
    repo: tuple[Path, dict[str, str]],
) -> None:
    root, env = repo
    ingress = "apps/team-03/app-00003/ingress.yaml"
    first = same_as_in_process(root, env, ingress, "--format", "json")  # no worker yet: runs here, starts one
    assert first.returncode in (0, 1)
    answered = wait_for_worker(root, env)

    def step(*args: str) -> subprocess.CompletedProcess[str]:
        nonlocal answered
        result = same_as_in_process(root, env, *args)
        now = runs_answered(root, env)
        assert now == answered + 1, "the worker did not answer this run"
        answered = now
        return result

    step(ingress, "--format", "json")
    # An edit that breaks the Ingress: the worker must read the new bytes.
    path = root / ingress
    path.write_text(path.read_text().replace('pass_identity_headers: "true"', "pass_identity_headers: true"))
    broken = step(ingress, "--format", "json")
    assert '"rule": "k8s/annotation-not-string"' in broken.stdout and broken.returncode == 1
    # A new folder with a file whose Ingress takes another's host; then the folder is renamed.
    clash = root / "apps/new-team/clash/ingress.yaml"
    clash.parent.mkdir(parents=True)
    clash.write_text(
        (root / "apps/team-04/app-00004/ingress.yaml").read_text().replace("name: app-00004", "name: clash")
    )
    step(str(clash.relative_to(root)), "--format", "json")
    (root / "apps/new-team").rename(root / "apps/renamed-team")
    step("apps/renamed-team/clash/ingress.yaml", "--format", "text", "--fail-on", "warning")
    # A deleted Service (the Ingress now misses it), in a folder the worker had listed an hour "ago".
    workload = root / "apps/team-05/app-00005/workload.yaml"
    workload.unlink()
    os.utime(workload.parent, (AN_HOUR_AGO + 60, AN_HOUR_AGO + 60))  # a changed folder mtime, not "racy"
    missing = step("apps/team-05/app-00005/ingress.yaml", "--format", "json")
    assert "reference/service-missing" in missing.stdout
    # Bad YAML, reported with its line, and a usage error.
    (root / "apps/team-06/app-00006/ingress.yaml").write_text("kind: Ingress\nmetadata: [\n")
    step("apps/team-06/app-00006/ingress.yaml")
    usage = step("--format", "nonsense")
    assert usage.returncode == 2 and "--format" in usage.stderr
    # Every manifest reported (no FILES), as `check` would.
    step("--format", "sarif")


def test_status_stop_and_idle_exit(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    assert pomgate(root, env, "worker", "status").returncode == 1
    assert "no worker" in pomgate(root, env, "worker", "stop").stdout
    pomgate(root, env, "hook", "--daemon", "--format", "json")
    wait_for_worker(root, env)
    stopped = pomgate(root, env, "worker", "stop")
    assert "stopped" in stopped.stdout
    deadline = time.monotonic() + 30
    while runs_answered(root, env) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runs_answered(root, env) is None

    idle_env = {**env, "POMGATE_WORKER_IDLE": "1"}
    pomgate(root, idle_env, "hook", "--daemon", "--format", "json")
    wait_for_worker(root, idle_env)
    deadline = time.monotonic() + 30
    while runs_answered(root, idle_env) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runs_answered(root, idle_env) is None, "the idle worker did not exit"
    sockets = list(Path(env["XDG_RUNTIME_DIR"], "pomgate").glob("*.sock"))
    assert sockets == [], "the worker left its socket behind"

    # SIGTERM (a shutdown, `kill`): the worker cleans up too.
    pomgate(root, env, "hook", "--daemon", "--format", "json")
    wait_for_worker(root, env)
    pid = int(pomgate(root, env, "worker", "status").stdout.split()[1])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while list(Path(env["XDG_RUNTIME_DIR"], "pomgate").glob("*.sock")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(Path(env["XDG_RUNTIME_DIR"], "pomgate").glob("*.sock")) == []
    assert runs_answered(root, env) is None


def test_a_worker_serves_only_its_own_directory(repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    root, env = repo
    pomgate(root, env, "hook", "--daemon", "--format", "json")
    wait_for_worker(root, env)
    other = tmp_path / "other"
    shutil.copytree(root / "apps/team-01", other / "apps")
    # Another directory has no worker yet: its run happens in-process and starts its own.
    assert runs_answered(other, env) is None
    result = pomgate(other, env, "hook", "--daemon", "--format", "json")
    assert result.returncode in (0, 1)
    wait_for_worker(other, env)
    pomgate(other, env, "worker", "stop")


def test_the_worker_writes_the_scan_cache_once_runs_pause(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    packs = Path(env["XDG_CACHE_HOME"], "pomgate", "scan")
    pomgate(root, env, "hook", "--daemon", "--format", "json", "--no-cache")  # in-process, writes nothing
    wait_for_worker(root, env)
    pomgate(root, env, "hook", "--daemon", "--format", "json")
    deadline = time.monotonic() + 30
    while not list(packs.glob("*/scan.pack")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(list(packs.glob("*/scan.pack"))) == 1
    assert not (root / ".pomgate_cache").exists(), "nothing is written into the repository"
    # A fresh process reads what the worker wrote: same answer.
    same_as_in_process(root, env, "apps/team-02/app-00002/ingress.yaml", "--format", "json")
