"""discover(): which files a scan reads, in which order, under which display path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pomgate.findings import Severity
from pomgate.scanning.discover import STDIN_DISPLAY, InputFile, discover


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("kind: ConfigMap\n")


def display_paths(paths: list[str]) -> list[str]:
    inputs, findings = discover(paths)
    assert findings == []
    return [item.display_path for item in inputs]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small repo-like tree, not inside a git work tree; the current directory is its root."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    touch(
        tmp_path,
        "b.yaml",
        "a.yml",
        "c.json",
        "README.md",
        "notes.txt",
        "z.YAML",
        "apps/web/ingress.yaml",
        "apps/web/service.yml",
        "apps/api/all.yaml",
        "apps/api/sub/deep.json",
        ".git/config.yaml",
        ".github/workflows/ci.yaml",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_directory_walk_is_recursive_sorted_and_filtered(tree: Path) -> None:
    assert display_paths(["."]) == [
        "a.yml",
        "b.yaml",
        "c.json",  # a directory's files first, sorted by name
        ".github/workflows/ci.yaml",
        "apps/api/all.yaml",
        "apps/api/sub/deep.json",
        "apps/web/ingress.yaml",
        "apps/web/service.yml",
    ]


def test_walk_order_is_stable(tree: Path) -> None:
    assert display_paths(["."]) == display_paths([str(tree)])


def test_explicit_files_are_read_whatever_their_extension(tree: Path) -> None:
    inputs, findings = discover(["notes.txt", "apps/web"])
    assert findings == []
    assert inputs == [
        InputFile("notes.txt", "notes.txt"),
        InputFile("apps/web/ingress.yaml", os.path.join("apps/web", "ingress.yaml")),
        InputFile("apps/web/service.yml", os.path.join("apps/web", "service.yml")),
    ]


def test_missing_path_is_an_error_finding(tree: Path) -> None:
    inputs, findings = discover(["b.yaml", "nope.yaml", "gone/"])
    assert [item.display_path for item in inputs] == ["b.yaml"]
    assert [(f.rule, f.severity, f.path) for f in findings] == [
        ("input/not-found", Severity.ERROR, "nope.yaml"),
        ("input/not-found", Severity.ERROR, "gone/"),
    ]
    assert "nope.yaml" in findings[0].message


def test_dash_means_stdin_once(tree: Path) -> None:
    inputs, findings = discover(["-", "b.yaml", "-"])
    assert findings == []
    assert inputs == [InputFile(STDIN_DISPLAY, None), InputFile("b.yaml", "b.yaml")]
    assert inputs[0].is_stdin
    assert STDIN_DISPLAY == "<stdin>"


def test_a_file_named_twice_is_read_once(tree: Path) -> None:
    assert display_paths(["b.yaml", "./b.yaml", str(tree / "b.yaml"), "."])[:2] == ["b.yaml", "a.yml"]


def test_display_paths_are_relative_under_the_current_directory(tree: Path) -> None:
    assert display_paths([str(tree / "apps" / "api")]) == ["apps/api/all.yaml", "apps/api/sub/deep.json"]
    assert display_paths([str(tree / "c.json")]) == ["c.json"]


def test_display_paths_outside_the_current_directory_stay_as_given(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree / "apps" / "web")
    assert display_paths(["../api", str(tree / "b.yaml")]) == [
        "../api/all.yaml",
        "../api/sub/deep.json",
        str(tree / "b.yaml"),
    ]


def test_symlinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "root"
    touch(root, "real/one.yaml", "two.yaml")
    touch(tmp_path, "outside/secret.yaml")
    (root / "linked-dir").symlink_to(root / "real", target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "alias.yaml").symlink_to(root / "real" / "one.yaml")
    (root / "escape.yaml").symlink_to(tmp_path / "outside" / "secret.yaml")
    (root / "dangling.yaml").symlink_to(root / "missing.yaml")
    monkeypatch.chdir(root)
    # alias.yaml is read (inside the root) and real/one.yaml, the same file, is not read again;
    # linked-dir and loop are not entered, escape.yaml points outside, dangling.yaml points nowhere.
    inputs, findings = discover(["."])
    assert [item.display_path for item in inputs] == ["alias.yaml", "two.yaml"]
    assert sorted((f.path, f.severity.value) for f in findings if f.rule == "input/link-not-followed") == [
        ("dangling.yaml", "info"),
        ("escape.yaml", "warning"),
        ("linked-dir", "info"),
        ("loop", "info"),
    ]
    # Named explicitly, a link is read wherever it points; a named directory link is walked.
    assert display_paths(["escape.yaml"]) == ["escape.yaml"]
    assert display_paths(["linked-dir"]) == ["linked-dir/one.yaml"]


def test_two_link_loops_are_skipped_with_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    touch(tmp_path, "ok.yaml")
    (tmp_path / "a").symlink_to("b")  # a -> b -> a: asking whether it is a directory raises ELOOP
    (tmp_path / "b").symlink_to("a")
    (tmp_path / "c.yaml").symlink_to("d.yaml")
    (tmp_path / "d.yaml").symlink_to("c.yaml")
    monkeypatch.chdir(tmp_path)
    inputs, findings = discover(["."])
    assert [item.display_path for item in inputs] == ["ok.yaml"]
    # A loop with a manifest's name is reported; one without is skipped like any other file.
    assert sorted((f.rule, f.path, f.severity.value) for f in findings) == [
        ("input/link-not-followed", "c.yaml", "info"),
        ("input/link-not-followed", "d.yaml", "info"),
    ]
    assert "symbolic link loop" in findings[0].message
    inputs, findings = discover(["c.yaml"])  # named on the command line
    assert inputs == []
    assert [(f.rule, f.message) for f in findings] == [
        ("input/not-found", "c.yaml: a symbolic link loop (it never reaches a file)")
    ]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@needs_git
def test_files_git_ignores_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("build/\n*.local.yaml\nsecrets/\n")
    touch(
        tmp_path,
        "apps/a.yaml",
        "apps/a.local.yaml",
        "build/out.yaml",
        "apps/build/gen.yaml",
        "secrets/tracked.yaml",
        "secrets/untracked.yaml",
        "new/b.yaml",
    )
    git(tmp_path, "add", ".gitignore", "apps/a.yaml")
    git(tmp_path, "add", "-f", "secrets/tracked.yaml")  # tracked files are never ignored
    git(tmp_path, "commit", "-q", "-m", "init")
    monkeypatch.chdir(tmp_path)
    assert display_paths(["."]) == ["apps/a.yaml", "new/b.yaml", "secrets/tracked.yaml"]
    assert display_paths(["apps"]) == ["apps/a.yaml"]
    # A file named explicitly is read even when ignored; so is a directory that is itself ignored.
    assert display_paths(["apps/a.local.yaml"]) == ["apps/a.local.yaml"]
    assert display_paths(["build"]) == ["build/out.yaml"]


@needs_git
def test_git_hook_environment_does_not_redirect_the_ignore_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("ignored.yaml\n")
    touch(tmp_path, "kept.yaml", "ignored.yaml")
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(tmp_path)
    assert display_paths(["."]) == ["kept.yaml"]


def test_without_git_nothing_is_filtered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".gitignore").write_text("*.yaml\n")
    touch(tmp_path, "a.yaml")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.chdir(tmp_path)
    assert display_paths(["."]) == ["a.yaml"]
