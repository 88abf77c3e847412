"""The list/watch loop against a scripted client: reconnects, 410 relists and replays."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from pomgate.controller.kubeclient import INGRESSES, ApiError, Resource
from pomgate.controller.metrics import Metrics
from pomgate.controller.reflector import Reflector


def obj(name: str, version: str) -> dict[str, Any]:
    return {"metadata": {"namespace": "default", "name": name, "resourceVersion": version}}


class ScriptedClient:
    """Answers `list` and `watch` from a script; records the resourceVersions watches started from."""

    def __init__(self, lists: list[list[dict[str, Any]]], watches: list[list[dict[str, Any] | ApiError]]) -> None:
        self.lists = lists
        self.watches = watches
        self.watched_from: list[str] = []
        self.pages = 0

    async def list_pages(
        self, resource: Resource, namespace: str | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[tuple[list[dict[str, Any]], str]]:
        items = self.lists.pop(0)
        version = str(max((int(i["metadata"]["resourceVersion"]) for i in items), default=1))
        size = page_size or max(1, len(items))
        for start in range(0, max(1, len(items)), size):
            self.pages += 1
            yield items[start : start + size], version

    async def watch(
        self, resource: Resource, resource_version: str, namespace: str | None = None, *, timeout_seconds: int = 300
    ) -> AsyncIterator[dict[str, Any]]:
        self.watched_from.append(resource_version)
        if not self.watches:
            await asyncio.sleep(3600)
        for step in self.watches.pop(0):
            if isinstance(step, ApiError):
                raise step
            yield step


def run(client: ScriptedClient) -> tuple[list[tuple[str, str]], Metrics, Reflector]:
    seen: list[tuple[str, str]] = []
    metrics = Metrics()
    reflector = Reflector(
        client,  # type: ignore[arg-type]
        INGRESSES,
        lambda kind, event, body: seen.append((event, body["metadata"]["name"])),
        metrics,
    )

    async def main() -> None:
        task = asyncio.create_task(reflector.run())
        await asyncio.sleep(0.6)
        task.cancel()

    asyncio.run(main())
    return seen, metrics, reflector


def test_a_410_lists_again_and_hands_over_only_the_difference() -> None:
    client = ScriptedClient(
        lists=[[obj("a", "1"), obj("b", "2")], [obj("b", "2"), obj("c", "9")]],
        watches=[[{"type": "MODIFIED", "object": obj("a", "3")}, ApiError(410, "Expired", "too old resource version")]],
    )
    seen, metrics, reflector = run(client)
    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("MODIFIED", "a"), ("ADDED", "c"), ("DELETED", "a")]
    assert client.watched_from == ["2", "9"]
    assert metrics.watch_restarts.value(kind="Ingress", reason="expired") == 1
    assert reflector.synced.is_set()


def test_a_dropped_stream_rewatches_from_the_last_version_and_skips_replays() -> None:
    client = ScriptedClient(
        lists=[[obj("a", "1")]],
        watches=[
            [{"type": "ADDED", "object": obj("b", "5")}, ApiError(0, "Unreachable", "connection reset")],
            [
                {"type": "ADDED", "object": obj("b", "5")},  # replayed by a server that resends the last event
                {"type": "BOOKMARK", "object": obj("", "7")},
                {"type": "DELETED", "object": obj("a", "8")},
                {"type": "DELETED", "object": obj("a", "8")},
            ],
        ],
    )
    seen, metrics, _ = run(client)
    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]
    assert client.watched_from == ["1", "5", "8"]
    assert metrics.watch_restarts.value(kind="Ingress", reason="unreachable") == 1


def test_a_paged_list_hands_over_each_page_and_waits_for_the_lists_it_follows() -> None:
    client = ScriptedClient(lists=[[obj(name, str(index + 1)) for index, name in enumerate("abcde")]], watches=[])
    seen: list[str] = []
    ingresses_listed = asyncio.Event()
    reflector = Reflector(
        client,  # type: ignore[arg-type]
        INGRESSES,
        lambda kind, event, body: seen.append(body["metadata"]["name"]),
        Metrics(),
        page_size=2,
        after=[ingresses_listed],
    )

    async def main() -> None:
        task = asyncio.create_task(reflector.run())
        await asyncio.sleep(0.1)
        assert client.pages == 0 and not reflector.synced.is_set()  # waits for the Ingresses
        ingresses_listed.set()
        await asyncio.sleep(0.1)
        task.cancel()

    asyncio.run(main())
    assert seen == ["a", "b", "c", "d", "e"] and client.pages == 3
    assert reflector.synced.is_set() and client.watched_from == ["5"]
