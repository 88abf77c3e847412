"""Two symlinks pointing at each other (``a -> b``, ``b -> a``) inside the scanned folder.

Asking whether such a link is a directory raises ELOOP; `pomgate check` and `pomgate diff` (whose
working-tree side walks the folder when git's index cannot vouch for it) used to end in a traceback.
Both now skip the loop, reporting it as ``input/link-not-followed`` where a finding applies.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {mode: fast}\n"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def pomgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT), "GIT_CEILING_DIRECTORIES": str(cwd.parent)},
        timeout=120,
    )


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def make_loops(folder: Path) -> None:
    """A loop named like a manifest, and one named like a folder."""
    (folder / "a.yaml").symlink_to("b.yaml")
    (folder / "b.yaml").symlink_to("a.yaml")
    (folder / "left").symlink_to("right")
    (folder / "right").symlink_to("left")


def test_check_skips_a_symlink_loop(tmp_path: Path) -> None:
    k8s = tmp_path / "k8s"
    k8s.mkdir()
    (k8s / "config.yaml").write_text(CONFIGMAP % "config")
    make_loops(k8s)
    done = pomgate(tmp_path, "check", "k8s", "--no-cache", "--format", "json")
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["summary"]["objects"] == 1
    loops = sorted(f["path"] for f in report["findings"] if f["rule"] == "input/link-not-followed")
    assert loops == ["k8s/a.yaml", "k8s/b.yaml"]
    text = pomgate(tmp_path, "check", "k8s", "--no-cache")
    assert "Traceback" not in text.stderr
    assert "symbolic link loop" in text.stdout


@needs_git
@pytest.mark.parametrize("committed", [False, True], ids=["untracked loop", "committed loop"])
def test_diff_skips_a_symlink_loop_in_the_working_tree(tmp_path: Path, committed: bool) -> None:
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "k8s" / "config.yaml").write_text(CONFIGMAP % "config")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    make_loops(repo / "k8s")
    (repo / "k8s" / "more.yaml").write_text(CONFIGMAP % "more")
    if committed:  # git's index then holds symlinks: the working tree is walked, loops and all
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "loops")
    for args in (["--base", "HEAD"], ["--base", "HEAD", "--format", "json"]):
        done = pomgate(repo, "diff", "--no-cache", *args)
        assert "Traceback" not in done.stderr
        assert done.returncode == 0, done.stderr[-2000:]
    done = pomgate(repo, "diff", "--no-cache", "--base", "HEAD~1" if committed else "HEAD", "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    json.loads(done.stdout)
