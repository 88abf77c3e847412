"""The sticky comment against a local stand-in of GitHub's REST API; exact requests asserted."""

from __future__ import annotations

import pytest

from pomgate.github.api import GitHubApi, GitHubError
from pomgate.github.comment import fit_comment, marker, upsert_sticky_comment
from tests.github.fake_github import TOKEN, FakeGitHub, serve

REPO = "acme/platform"


def api_for(fake: FakeGitHub) -> GitHubApi:
    return GitHubApi(fake.base_url + fake.prefix, TOKEN)


def test_creates_when_there_is_none() -> None:
    with serve(FakeGitHub()) as fake:
        outcome = upsert_sticky_comment(api_for(fake), REPO, 7, "hello")
        assert outcome.action == "created"
        assert [(r.method, r.path) for r in fake.requests] == [
            ("GET", "/repos/acme/platform/issues/7/comments"),
            ("POST", "/repos/acme/platform/issues/7/comments"),
        ]
        assert fake.requests[0].query["per_page"] == ["100"]
        assert fake.requests[1].body == {"body": f"{marker('pomgate')}\nhello"}


def test_updates_in_place_across_pages_and_leaves_other_comments_alone() -> None:
    fake = FakeGitHub()
    for index in range(150):
        fake.add_comment(REPO, 7, f"human comment {index}")
    ours = fake.add_comment(REPO, 7, f"{marker('pomgate')}\nold report")
    fake.add_comment(REPO, 7, "mentions <!-- pomgate:sticky:pomgate --> later, not first: not ours")
    with serve(fake):
        outcome = upsert_sticky_comment(api_for(fake), REPO, 7, "new report")
        assert outcome.action == "updated" and outcome.comment_id == ours["id"]
        gets = [r for r in fake.requests if r.method == "GET"]
        assert [r.query.get("page", ["1"])[0] for r in gets] == ["1", "2"]
        assert [(r.method, r.path) for r in fake.writes()] == [
            ("PATCH", f"/repos/acme/platform/issues/comments/{ours['id']}")
        ]
        assert ours["body"].endswith("new report")
        assert all(c["body"].startswith("human comment") for c in fake.comments[(REPO, 7)][:150])
        # The same body again: no write at all.
        before = len(fake.writes())
        assert upsert_sticky_comment(api_for(fake), REPO, 7, "new report").action == "unchanged"
        assert len(fake.writes()) == before


def test_recreate_deletes_then_posts_and_hide_minimizes() -> None:
    fake = FakeGitHub()
    old = fake.add_comment(REPO, 3, f"{marker('pomgate')}\nold")
    with serve(fake):
        outcome = upsert_sticky_comment(api_for(fake), REPO, 3, "fresh", mode="recreate")
        assert outcome.action == "recreated"
        assert [(r.method, r.path) for r in fake.writes()] == [
            ("DELETE", f"/repos/acme/platform/issues/comments/{old['id']}"),
            ("POST", "/repos/acme/platform/issues/3/comments"),
        ]
        fake.requests.clear()
        current = fake.comments[(REPO, 3)][-1]
        upsert_sticky_comment(api_for(fake), REPO, 3, "fresher", mode="hide-and-create")
        graphql = [r for r in fake.writes() if r.path == "/graphql"]
        assert graphql and graphql[0].body["variables"] == {"id": current["node_id"], "reason": "OUTDATED"}
        assert current["minimized"] is True
        mine = [c for c in fake.comments[(REPO, 3)] if c["body"].startswith(marker("pomgate"))]
        assert len(mine) == 1 and mine[0]["body"].endswith("fresher")


def test_only_update_never_creates_and_keys_keep_comments_apart() -> None:
    with serve(FakeGitHub()) as fake:
        assert upsert_sticky_comment(api_for(fake), REPO, 5, "x", only_update=True).action == "skipped"
        assert fake.writes() == []
        upsert_sticky_comment(api_for(fake), REPO, 5, "prod", key="prod")
        upsert_sticky_comment(api_for(fake), REPO, 5, "staging", key="staging")
        assert len(fake.comments[(REPO, 5)]) == 2


def test_read_only_token_is_a_permission_error_and_bad_token_too() -> None:
    with serve(FakeGitHub(read_only=True)) as fake:
        with pytest.raises(GitHubError) as raised:
            upsert_sticky_comment(api_for(fake), REPO, 9, "x")
        assert raised.value.permission_denied and raised.value.status == 403
        assert TOKEN not in str(raised.value)
    with serve(FakeGitHub()) as fake:
        with pytest.raises(GitHubError) as raised:
            GitHubApi(fake.base_url, "wrong").list_issue_comments(REPO, 1)
        assert raised.value.status == 401


def test_enterprise_server_paths() -> None:
    with serve(FakeGitHub(prefix="/api/v3")) as fake:
        fake.add_comment(REPO, 2, f"{marker('pomgate')}\nold")
        api = api_for(fake)
        assert api.graphql_url == f"{fake.base_url}/api/graphql"
        upsert_sticky_comment(api, REPO, 2, "new", mode="hide-and-create")
        assert {r.path for r in fake.requests} >= {"/api/v3/repos/acme/platform/issues/2/comments", "/api/graphql"}


def test_fit_comment_drops_whole_sections_under_the_limit() -> None:
    block = "```\n" + "x" * 40_000 + "\n```"
    body = fit_comment(
        ["summary", block, block, "<details><summary>s</summary>\n\nz\n\n</details>"], note="see summary"
    )
    assert len(body) < 65_536
    assert body.count("```") % 2 == 0 and body.count("<details>") == body.count("</details>")
    assert "2 more section(s) not shown. see summary" in body and body.startswith("summary")
