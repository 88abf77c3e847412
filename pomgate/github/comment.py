"""The sticky pull-request comment: one per pull request (and key), found again by a hidden marker.

Anybody can write a comment that starts with the marker, so a comment is ours only when it also
has the token's own account as its author; no other comment is ever edited, hidden or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pomgate.github.api import GitHubApi, TokenIdentity

GITHUB_COMMENT_LIMIT = 65536


def marker(key: str) -> str:
    """The hidden first line that identifies our comment."""
    safe = "".join(c for c in key if c.isalnum() or c in "-_.") or "pomgate"
    return f"<!-- pomgate:sticky:{safe} -->"


@dataclass
class CommentOutcome:
    """What `upsert_sticky_comment` did."""

    action: str  # created | updated | recreated | hid-and-created | unchanged | skipped
    comment_id: int | None = None
    url: str | None = None
    warning: str | None = None  # something the log must say (e.g. the comment's owner could not be told)


UNKNOWN_IDENTITY = (
    "could not tell which account the token acts as (GitHub answered neither GET /user nor the GraphQL "
    "viewer), so no existing comment was edited, hidden or deleted"
)


def _base_login(login: str) -> str:
    """A login compared case-insensitively and without the `[bot]` REST adds to an app's comments."""
    return login.lower().removesuffix("[bot]")


def written_by(comment: Mapping[str, Any], identity: TokenIdentity) -> bool:
    """Whether ``identity`` wrote ``comment`` (REST `user`: `github-actions[bot]` with type Bot, or a user).

    A bot matches only a comment whose author is of type Bot, so a person who registered the bot's
    name without `[bot]` does not; a user matches only the same login of type User.
    """
    user = comment.get("user")
    if not isinstance(user, Mapping) or not isinstance(user.get("login"), str):
        return False
    if identity.bot:
        return user.get("type") == "Bot" and _base_login(user["login"]) == _base_login(identity.login)
    return user.get("type") == "User" and user["login"].lower() == identity.login.lower()


def upsert_sticky_comment(
    api: GitHubApi,
    repo: str,
    number: int,
    body: str,
    *,
    key: str = "pomgate",
    mode: str = "update",
    only_update: bool = False,
) -> CommentOutcome:
    """Create or refresh our comment: one that starts with our marker and that the token's account wrote.

    ``mode``: ``update`` edits ours in place (identical body: no request), ``recreate`` deletes ours
    and posts anew, ``hide-and-create`` hides ours as outdated and posts anew. With
    ``only_update`` nothing is created (used when a change has nothing to report). When marked
    comments exist but the token's account cannot be found out, none of them is touched: a new
    comment is posted and the outcome carries a warning.
    """
    tag = marker(key)
    full = f"{tag}\n{body}"
    marked = [c for c in api.list_issue_comments(repo, number) if str(c.get("body", "")).startswith(tag)]
    identity = api.token_identity() if marked else None
    warning = UNKNOWN_IDENTITY if marked and identity is None else None
    ours = [c for c in marked if identity is not None and written_by(c, identity)]
    if mode == "update" and ours:
        current = ours[-1]
        for extra in ours[:-1]:  # a race left two: keep the newest
            api.delete_issue_comment(repo, int(extra["id"]))
        if current.get("body") == full:
            return CommentOutcome("unchanged", int(current["id"]), current.get("html_url"))
        updated = api.update_issue_comment(repo, int(current["id"]), full)
        return CommentOutcome("updated", int(updated["id"]), updated.get("html_url"))
    if only_update:
        return CommentOutcome("skipped", warning=warning)
    if mode == "recreate":
        for old in ours:
            api.delete_issue_comment(repo, int(old["id"]))
    elif mode == "hide-and-create":
        for old in ours:
            if old.get("node_id"):
                api.minimize_comment(str(old["node_id"]))
            api.update_issue_comment(repo, int(old["id"]), f"{tag.replace('sticky', 'hidden')}\n{old.get('body', '')}")
    created = api.create_issue_comment(repo, number, full)
    action = {"recreate": "recreated", "hide-and-create": "hid-and-created"}.get(mode, "created") if ours else "created"
    return CommentOutcome(action, int(created["id"]), created.get("html_url"), warning)


def fit_comment(sections: Sequence[str], *, limit: int = GITHUB_COMMENT_LIMIT, note: str = "") -> str:
    """Join whole sections (first ones first) while the body stays under ``limit`` characters.

    Sections are never cut (a cut could leave a code block or `<details>` open); the ones that do
    not fit are dropped and ``note`` says how many.
    """
    budget = limit - len(marker("x" * 40)) - 200  # room for the marker and the note
    kept: list[str] = []
    used = 0
    for section in sections:
        cost = len(section) + 2
        if used + cost > budget:
            break
        kept.append(section)
        used += cost
    dropped = len(sections) - len(kept)
    if dropped:
        kept.append(f"*… {dropped} more section(s) not shown. {note}*".strip())
    return "\n\n".join(kept) + "\n"
