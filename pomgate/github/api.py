"""A small GitHub REST (and GraphQL) client over urllib: issue comments and pull-request heads."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')
TIMEOUT_SECONDS = 30


class GitHubError(Exception):
    """A failed API call: HTTP status and GitHub's message (never the token)."""

    def __init__(self, status: int, message: str, method: str, url: str) -> None:
        super().__init__(f"{method} {url}: HTTP {status}: {message}")
        self.status = status
        self.message = message

    @property
    def permission_denied(self) -> bool:
        """The token may not write here (e.g. the read-only token of a pull request from a fork)."""
        return self.status in (401, 403) or (self.status == 404 and "Not Found" in self.message)


@dataclass(frozen=True)
class TokenIdentity:
    """The account a token acts as: a user (personal token) or a GitHub App's bot (installation token)."""

    login: str
    bot: bool


class GitHubApi:
    """REST calls with the headers GitHub documents; follows `Link: rel="next"` pagination."""

    def __init__(self, base_url: str, token: str, user_agent: str = "pomgate") -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.user_agent = user_agent

    @property
    def graphql_url(self) -> str:
        """`https://api.github.com/graphql`, or `https://HOST/api/graphql` on GitHub Enterprise Server."""
        parts = urlsplit(self.base_url)
        if parts.path.rstrip("/").endswith("/api/v3"):
            return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')[: -len('/v3')]}/graphql"
        return f"{self.base_url}/graphql"

    def request(self, method: str, url: str, body: Any = None) -> tuple[Any, dict[str, str]]:
        """One call; returns the decoded JSON (None for 204) and the response headers."""
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", self.user_agent)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                raw = response.read()
                headers = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                message = str(json.loads(raw).get("message", ""))
            except (ValueError, AttributeError):
                message = raw.decode("utf-8", "replace")[:200]
            raise GitHubError(err.code, message, method, url) from None
        except urllib.error.URLError as err:
            raise GitHubError(0, f"cannot reach the API ({err.reason})", method, url) from None
        return (json.loads(raw) if raw else None), headers

    def paginate(self, path: str) -> list[Any]:
        """Every item of a list endpoint (100 per page)."""
        separator = "&" if "?" in path else "?"
        url: str | None = f"{path}{separator}per_page=100"
        items: list[Any] = []
        while url:
            page, headers = self.request("GET", url)
            items.extend(page or [])
            found = _NEXT_LINK.search(headers.get("link", ""))
            url = found.group(1) if found else None
        return items

    def list_issue_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        return self.paginate(f"/repos/{repo}/issues/{number}/comments")

    def create_issue_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        created, _ = self.request("POST", f"/repos/{repo}/issues/{number}/comments", {"body": body})
        return dict(created)

    def update_issue_comment(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        updated, _ = self.request("PATCH", f"/repos/{repo}/issues/comments/{comment_id}", {"body": body})
        return dict(updated)

    def delete_issue_comment(self, repo: str, comment_id: int) -> None:
        self.request("DELETE", f"/repos/{repo}/issues/comments/{comment_id}")

    def minimize_comment(self, node_id: str, reason: str = "OUTDATED") -> None:
        """Hide a comment (GraphQL `minimizeComment`, what the web UI's "Hide" does)."""
        query = (
            "mutation($id: ID!, $reason: ReportedContentClassifiers!) "
            "{ minimizeComment(input: {subjectId: $id, classifier: $reason}) { minimizedComment { isMinimized } } }"
        )
        result, _ = self.request(
            "POST", self.graphql_url, {"query": query, "variables": {"id": node_id, "reason": reason}}
        )
        if isinstance(result, dict) and result.get("errors"):
            raise GitHubError(200, str(result["errors"][0].get("message", "GraphQL error")), "POST", self.graphql_url)

    def token_identity(self) -> TokenIdentity | None:
        """Who the token acts as; None when GitHub does not say.

        REST `GET /user` answers for personal tokens. Installation tokens (the Actions GITHUB_TOKEN,
        GitHub App tokens) get 403 there; GraphQL `viewer` answers for them with the bot's login,
        with or without the `[bot]` that REST shows on its comments.
        """
        try:
            user, _ = self.request("GET", "/user")
        except GitHubError:
            user = None
        if isinstance(user, dict) and isinstance(user.get("login"), str) and user["login"]:
            return TokenIdentity(user["login"], bot=user.get("type") == "Bot")
        try:
            result, _ = self.request("POST", self.graphql_url, {"query": "query { viewer { login } }"})
        except GitHubError:
            return None
        data = result.get("data") if isinstance(result, dict) else None
        viewer = data.get("viewer") if isinstance(data, dict) else None
        login = viewer.get("login") if isinstance(viewer, dict) else None
        return TokenIdentity(login, bot=True) if isinstance(login, str) and login else None

    def pull_request_head_sha(self, repo: str, number: int) -> str:
        pull, _ = self.request("GET", f"/repos/{repo}/pulls/{number}")
        return str((pull or {}).get("head", {}).get("sha", ""))
