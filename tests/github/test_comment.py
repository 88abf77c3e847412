"""The sticky comment against a local stand-in of GitHub's REST API; exact requests asserted."""

from __future__ import annotations

from typing import Any

import pytest

from pomgate.github.api import GitHubApi, GitHubError, TokenIdentity
from pomgate.github.comment import UNKNOWN_IDENTITY, fit_comment, marker, upsert_sticky_comment
from tests.github.fake_github import BOT_LOGIN, TOKEN, USER_LOGIN, USER_TOKEN, FakeGitHub, serve

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
    ours = fake.add_comment(REPO, 7, f"{marker('pomgate')}\nold report", BOT_LOGIN)
    fake.add_comment(REPO, 7, "mentions <!-- pomgate:sticky:pomgate --> later, not first: not ours", BOT_LOGIN)
    with serve(fake):
        outcome = upsert_sticky_comment(api_for(fake), REPO, 7, "new report")
        assert outcome.action == "updated" and outcome.comment_id == ours["id"]
        gets = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/comments")]
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
    old = fake.add_comment(REPO, 3, f"{marker('pomgate')}\nold", BOT_LOGIN)
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
        fake.add_comment(REPO, 2, f"{marker('pomgate')}\nold", BOT_LOGIN)
        api = api_for(fake)
        assert api.graphql_url == f"{fake.base_url}/api/graphql"
        upsert_sticky_comment(api, REPO, 2, "new", mode="hide-and-create")
        assert {r.path for r in fake.requests} >= {"/api/v3/repos/acme/platform/issues/2/comments", "/api/graphql"}
        assert fake.comments[(REPO, 2)][0]["minimized"] is True  # the viewer query went to /api/graphql too


def test_fit_comment_drops_whole_sections_under_the_limit() -> None:
    block = "```\n" + "x" * 40_000 + "\n```"
    body = fit_comment(
        ["summary", block, block, "<details><summary>s</summary>\n\nz\n\n</details>"], note="see summary"
    )
    assert len(body) < 65_536
    assert body.count("```") % 2 == 0 and body.count("<details>") == body.count("</details>")
    assert "2 more section(s) not shown. see summary" in body and body.startswith("summary")


# ---------------------------------------------------------------- whose comment it is


def hostile_and_own(fake: FakeGitHub, author: str = BOT_LOGIN) -> tuple[dict[str, Any], dict[str, Any]]:
    """A comment by mallory that starts with our marker, then one the token's account wrote."""
    foreign = fake.add_comment(REPO, 4, f"{marker('pomgate')}\nApproved by pomgate: no risks", "mallory")
    own = fake.add_comment(REPO, 4, f"{marker('pomgate')}\nold report", author)
    return foreign, own


@pytest.mark.parametrize("viewer_login", ["github-actions[bot]", "github-actions"])
def test_a_foreign_comment_with_our_marker_is_left_alone_and_ours_is_updated(viewer_login: str) -> None:
    fake = FakeGitHub(viewer_login=viewer_login)
    foreign, own = hostile_and_own(fake)
    with serve(fake):
        outcome = upsert_sticky_comment(api_for(fake), REPO, 4, "new report")
    assert outcome.action == "updated" and outcome.comment_id == own["id"] and outcome.warning is None
    assert [(r.method, r.path) for r in fake.writes()] == [("PATCH", f"/repos/{REPO}/issues/comments/{own['id']}")]
    assert foreign["body"].endswith("Approved by pomgate: no risks")  # not edited, and (above) not deleted
    assert fake.comment(foreign["id"]) is foreign
    # The installation token: GET /user is refused, the GraphQL viewer answers.
    assert [r.path for r in fake.requests if r.path in ("/user", "/graphql")] == ["/user", "/graphql"]


@pytest.mark.parametrize("mode", ["update", "recreate", "hide-and-create"])
def test_only_a_foreign_marked_comment_means_a_new_comment_in_every_mode(mode: str) -> None:
    fake = FakeGitHub()
    foreign = fake.add_comment(REPO, 4, f"{marker('pomgate')}\nApproved", "mallory")
    with serve(fake):
        outcome = upsert_sticky_comment(api_for(fake), REPO, 4, "report", mode=mode)
    assert outcome.action == "created"
    assert [(r.method, r.path) for r in fake.writes()] == [("POST", f"/repos/{REPO}/issues/4/comments")]
    assert foreign["body"].endswith("Approved") and foreign["minimized"] is False
    assert fake.comments[(REPO, 4)][-1]["user"] == {"login": BOT_LOGIN, "type": "Bot"}


def test_a_person_named_like_the_bot_without_the_suffix_is_not_the_bot() -> None:
    fake = FakeGitHub(viewer_login="github-actions")
    impostor = fake.add_comment(REPO, 4, f"{marker('pomgate')}\nApproved", "github-actions", user_type="User")
    with serve(fake):
        assert upsert_sticky_comment(api_for(fake), REPO, 4, "report", mode="recreate").action == "created"
    assert fake.comment(impostor["id"]) is impostor and impostor["body"].endswith("Approved")


def test_a_personal_token_owns_its_users_comments_not_the_bots() -> None:
    fake = FakeGitHub()
    bots = fake.add_comment(REPO, 4, f"{marker('pomgate')}\nby the action", BOT_LOGIN)
    alices = fake.add_comment(REPO, 4, f"{marker('pomgate')}\nby alice", USER_LOGIN)
    with serve(fake):
        api = GitHubApi(fake.base_url, USER_TOKEN)
        assert api.token_identity() == TokenIdentity(USER_LOGIN, bot=False)
        outcome = upsert_sticky_comment(api, REPO, 4, "new")
    assert outcome.action == "updated" and outcome.comment_id == alices["id"]
    assert bots["body"].endswith("by the action")
    assert "/graphql" not in [r.path for r in fake.requests]  # GET /user answered


def test_when_the_token_account_is_unknown_nothing_is_touched_and_a_warning_says_so() -> None:
    fake = FakeGitHub(viewer_answers=False)
    foreign, own = hostile_and_own(fake)
    with serve(fake):
        outcome = upsert_sticky_comment(api_for(fake), REPO, 4, "new report", mode="recreate")
        assert outcome.action == "created" and outcome.warning == UNKNOWN_IDENTITY
        assert [(r.method, r.path) for r in fake.writes()] == [("POST", f"/repos/{REPO}/issues/4/comments")]
        assert own["body"].endswith("old report") and foreign["body"].endswith("no risks")
        skipped = upsert_sticky_comment(api_for(fake), REPO, 4, "x", only_update=True)
        assert skipped.action == "skipped" and skipped.warning == UNKNOWN_IDENTITY


def test_no_marked_comment_needs_no_identity_lookup() -> None:
    with serve(FakeGitHub()) as fake:
        fake.add_comment(REPO, 4, "LGTM", "mallory")
        upsert_sticky_comment(api_for(fake), REPO, 4, "report")
        assert [r.path for r in fake.requests] == [f"/repos/{REPO}/issues/4/comments"] * 2
