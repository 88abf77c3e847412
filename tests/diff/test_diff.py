"""`pomgate diff` on a real git repository: a base commit and a pull-request commit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pomgate.diff.gitread import open_repository, revision_files, worktree_files
from pomgate.diff.run import diff_revisions
from pomgate.translation.options import TranslateOptions
from tests.helpers import ingress, service, simple_rule

P = "ingress.pomerium.io"
USERS = {f"{P}/allowed_users": '["alice@example.com"]'}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def tcp(name: str, host: str, port: int) -> str:
    rule = simple_rule(host=host, path=None, path_type="ImplementationSpecific", port=f"number: {port}")
    return ingress(name=name, annotations={**USERS, f"{P}/tcp_upstream": "true"}, rules=rule)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Base: wiki (users), admin (users), old (to be removed), db (TCP), docs (identity headers)."""
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "ci@example.com")
    git(tmp_path, "config", "user.name", "CI")
    k8s = tmp_path / "k8s"
    k8s.mkdir()
    (k8s / "services.yaml").write_text(service() + "---\n" + service(name="other"))
    (k8s / "wiki.yaml").write_text(ingress(name="wiki", annotations=USERS, rules=simple_rule(host="wiki.example.com")))
    (k8s / "admin.yaml").write_text(
        ingress(name="admin", annotations=USERS, rules=simple_rule(host="admin.example.com"))
    )
    (k8s / "old.yaml").write_text(ingress(name="old", annotations=USERS, rules=simple_rule(host="old.example.com")))
    (k8s / "db.yaml").write_text(tcp("db", "db.example.com", 5432))
    docs_annotations = {**USERS, f"{P}/pass_identity_headers": "true"}
    (k8s / "docs.yaml").write_text(
        ingress(name="docs", annotations=docs_annotations, rules=simple_rule(host="docs.example.com"))
    )
    (tmp_path / "README.md").write_text("unrelated\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    # The pull request.
    (k8s / "wiki.yaml").write_text(
        ingress(
            name="wiki",
            annotations={f"{P}/allow_public_unauthenticated_access": "true"},
            rules=simple_rule(host="wiki.example.com"),
        )
    )
    (k8s / "admin.yaml").write_text(
        ingress(
            name="admin",
            annotations={f"{P}/allowed_users": '["alice@example.com", "mallory@evil.test"]'},
            rules=simple_rule(host="admin.example.com"),
        )
    )
    (k8s / "old.yaml").unlink()
    (k8s / "db2.yaml").write_text(tcp("db2", "db.example.com", 6379))
    (k8s / "new.yaml").write_text(
        ingress(name="a-new", annotations=USERS, rules=simple_rule(host="docs.example.com", service="other"))
    )
    (k8s / "docs.yaml").write_text(
        ingress(
            name="docs",
            annotations={**USERS, f"{P}/pass_identity_headers": "false", f"{P}/tls_skip_verify": "true"},
            rules=simple_rule(host="docs.example.com"),
        )
    )
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "pull request")
    return tmp_path


def run_diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", "diff", "--no-cache", *args], cwd=repo, capture_output=True, text=True
    )


def test_every_change_and_risk_of_the_pull_request(repo: Path) -> None:
    done = run_diff(repo, "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
    assert done.returncode == 1, done.stderr  # the duplicated TCP host is a new error
    report = json.loads(done.stdout)
    added = {(r["ingress"]["name"], r["from"]) for r in report["added"]}
    assert added == {("db2", "tcp+https://db.example.com:6379"), ("a-new", "https://docs.example.com")}
    assert [(r["ingress"]["name"], r["from"]) for r in report["removed"]] == [("old", "https://old.example.com")]
    changed = {c["route"]["ingress"]["name"]: c for c in report["changed"]}
    assert set(changed) == {"wiki", "admin", "docs"}
    assert changed["admin"]["fields"] == ["allowed_users"]
    assert changed["admin"]["after"]["allowed_users"] == ["alice@example.com", "mallory@evil.test"]
    assert "tls_skip_verify" in changed["docs"]["fields"] and "pass_identity_headers" in changed["docs"]["fields"]
    kinds = [r["kind"] for r in report["risks"]]
    assert kinds[0] == "became_public"  # the most serious first
    assert {"became_public", "policy_widened", "tls_skip_verify", "identity_headers_off", "route_removed"} <= set(kinds)
    assert "host_takeover" in kinds  # a-new sorts before docs: it now answers docs.example.com /
    widened = next(r for r in report["risks"] if r["kind"] == "policy_widened")
    assert "mallory@evil.test" in widened["detail"]
    introduced = {f["rule"] for f in report["findings"]["introduced"]}
    assert "routing/duplicate-tcp-host" in introduced and "access/public-route" in introduced
    assert report["summary"]["added"] == 2 and report["summary"]["removed"] == 1


def test_working_tree_is_the_default_head_and_old_debt_does_not_fail(repo: Path) -> None:
    (repo / "k8s" / "extra.yaml").write_text(
        ingress(name="extra", annotations=USERS, rules=simple_rule(host="extra.example.com"))
    )
    done = run_diff(repo, "--base", "HEAD", "k8s/")
    assert done.returncode == 0, done.stdout + done.stderr  # the TCP duplicate is in the base already
    assert "1 added, 0 removed, 0 changed" in done.stdout
    assert "+ https://extra.example.com prefix / -> http://svc.default.svc.cluster.local:80" in done.stdout


def test_unchanged_blobs_are_parsed_once(repo: Path) -> None:
    git_repo = open_repository(str(repo))
    result, scans = diff_revisions(git_repo, "HEAD~1", "HEAD", [str(repo)], TranslateOptions())
    base_files = revision_files(git_repo, "HEAD~1", [""])
    head_files = revision_files(git_repo, "HEAD", [""])
    distinct = {(f.path, f.blob) for f in base_files} | {(f.path, f.blob) for f in head_files}
    assert scans.parses == len(distinct) < len(base_files) + len(head_files)
    assert result.added


def test_a_warm_cache_neither_reads_nor_parses_unaffected_blobs(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for index in range(30):
        host = f"app{index}.example.com"
        (root / f"app{index}.yaml").write_text(
            service(name=f"svc{index}") + "---\n" + ingress(name=f"app{index}", rules=simple_rule(host=host))
        )
    git(root, "add", "-A")
    git(root, "-c", "user.email=ci@example.com", "-c", "user.name=CI", "commit", "-q", "-m", "base")
    (root / "app7.yaml").write_text((root / "app7.yaml").read_text().replace("app7.example.com", "seven.example.com"))
    git(root, "-c", "user.email=ci@example.com", "-c", "user.name=CI", "commit", "-q", "-am", "one file")
    from pomgate.diff.compare import diff_json
    from pomgate.scanning.cache import ScanCache

    git_repo = open_repository(str(root))
    cold, scans = diff_revisions(
        git_repo, "HEAD~1", "HEAD", [str(root)], TranslateOptions(), cache=ScanCache.open(tmp_path / "c")
    )
    assert scans.parses == 31  # 30 files, one of them in two versions
    scans.cache.save(background=False)  # type: ignore[union-attr]
    warm, scans = diff_revisions(
        git_repo, "HEAD~1", "HEAD", [str(root)], TranslateOptions(), cache=ScanCache.open(tmp_path / "c")
    )
    assert scans.parses == 1  # the cache keeps one version per path: the other version of app7.yaml
    changed = {git(root, "rev-parse", f"{rev}:app7.yaml") for rev in ("HEAD~1", "HEAD")}
    assert set(scans.contents) == changed  # only the blobs of the affected file were read, for their lines
    assert diff_json(warm) == diff_json(cold)
    assert [route["from"] for route in diff_json(warm)["added"]] == ["https://seven.example.com"]


def test_worktree_and_head_read_the_same_files(repo: Path) -> None:
    git_repo = open_repository(str(repo))
    from_git = [(f.path, f.blob) for f in revision_files(git_repo, "HEAD", [""])]
    from_disk = [(f.path, f.blob) for f in worktree_files(git_repo, [""])]
    assert from_git == from_disk


def test_usage_errors_exit_2(repo: Path) -> None:
    done = run_diff(repo, "--base", "no-such-branch")
    assert done.returncode == 2 and "unknown revision 'no-such-branch'" in done.stderr
    outside = subprocess.run(
        [sys.executable, "-m", "pomgate", "diff", "--base", "HEAD"], cwd="/", capture_output=True, text=True
    )
    assert outside.returncode == 2 and "not inside a git repository" in outside.stderr


def test_text_report_is_coloured_only_when_asked(repo: Path) -> None:
    plain = run_diff(repo, "--base", "HEAD~1", "--head", "HEAD", "--color", "never")
    assert "\x1b[" not in plain.stdout and plain.stdout.startswith("pomgate diff HEAD~1..HEAD:")
    coloured = run_diff(repo, "--base", "HEAD~1", "--head", "HEAD", "--color", "always")
    assert "\x1b[" in coloured.stdout and "became_public" in coloured.stdout


def test_the_working_tree_from_git_index_matches_the_walk(repo: Path) -> None:
    from pomgate.diff.gitread import worktree_listing

    k8s = repo / "k8s"
    (k8s / "wiki.yaml").write_text((k8s / "wiki.yaml").read_text() + "# edited, not staged\n")
    (k8s / "admin.yaml").unlink()  # deleted, not staged
    (k8s / "new.yaml").write_text(ingress(name="new", rules=simple_rule(host="new.example.com")))  # untracked
    (repo / ".gitignore").write_text("ignored.yaml\n")
    (k8s / "ignored.yaml").write_text(ingress(name="ignored", rules=simple_rule(host="ignored.example.com")))
    (k8s / "notes.txt").write_text("not a manifest\n")
    git_repo = open_repository(str(repo))
    for prefixes in ([""], ["k8s"], ["k8s/wiki.yaml"]):
        found = worktree_listing(git_repo, prefixes)
        assert found is not None
        listing, read = found
        walked = [(f.path, f.blob) for f in worktree_files(git_repo, prefixes)]
        assert listing == walked
    listing, read = worktree_listing(git_repo, [""])  # type: ignore[misc]
    read_paths = {path for path, blob in listing if blob in read}
    assert read_paths == {"k8s/wiki.yaml", "k8s/new.yaml"}  # only what git says differs or is untracked
    (k8s / "link.yaml").symlink_to(k8s / "wiki.yaml")
    git(repo, "add", "k8s/link.yaml")
    assert worktree_listing(git_repo, [""]) is None  # symlinks: the walker's rules apply
