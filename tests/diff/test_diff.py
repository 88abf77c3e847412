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
    assert {"became_public", "access_widened", "tls_skip_verify", "identity_headers_off", "route_removed"} <= set(kinds)
    assert "host_takeover" in kinds  # a-new sorts before docs: it now answers docs.example.com /
    widened = next(r for r in report["risks"] if r["kind"] == "access_widened")
    assert "mallory@evil.test" in widened["detail"]
    assert [c.get("email") for c in widened["classes"]] == ["mallory@evil.test", None]  # by email, or by user id
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


# ---------------------------------------------------------------- the gate is the base revision's


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.email=ci@example.com", "-c", "user.name=CI", "commit", "-q", "-m", message)


def team_ingress(name: str, namespace: str, host: str, path: str = "/", extra: dict[str, str] | None = None) -> str:
    return ingress(
        name=name, namespace=namespace, annotations={**USERS, **(extra or {})}, rules=simple_rule(host=host, path=path)
    )


def gated_repository(root: Path, config: str) -> Path:
    """Base: `.pomgate.yaml` with ``config`` and team-a's wiki Ingress on app.example.com."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    k8s = root / "k8s"
    k8s.mkdir()
    (root / ".pomgate.yaml").write_text(config)
    (k8s / "wiki.yaml").write_text(
        service(namespace="team-a") + "---\n" + team_ingress("wiki", "team-a", "app.example.com")
    )
    commit_all(root, "base")
    return root


@pytest.fixture
def gated(tmp_path: Path) -> Path:
    """The base configuration fails on errors and lets only team-a serve app.example.com."""
    return gated_repository(tmp_path / "gated", "fail-on: error\nhosts:\n  app.example.com: [team-a]\n")


def risks_of(done: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    report = json.loads(done.stdout)
    found: dict[str, list[str]] = {}
    for risk in report["risks"]:
        found.setdefault(risk["kind"], []).append(risk["detail"])
    return found


def test_the_pull_request_cannot_switch_its_gate_off_through_the_configuration(tmp_path: Path) -> None:
    """Reproduction: a public route plus `ingress-class: not-pomerium` in the PR's config gave 0 risks, exit 0."""
    gated = gated_repository(tmp_path / "repro", "fail-on: error\n")
    public = {f"{P}/allow_public_unauthenticated_access": "true"}
    (gated / "k8s" / "wiki.yaml").write_text(
        service(namespace="team-a")
        + "---\n"
        + ingress(name="wiki", namespace="team-a", annotations=public, rules=simple_rule(host="app.example.com"))
    )
    bad_policy = {f"{P}/policy": "allow: {maybe: []}"}
    (gated / "k8s" / "docs.yaml").write_text(
        ingress(name="docs", namespace="team-a", annotations=bad_policy, rules=simple_rule(host="docs.example.com"))
    )
    (gated / ".pomgate.yaml").write_text("fail-on: never\ningress-class: not-pomerium\nignore: [policy, access]\n")
    commit_all(gated, "pull request")
    for head in (["--head", "HEAD"], []):  # a commit, and the working tree
        done = run_diff(gated, "--base", "HEAD~1", *head, "--format", "json")
        assert done.returncode == 1, done.stdout + done.stderr  # the base's fail-on and rules still apply
        report = json.loads(done.stdout)
        assert "policy/invalid" in {f["rule"] for f in report["findings"]["introduced"]}
        risks = risks_of(done)
        assert "became_public" in risks  # the route is still judged as the controller's
        (change,) = risks["config_changed"]
        where = "HEAD:.pomgate.yaml" if head else ".pomgate.yaml"
        assert change.startswith(f"the change to {where} would loosen the checks: stops reporting")
        assert "policy/invalid" in change and "access/public-route" in change
        assert "changes ingress-class from 'pomerium' to 'not-pomerium'" in change
        assert "raises fail-on from 'error' to 'never'" in change
        config_risk = next(r for r in report["risks"] if r["kind"] == "config_changed")
        assert config_risk["route"] is None  # not about one route


def test_config_changed_is_in_every_diff_format(gated: Path) -> None:
    (gated / ".pomgate.yaml").write_text("fail-on: error\nhosts:\n  app.example.com: [team-a, team-b]\n")
    commit_all(gated, "share the host")
    text = run_diff(gated, "--base", "HEAD~1", "--head", "HEAD", "--format", "text")
    assert "! config_changed" in text.stdout and "lets namespace(s) team-b serve 'app.example.com'" in text.stdout
    assert "1 risk(s)" in text.stdout
    markdown = run_diff(gated, "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown")
    assert "#### Risks" in markdown.stdout and "team-b serve" in markdown.stdout
    assert "| Risks | 1 |" in markdown.stdout
    as_json = run_diff(gated, "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
    assert list(risks_of(as_json)) == ["config_changed"] and json.loads(as_json.stdout)["summary"]["risks"] == 1
    from pomgate.diff.markdown import markdown_from_json
    from pomgate.diff.publish import load_diff_json

    artifact = gated / "pomgate.json"  # the workflow_run pattern: the comment is built from the JSON artifact
    artifact.write_text(as_json.stdout)
    assert "team-b serve" in markdown_from_json(load_diff_json(str(artifact)))


def test_a_route_on_a_host_owned_by_another_namespace_is_a_risk_and_an_error(gated: Path) -> None:
    """The PR adds team-b's route on team-a's host, allows itself in its config and suppresses the finding."""
    (gated / "k8s" / "grab.yaml").write_text(
        service(namespace="team-b")
        + "---\n"
        + team_ingress(
            "grab",
            "team-b",
            "app.example.com",
            "/admin",
            {"pomgate.io/ignore": "routing/cross-namespace-host: mine now"},
        )
    )
    (gated / ".pomgate.yaml").write_text("fail-on: error\nhosts:\n  app.example.com: [team-a, team-b]\n")
    commit_all(gated, "take the host")
    done = run_diff(gated, "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    risks = risks_of(done)
    (violation,) = risks["host_not_allowed"]
    assert "Ingress team-b/grab serves app.example.com from namespace team-b" in violation
    assert "reserves it for namespace(s) team-a" in violation
    assert "team-b serve 'app.example.com'" in risks["config_changed"][0]
    (suppression,) = risks["suppression_added"]
    assert "Ingress team-b/grab adds pomgate.io/ignore 'routing/cross-namespace-host: mine now'" in suppression
    introduced = json.loads(done.stdout)["findings"]["introduced"]
    errors = [f for f in introduced if f["rule"] == "routing/cross-namespace-host"]
    assert [(f["severity"], f["object"]["name"]) for f in errors] == [("error", "grab")]


def test_a_new_suppression_is_a_risk(repo: Path) -> None:
    """Reproduction: a PR could hide its own new error behind a `pomgate.io/ignore` annotation, unseen."""
    (repo / "k8s" / "db3.yaml").write_text(
        tcp("db3", "db.example.com", 6380).replace(
            "  annotations:\n", '  annotations:\n    pomgate.io/ignore: "routing/duplicate-tcp-host: trust me"\n', 1
        )
    )
    done = run_diff(repo, "--base", "HEAD", "--format", "json", "k8s/")
    introduced = json.loads(done.stdout)["findings"]["introduced"]
    assert not [f for f in introduced if f["object"] and f["object"]["name"] == "db3"]  # hidden, as asked
    (suppression,) = risks_of(done)["suppression_added"]
    assert suppression.startswith("Ingress default/db3 adds pomgate.io/ignore 'routing/duplicate-tcp-host: trust me'")
    commit_all(repo, "suppressed")
    db3 = repo / "k8s" / "db3.yaml"
    db3.write_text(db3.read_text().replace("trust me", "shared bastion, see OPS-1"))  # a reworded reason
    assert "suppression_added" not in risks_of(run_diff(repo, "--base", "HEAD", "--format", "json", "k8s/"))


def test_an_explicit_config_is_used_as_given(gated: Path, tmp_path: Path) -> None:
    (gated / "k8s" / "grab.yaml").write_text(team_ingress("grab", "team-b", "app.example.com", "/admin"))
    commit_all(gated, "take the host")
    trusted = tmp_path / "trusted.yaml"
    trusted.write_text("ignore: [routing, reference]\n")
    done = run_diff(gated, "--base", "HEAD~1", "--head", "HEAD", "--format", "json", "--config", str(trusted))
    assert done.returncode == 0, done.stdout + done.stderr  # the user's own file: hosts unmapped, routing ignored
    assert "host_not_allowed" not in risks_of(done)
    assert run_diff(gated, "--base", "HEAD~1", "--head", "HEAD", "--format", "json").returncode == 1


def test_the_configuration_is_found_from_the_current_folder_in_the_base(gated: Path) -> None:
    """As `find_config`: nearest first from the current folder; a pyproject.toml counts with [tool.pomgate] only."""
    from pomgate.diff.run import diff_configuration, revision_config

    k8s = gated / "k8s"
    (k8s / "pyproject.toml").write_text("[project]\nname = 'not-pomgate'\n")
    (k8s / "team").mkdir()
    (k8s / "team" / "pyproject.toml").write_text('[tool.pomgate]\nhosts = {"app.example.com" = ["team-c"]}\n')
    commit_all(gated, "more configuration")
    git_repo = open_repository(str(gated))
    assert revision_config(git_repo, "HEAD", "k8s").path == "HEAD:.pomgate.yaml"
    nested = revision_config(git_repo, "HEAD", "k8s/team")
    assert nested.path == "HEAD:k8s/team/pyproject.toml" and nested.hosts == {"app.example.com": ("team-c",)}
    assert revision_config(git_repo, "HEAD~1", "k8s/team").path == "HEAD~1:.pomgate.yaml"
    (k8s / "team" / "pyproject.toml").unlink()  # removed in the working tree: the head falls back to the root's
    configuration = diff_configuration(git_repo, "HEAD", None, start=k8s / "team")
    assert configuration.used.path == "HEAD:k8s/team/pyproject.toml"
    assert configuration.head is not None and configuration.head.path == ".pomgate.yaml"


def test_a_symlinked_configuration_in_the_base_is_followed_inside_the_repository_only(gated: Path) -> None:
    from pomgate.config import ConfigError
    from pomgate.diff.gitread import RevisionError
    from pomgate.diff.run import revision_config

    (gated / "k8s" / ".pomgate.yaml").symlink_to("../.pomgate.yaml")
    (gated / "k8s" / "sub").mkdir()
    (gated / "k8s" / "sub" / ".pomgate.yaml").symlink_to("/etc/hostname")
    commit_all(gated, "links")
    git_repo = open_repository(str(gated))
    assert revision_config(git_repo, "HEAD", "k8s").hosts == {"app.example.com": ("team-a",)}
    with pytest.raises((RevisionError, ConfigError), match="symbolic link out of the repository"):
        revision_config(git_repo, "HEAD", "k8s/sub")


def test_an_unusable_configuration_in_the_head_is_a_risk_and_in_the_base_a_usage_error(gated: Path) -> None:
    (gated / ".pomgate.yaml").write_text("hosts: {App.example.com: [team-a]}\n")
    commit_all(gated, "break it")
    done = run_diff(gated, "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
    assert done.returncode == 0, done.stderr
    (problem,) = risks_of(done)["config_changed"]
    assert "unusable" in problem and "'App.example.com' is not a host name" in problem
    broken_base = run_diff(gated, "--base", "HEAD", "--format", "json")
    assert broken_base.returncode == 2
    assert "pomgate: error: HEAD:.pomgate.yaml: hosts: 'App.example.com' is not a host name" in broken_base.stderr


def test_a_route_removed_by_a_failing_ingress_says_so_and_a_shadowed_route_is_no_takeover(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "ci@example.com")
    git(tmp_path, "config", "user.name", "CI")
    (tmp_path / "svc.yaml").write_text(service())
    (tmp_path / "wiki.yaml").write_text(
        ingress(name="wiki", annotations=USERS, rules=simple_rule(host="wiki.example.com"))
    )
    (tmp_path / "docs.yaml").write_text(
        ingress(name="a-docs", annotations=USERS, rules=simple_rule(host="docs.example.com"))
    )
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    broken = {f"{P}/policy": "allow:\n  maybe:\n    - accept: true\n"}
    (tmp_path / "wiki.yaml").write_text(
        ingress(name="wiki", annotations=broken, rules=simple_rule(host="wiki.example.com"))
    )
    # an identical route of a later Ingress (by name): it never receives a request
    (tmp_path / "late.yaml").write_text(
        ingress(name="z-late", annotations=USERS, rules=simple_rule(host="docs.example.com"))
    )
    report = json.loads(run_diff(tmp_path, "--base", "HEAD", "--format", "json").stdout)
    removed = next(r for r in report["risks"] if r["kind"] == "route_removed")
    assert "is removed because its Ingress now fails translation" in removed["detail"]
    assert "(see wiki.yaml:" in removed["detail"] and "policy/invalid)" in removed["detail"]
    assert "host_takeover" not in [r["kind"] for r in report["risks"]]
    assert "routing/shadowed-route" in [f["rule"] for f in report["findings"]["introduced"]]
