"""A local stand-in for GitHub's REST API (issue comments, pull requests) and GraphQL minimizeComment.

It speaks HTTP on 127.0.0.1, checks the bearer token, paginates with real `Link` headers, can be
made read-only (403 like a fork's token) and records every request so tests assert exactly what
was sent.
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
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    heads: dict[tuple[str, int], str] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    next_id: int = 1000
    base_url: str = ""

    def add_comment(self, repo: str, number: int, body: str, login: str = "someone") -> dict[str, Any]:
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "node_id": f"IC_{self.next_id}",
            "body": body,
            "html_url": f"https://github.test/{repo}/pull/{number}#issuecomment-{self.next_id}",
            "user": {"login": login},
            "minimized": False,
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]


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
        body = json.loads(self.rfile.read(length)) if length else None
        fake.requests.append(Recorded(self.command, parts.path, parse_qs(parts.query), body))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"message": "Bad credentials"})
        path = parts.path
        if fake.prefix:
            if path == "/api/graphql":
                path = "/graphql"
            elif path.startswith(fake.prefix):
                path = path[len(fake.prefix) :]
            else:
                return self._send(404, {"message": "Not Found"})
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
                return self._send(201, fake.add_comment(key[0], key[1], body["body"], "github-actions[bot]"))
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
