"""`pomgate diff --comment` end to end: a real git repository, the Actions environment, a fake GitHub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from markdown_it import MarkdownIt

from pomgate.github.comment import marker
from tests.diff.test_diff import git, repo  # noqa: F401  (repo is the pull-request fixture)
from tests.github.fake_github import TOKEN, FakeGitHub, serve
from tests.helpers import ingress, simple_rule

REPO = "acme/platform"
PARSER = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def actions_env(root: Path, fake: FakeGitHub, *, number: int = 42, fork: bool = False) -> dict[str, str]:
    base = git(root, "rev-parse", "HEAD~1")
    head = git(root, "rev-parse", "HEAD")
    event = {
        "pull_request": {
            "number": number,
            "base": {"sha": base},
            "head": {"sha": head, "repo": {"full_name": "mallory/platform" if fork else REPO}},
        }
    }
    (root.parent / "event.json").write_text(json.dumps(event))
    (root.parent / "summary.md").write_text("")
    (root.parent / "output.txt").write_text("")
    return {
        **os.environ,
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(root.parent / "event.json"),
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_SERVER_URL": "https://github.test",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_STEP_SUMMARY": str(root.parent / "summary.md"),
        "GITHUB_OUTPUT": str(root.parent / "output.txt"),
    }


def run_diff(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", "diff", "--head", "HEAD", "--no-cache", "--comment", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_pull_request_gets_one_sticky_comment_summary_and_outputs(repo: Path) -> None:  # noqa: F811
    with serve(FakeGitHub()) as fake:
        env = actions_env(repo, fake)
        done = run_diff(repo, env)
        assert done.returncode == 1, done.stderr  # the change adds a TCP host duplicate (an error)
        assert [(r.method, r.path) for r in fake.requests] == [
            ("GET", f"/repos/{REPO}/issues/42/comments"),
            ("POST", f"/repos/{REPO}/issues/42/comments"),
        ]
        body = fake.comments[(REPO, 42)][0]["body"]
        assert body.startswith(marker("pomgate"))
        assert "became public" in body and "access widened" in body and "host taken over" in body
        assert "mallory@evil.test" in body
        head = git(repo, "rev-parse", "HEAD")
        assert f"https://github.test/{REPO}/blob/{head}/k8s/db2.yaml#L" in body
        summary = (repo.parent / "summary.md").read_text()
        assert "became public" in summary
        outputs = dict(line.split("=", 1) for line in (repo.parent / "output.txt").read_text().splitlines())
        assert outputs["added"] == "2" and outputs["removed"] == "1" and outputs["risky"] == "true"
        assert "comment created" in done.stderr
        # A second run edits the same comment (here: nothing changed, so no write at all).
        fake.requests.clear()
        again = run_diff(repo, env)
        assert again.returncode == 1
        assert [(r.method, r.path) for r in fake.requests] == [
            ("GET", f"/repos/{REPO}/issues/42/comments"),
            ("GET", "/user"),  # whose comment is it? The installation token gets 403 here...
            ("POST", "/graphql"),  # ...and its bot's login from the GraphQL viewer
        ]
        assert fake.writes() == [] and len(fake.comments[(REPO, 42)]) == 1


def test_a_fork_with_a_read_only_token_still_gets_the_summary(repo: Path) -> None:  # noqa: F811
    with serve(FakeGitHub(read_only=True)) as fake:
        env = actions_env(repo, fake, fork=True)
        done = run_diff(repo, env)
        assert "did not comment: the token cannot write" in done.stderr
        assert "became public" in (repo.parent / "summary.md").read_text()
        assert fake.comments == {}


def test_a_hostile_pull_request_cannot_change_the_comment_structure(repo: Path) -> None:  # noqa: F811
    hostile = [
        "x@example.com](javascript:alert(1))",
        "@octocat",
        "</details><details><summary>pwn",
        "```",
        "<img src=x onerror=alert(1)>",
        "| a | b |",
        "#1",
        "\u202eevil",
    ]
    users = json.dumps(hostile)
    (repo / "k8s" / "admin.yaml").write_text(
        ingress(
            name="admin",
            annotations={"ingress.pomerium.io/allowed_users": users},
            rules=simple_rule(host="admin.example.com"),
        )
    )
    (repo / "k8s" / "evil.yaml").write_text(
        ingress(
            name="evil",
            annotations={
                "ingress.pomerium.io/allowed_users": users,
                "ingress.pomerium.io/set_request_headers": json.dumps({"X-A": "</details>```@team"}),
                "ingress.pomerium.io/<b>bold</b>": "x",
            },
            rules=simple_rule(host="evil.example.com"),
        )
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "evil")
    with serve(FakeGitHub()) as fake:
        run_diff(repo, actions_env(repo, fake))
        body = fake.comments[(REPO, 42)][0]["body"]
    tokens = PARSER.parse(body)
    html_blocks = [t.content.strip() for t in tokens if t.type == "html_block"]
    opened = sum(block.count("<details>") for block in html_blocks)
    closed = sum(block.count("</details>") for block in html_blocks)
    assert opened == closed
    assert all(block.startswith(("<!-- pomgate:sticky:", "<details><summary>", "</details>")) for block in html_blocks)
    for token in tokens:
        for child in token.children or []:
            assert child.type not in ("html_inline", "image")
            if child.type == "link_open":
                assert str(child.attrs["href"]).startswith("https://github.test/acme/platform/blob/")
            if child.type == "text":
                assert "@octocat" not in child.content and "@team" not in child.content
    assert "\u202e" not in body
    assert "octocat" in body and "onerror" in body  # the hostile values are shown, as inert text


def test_workflow_run_comment_from_a_json_artifact(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    report = subprocess.run(
        [sys.executable, "-m", "pomgate", "diff", "--base", "HEAD~1", "--head", "HEAD", "-f", "json", "--no-cache"],
        cwd=repo,
        capture_output=True,
        text=True,
    ).stdout
    artifact = tmp_path / "pomgate.json"
    artifact.write_text(report)
    head = git(repo, "rev-parse", "HEAD")
    with serve(FakeGitHub()) as fake:
        fake.heads[(REPO, 42)] = head
        env = actions_env(repo, fake)
        env["GITHUB_EVENT_NAME"] = "workflow_run"
        (repo.parent / "event.json").write_text(json.dumps({"workflow_run": {"head_sha": head, "pull_requests": []}}))

        def comment(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "pomgate", "comment", "--diff-json", str(artifact), *args],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
            )

        done = comment("--pr", "42", "--head-sha", head)
        assert done.returncode == 0, done.stderr
        body = fake.comments[(REPO, 42)][0]["body"]
        assert body.startswith(marker("pomgate")) and "became public" in body
        assert [(r.method, r.path) for r in fake.requests][:2] == [
            ("GET", f"/repos/{REPO}/pulls/42"),
            ("GET", f"/repos/{REPO}/issues/42/comments"),
        ]
        stale = comment("--pr", "42", "--head-sha", "0" * 40)
        assert stale.returncode == 1 and "not commenting: pull request #42 is at" in stale.stderr
        assert comment("--pr", "42; rm -rf /").returncode == 2
        artifact.write_text('{"added": "not a list"}')
        broken = comment("--pr", "42")
        assert broken.returncode == 2 and "added: Input should be a valid list" in broken.stderr
