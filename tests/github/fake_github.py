"""A local stand-in for GitHub's REST API (issue comments, pull requests, the token's user) and GraphQL
(`minimizeComment`, `viewer`).

It speaks HTTP on 127.0.0.1, checks the bearer token, paginates with real `Link` headers, can be
made read-only (403 like a fork's token) and records every request so tests assert exactly what
was sent. Tokens act as GitHub's do: `TOKEN` is an installation token like the Actions
GITHUB_TOKEN (its comments are by `github-actions[bot]`, type Bot; `GET /user` answers 403; the
GraphQL `viewer` answers the bot's login), `USER_TOKEN` a personal token of the user `alice`.
Like GitHub, it lets a token with write access edit and delete anybody's comment.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "test-token"
USER_TOKEN = "user-token"
BOT_LOGIN = "github-actions[bot]"
USER_LOGIN = "alice"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class FakeGitHub:
    """State of the fake: comments per (repo, issue), pull-request heads, and the request log."""

    prefix: str = ""  # "/api/v3" to act as GitHub Enterprise Server
    read_only: bool = False
    viewer_login: str = BOT_LOGIN  # what GraphQL `viewer` answers for TOKEN (some report "github-actions")
    viewer_answers: bool = True  # False: the `viewer` query gets a GraphQL error
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    heads: dict[tuple[str, int], str] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    next_id: int = 1000
    base_url: str = ""

    def add_comment(
        self, repo: str, number: int, body: str, login: str = "someone", user_type: str | None = None
    ) -> dict[str, Any]:
        """A comment by ``login`` (type Bot when it ends in `[bot]`, as on GitHub, unless ``user_type`` says)."""
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "node_id": f"IC_{self.next_id}",
            "body": body,
            "html_url": f"https://github.test/{repo}/pull/{number}#issuecomment-{self.next_id}",
            "user": {"login": login, "type": user_type or ("Bot" if login.endswith("[bot]") else "User")},
            "minimized": False,
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    def writes(self) -> list[Recorded]:
        """The requests that change something (a GraphQL query is a read)."""
        return [r for r in self.requests if r.method != "GET" and not _is_graphql_query(r.body)]

    def comment(self, comment_id: int) -> dict[str, Any] | None:
        """The comment with this id, if it still exists."""
        return next((c for comments in self.comments.values() for c in comments if c["id"] == comment_id), None)


def _is_graphql_query(body: Any) -> bool:
    return isinstance(body, dict) and str(body.get("query", "")).lstrip().startswith(("query", "{"))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body: Any = json.loads(self.rfile.read(length)) if length else None
        fake.requests.append(Recorded(self.command, parts.path, parse_qs(parts.query), body))
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in (TOKEN, USER_TOKEN):
            return self._send(401, {"message": "Bad credentials"})
        installation = token == TOKEN
        path = parts.path
        if fake.prefix:
            if path == "/api/graphql":
                path = "/graphql"
            elif path.startswith(fake.prefix):
                path = path[len(fake.prefix) :]
            else:
                return self._send(404, {"message": "Not Found"})
        if path == "/user" and self.command == "GET":
            if installation:
                return self._send(403, {"message": "Resource not accessible by integration"})
            return self._send(200, {"login": USER_LOGIN, "id": 1, "type": "User"})
        if path == "/graphql" and self.command == "POST" and _is_graphql_query(body):
            if "viewer" not in body["query"] or not fake.viewer_answers:
                return self._send(200, {"errors": [{"message": "Something went wrong while executing your query."}]})
            return self._send(200, {"data": {"viewer": {"login": fake.viewer_login if installation else USER_LOGIN}}})
        if self.command != "GET" and fake.read_only:
            return self._send(403, {"message": "Resource not accessible by integration"})
        if path == "/graphql" and self.command == "POST":
            node = body["variables"]["id"]
            for comments in fake.comments.values():
                for comment in comments:
                    if comment["node_id"] == node:
                        comment["minimized"] = True
                        return self._send(
                            200, {"data": {"minimizeComment": {"minimizedComment": {"isMinimized": True}}}}
                        )
            return self._send(200, {"errors": [{"message": "Could not resolve to a node"}]})
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path)
        if match:
            key = (match.group(1), int(match.group(2)))
            if self.command == "GET":
                per_page = int(parse_qs(parts.query).get("per_page", ["30"])[0])
                page = int(parse_qs(parts.query).get("page", ["1"])[0])
                items = fake.comments.get(key, [])
                chunk = items[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(items):
                    base = f"{fake.base_url}{fake.prefix}{path}"
                    headers["Link"] = f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"'
                return self._send(200, chunk, headers)
            if self.command == "POST":
                author = BOT_LOGIN if installation else USER_LOGIN
                return self._send(201, fake.add_comment(key[0], key[1], body["body"], author))
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path)
        if match:
            for comments in fake.comments.values():
                for comment in comments:
                    if comment["id"] == int(match.group(2)):
                        if self.command == "PATCH":
                            comment["body"] = body["body"]
                            return self._send(200, comment)
                        if self.command == "DELETE":
                            comments.remove(comment)
                            return self._send(204)
            return self._send(404, {"message": "Not Found"})
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/pulls/(\d+)", path)
        if match and self.command == "GET":
            sha = fake.heads.get((match.group(1), int(match.group(2))))
            if sha is None:
                return self._send(404, {"message": "Not Found"})
            return self._send(200, {"number": int(match.group(2)), "head": {"sha": sha}})
        return self._send(404, {"message": "Not Found"})

    do_GET = do_POST = do_PATCH = do_DELETE = _handle


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Run ``fake`` on a free local port; ``fake.base_url`` is the API root to give the client."""
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
