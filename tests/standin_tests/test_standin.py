"""The stand-in API server itself: the REST + watch protocol over real HTTP, and the real kubectl against it."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.standin import ApiError, StandInApiServer

PROJECT = Path(__file__).resolve().parents[2]
INGRESSES = "/apis/networking.k8s.io/v1/namespaces/default/ingresses"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
EVENTS = "/api/v1/namespaces/default/events"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
WEB = ("networking.k8s.io/v1", "Ingress", "default", "web")


@pytest.fixture
def server() -> Iterator[StandInApiServer]:
    with StandInApiServer() as api:
        yield api


def call(
    api: StandInApiServer,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
    **params: str,
) -> tuple[int, Any, http.client.HTTPMessage]:
    """One request; the status, the decoded JSON body and the headers."""
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    connection.request(method, path + query, body=data, headers={"Content-Type": content_type})
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    return response.status, json.loads(raw) if raw else None, response.headers


def ingress(name: str, host: str = "a.example.com", namespace: str = "default", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace, **meta},
        "spec": {"rules": [{"host": host}]},
    }


def configmap(name: str, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default", **meta}}


class Watch:
    """A watch request read line by line (newline-delimited JSON over chunked HTTP)."""

    def __init__(self, api: StandInApiServer, path: str, **params: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
        self.connection.request("GET", f"{path}?{urllib.parse.urlencode({'watch': '1', **params})}")
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.headers["Content-Type"] == "application/json"

    def _read(self) -> dict[str, Any] | None:
        line = self.response.readline()
        return json.loads(line) if line else None

    def next(self) -> dict[str, Any]:
        event = self._read()
        assert event is not None, "the watch ended"
        return event

    def rest(self) -> list[dict[str, Any]]:
        """Every event until the server ends the stream."""
        events = []
        while (event := self._read()) is not None:
            events.append(event)
        self.connection.close()
        return events


def live(api: StandInApiServer, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
    obj = api.get(api_version, kind, namespace, name)
    assert obj is not None, f"{kind} {namespace}/{name} does not exist"
    return obj


def wait_for_watches(api: StandInApiServer, count: int) -> None:
    deadline = time.monotonic() + 5
    while api.watch_count < count:
        assert time.monotonic() < deadline, "the watch did not start"
        time.sleep(0.01)


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["type"], event["object"]["metadata"]["name"]) for event in events]


# REST semantics.


def test_resource_versions_increase_and_lists_carry_the_current_one(server: StandInApiServer) -> None:
    status, first, _ = call(server, "POST", INGRESSES, ingress("a", uid="mine", resourceVersion="99"))
    assert status == 201
    meta = first["metadata"]
    assert meta["resourceVersion"] == "1" and meta["generation"] == 1 and meta["namespace"] == "default"
    assert meta["uid"] != "mine" and meta["creationTimestamp"].endswith("Z")
    assert first["kind"] == "Ingress" and first["status"] == {"loadBalancer": {}}
    rvs = [int(call(server, "POST", INGRESSES, ingress(name))[1]["metadata"]["resourceVersion"]) for name in "bc"]
    assert rvs == [2, 3]

    status, patched, _ = call(
        server, "PATCH", f"{INGRESSES}/a", {"metadata": {"labels": {"x": "y"}}}, "application/merge-patch+json"
    )
    assert status == 200 and patched["metadata"]["resourceVersion"] == "4" and patched["metadata"]["generation"] == 1
    _, patched, _ = call(server, "PATCH", f"{INGRESSES}/a", {"spec": {"rules": []}}, "application/merge-patch+json")
    assert patched["metadata"]["resourceVersion"] == "5" and patched["metadata"]["generation"] == 2
    _, same, _ = call(server, "PATCH", f"{INGRESSES}/a", {"spec": {"rules": []}}, "application/merge-patch+json")
    assert same["metadata"]["resourceVersion"] == "5"  # a no-op write: no new version, no event
    status, deleted, _ = call(server, "DELETE", f"{INGRESSES}/c")
    assert status == 200 and deleted["metadata"]["resourceVersion"] == "6"

    status, listed, _ = call(server, "GET", "/apis/networking.k8s.io/v1/ingresses")
    assert status == 200 and listed["kind"] == "IngressList" and listed["apiVersion"] == "networking.k8s.io/v1"
    assert listed["metadata"]["resourceVersion"] == "6" == server.resource_version
    assert [item["metadata"]["name"] for item in listed["items"]] == ["a", "b"]
    assert "kind" not in listed["items"][0]  # like the real server: list items without apiVersion/kind
    assert call(server, "GET", f"{INGRESSES}/a")[1]["metadata"]["labels"] == {"x": "y"}
    assert call(server, "GET", "/apis/networking.k8s.io/v1/namespaces/other/ingresses")[1]["items"] == []


def test_errors_are_status_objects(server: StandInApiServer) -> None:
    server.create(ingress("a"))
    status, body, _ = call(server, "GET", f"{INGRESSES}/nope")
    assert (status, body["kind"], body["reason"], body["code"]) == (404, "Status", "NotFound", 404)
    assert body["message"] == 'ingresses.networking.k8s.io "nope" not found'
    status, body, _ = call(server, "POST", INGRESSES, ingress("a"))
    assert (status, body["reason"], body["message"]) == (
        409,
        "AlreadyExists",
        'ingresses.networking.k8s.io "a" already exists',
    )
    status, body, _ = call(server, "POST", INGRESSES, {"spec": {}})
    assert (status, body["reason"]) == (422, "Invalid")
    assert "metadata.name: Required value" in body["message"]
    status, body, _ = call(server, "POST", INGRESSES, b"{not json")
    assert (status, body["reason"]) == (400, "BadRequest")
    status, body, _ = call(server, "POST", "/api/v1/namespaces/default/services", ingress("x"))
    assert status == 400  # the kind does not match the URL
    assert call(server, "GET", "/apis/example.com/v1/namespaces/default/things")[0] == 404
    assert call(server, "GET", "/openapi/v2")[1]["reason"] == "NotFound"
    status, body, _ = call(server, "PATCH", f"{INGRESSES}/a", {}, "application/apply-patch+yaml")
    assert status == 415
    with pytest.raises(ApiError) as caught:
        server.delete("networking.k8s.io/v1", "Ingress", "default", "nope")
    assert caught.value.status == 404


def test_a_stale_put_of_a_lease_conflicts(server: StandInApiServer) -> None:
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "lock"},
        "spec": {"holderIdentity": "a"},
    }
    created = call(server, "POST", LEASES, lease)[1]
    stale = created["metadata"]["resourceVersion"]
    created["spec"]["holderIdentity"] = "b"
    status, renewed, _ = call(server, "PUT", f"{LEASES}/lock", created)
    assert status == 200 and renewed["spec"]["holderIdentity"] == "b"
    assert int(renewed["metadata"]["resourceVersion"]) > int(stale)

    created["spec"]["holderIdentity"] = "c"  # still carrying the old resourceVersion
    status, body, _ = call(server, "PUT", f"{LEASES}/lock", created)
    assert (status, body["reason"], body["code"]) == (409, "Conflict", 409)
    assert body["message"] == (
        'Operation cannot be fulfilled on leases.coordination.k8s.io "lock": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert live(server, "coordination.k8s.io/v1", "Lease", "default", "lock")["spec"]["holderIdentity"] == "b"
    with pytest.raises(ApiError, match="409 Conflict"):
        server.replace(created)
    del created["metadata"]["resourceVersion"]  # an unconditional update is allowed
    assert server.replace(created)["spec"]["holderIdentity"] == "c"
    created["metadata"]["name"] = "other"
    assert call(server, "PUT", f"{LEASES}/lock", created)[0] == 400


def test_the_status_subresource_is_isolated(server: StandInApiServer) -> None:
    body = ingress("a")
    body["status"] = {"loadBalancer": {"ingress": [{"ip": "9.9.9.9"}]}}
    assert call(server, "POST", INGRESSES, body)[1]["status"] == {"loadBalancer": {}}  # POST drops status

    lb = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
    patch = {"status": lb, "spec": {"rules": []}, "metadata": {"labels": {"a": "b"}}}
    status, patched, _ = call(server, "PATCH", f"{INGRESSES}/a/status", patch, "application/merge-patch+json")
    assert status == 200 and patched["status"] == lb
    assert patched["spec"] == {"rules": [{"host": "a.example.com"}]} and "labels" not in patched["metadata"]
    assert patched["metadata"]["generation"] == 1

    current = call(server, "GET", f"{INGRESSES}/a")[1]
    current["spec"]["rules"][0]["host"] = "b.example.com"
    current["status"] = {"loadBalancer": {}}
    replaced = call(server, "PUT", f"{INGRESSES}/a", current)[1]
    assert replaced["status"] == lb and replaced["spec"]["rules"][0]["host"] == "b.example.com"
    assert replaced["metadata"]["generation"] == 2
    replaced["status"] = {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}
    replaced["spec"] = {}
    status_put = call(server, "PUT", f"{INGRESSES}/a/status", replaced)[1]
    assert status_put["status"] == replaced["status"] and status_put["spec"]["rules"][0]["host"] == "b.example.com"

    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"type": "LoadBalancer"},
        "status": {"loadBalancer": {"ingress": [{"ip": "5.5.5.5"}]}},
    }
    assert server.create(service)["status"] == service["status"]  # the helper seeds the status as given
    server.patch("v1", "Service", "default", "s", {"status": {"loadBalancer": {}}})  # ignored on the main resource
    assert live(server, "v1", "Service", "default", "s")["status"] == service["status"]
    server.patch("v1", "Service", "default", "s", {"status": {"loadBalancer": {"ingress": None}}}, subresource="status")
    assert live(server, "v1", "Service", "default", "s")["status"] == {"loadBalancer": {}}


def test_patch_types(server: StandInApiServer) -> None:
    obj = configmap("c", labels={"a": "1", "b": "2"})
    obj["data"] = {"x": "1", "y": "2"}
    server.create(obj)
    path = f"{CONFIGMAPS}/c"
    merged = call(server, "PATCH", path, {"data": {"x": None, "z": "3"}}, "application/merge-patch+json")[1]
    assert merged["data"] == {"y": "2", "z": "3"}
    strategic = {"metadata": {"labels": {"$patch": "replace", "c": "3"}}, "$setElementOrder/x": [], "data": {"y": None}}
    result = call(server, "PATCH", path, strategic, "application/strategic-merge-patch+json")[1]
    assert result["metadata"]["labels"] == {"c": "3"} and result["data"] == {"z": "3"}
    ops = [
        {"op": "add", "path": "/data/w", "value": "4"},
        {"op": "test", "path": "/data/z", "value": "3"},
        {"op": "remove", "path": "/data/z"},
        {"op": "replace", "path": "/metadata/labels/c", "value": "x"},
    ]
    result = call(server, "PATCH", path, ops, "application/json-patch+json")[1]
    assert result["data"] == {"w": "4"} and result["metadata"]["labels"] == {"c": "x"}
    failing = [{"op": "test", "path": "/data/w", "value": "nope"}]
    assert call(server, "PATCH", path, failing, "application/json-patch+json")[0] == 422
    stale = {"metadata": {"resourceVersion": "1"}, "data": {"q": "1"}}
    assert call(server, "PATCH", path, stale, "application/merge-patch+json")[1]["reason"] == "Conflict"
    assert call(server, "PATCH", f"{CONFIGMAPS}/nope", {}, "application/merge-patch+json")[0] == 404


def test_field_and_label_selectors(server: StandInApiServer) -> None:
    for name, uid in (("a", "uid-a"), ("b", "uid-b")):
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.1", "labels": {"for": name}},
            "involvedObject": {"kind": "Ingress", "namespace": "default", "name": name, "uid": uid},
            "reason": "Updated",
            "message": f"updated {name}",
            "type": "Normal",
            "source": {"component": "pomerium-ingress"},
        }
        assert call(server, "POST", EVENTS, event)[0] == 201
    events_v1 = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "a.2"},
        "regarding": {"kind": "Ingress", "namespace": "default", "name": "a", "uid": "uid-a"},
        "reason": "Synced",
        "note": "via events.k8s.io",
        "type": "Normal",
        "reportingController": "pomerium-ingress",
        "reportingInstance": "x",
        "action": "Sync",
        "eventTime": "2025-01-01T00:00:00.000000Z",
    }
    assert call(server, "POST", "/apis/events.k8s.io/v1/namespaces/default/events", events_v1)[0] == 201

    def names(path: str, **params: str) -> list[str]:
        status, body, _ = call(server, "GET", path, **params)
        assert status == 200, body
        return [item["metadata"]["name"] for item in body["items"]]

    selector = "involvedObject.kind=Ingress,involvedObject.name==a,involvedObject.uid=uid-a"
    assert names(EVENTS, fieldSelector=selector) == ["a.1", "a.2"]
    assert names("/api/v1/events", fieldSelector="involvedObject.name!=a") == ["b.1"]
    assert names(EVENTS, fieldSelector="involvedObject.namespace=default,reason=Synced") == ["a.2"]
    assert names(EVENTS, fieldSelector="metadata.name=b.1,source=pomerium-ingress") == ["b.1"]
    assert names(EVENTS, fieldSelector="involvedObject.uid=nope") == []
    assert names(EVENTS, labelSelector="for=a") == ["a.1"]
    assert names(EVENTS, labelSelector="for in (a,b),for!=b") == ["a.1"]
    assert names(EVENTS, labelSelector="!for") == ["a.2"]
    assert call(server, "GET", EVENTS, fieldSelector="spec.nope=1")[0] == 400

    core = call(server, "GET", f"{EVENTS}/a.2")[1]  # events.k8s.io/v1 and core/v1 events are the same objects
    assert core["message"] == "via events.k8s.io" and core["involvedObject"]["uid"] == "uid-a"
    assert core["reportingComponent"] == "pomerium-ingress" and core["apiVersion"] == "v1"
    as_v1 = call(server, "GET", "/apis/events.k8s.io/v1/namespaces/default/events/a.1")[1]
    assert as_v1["note"] == "updated a" and as_v1["regarding"]["name"] == "a" and "involvedObject" not in as_v1
    assert names("/apis/events.k8s.io/v1/namespaces/default/events", fieldSelector="regarding.name=b") == ["b.1"]


def test_pagination_with_limit_and_continue(server: StandInApiServer) -> None:
    server.load([configmap(f"c{index:02d}") for index in range(7)])
    seen, token, versions = [], None, set()
    while True:
        params = {"limit": "3", **({"continue": token} if token else {})}
        body = call(server, "GET", CONFIGMAPS, **params)[1]
        seen += [item["metadata"]["name"] for item in body["items"]]
        versions.add(body["metadata"]["resourceVersion"])
        token = body["metadata"].get("continue")
        if not token:
            break
        server.create(configmap(f"later-{len(seen)}"))  # does not change the pages' resourceVersion
    assert seen[:7] == [f"c{index:02d}" for index in range(7)] and versions == {"7"}


def test_finalizers_hold_the_deletion(server: StandInApiServer) -> None:
    server.create(configmap("c", finalizers=["example.com/keep"]))
    status, body, _ = call(server, "DELETE", f"{CONFIGMAPS}/c")
    assert status == 200 and body["metadata"]["deletionTimestamp"]
    assert server.get("v1", "ConfigMap", "default", "c") is not None
    server.patch("v1", "ConfigMap", "default", "c", {"metadata": {"finalizers": None}})
    assert server.get("v1", "ConfigMap", "default", "c") is None


# Watching.


def test_watch_from_a_resource_version_replays_exactly_the_later_events(server: StandInApiServer) -> None:
    server.create(configmap("a"))
    since = server.resource_version
    server.create(configmap("b"))
    server.patch("v1", "ConfigMap", "default", "a", {"data": {"k": "v"}})
    server.delete("v1", "ConfigMap", "default", "b")
    server.create({**configmap("elsewhere"), "metadata": {"name": "elsewhere", "namespace": "other"}})
    server.create(ingress("not-a-configmap"))

    watch = Watch(server, CONFIGMAPS, resourceVersion=since, timeoutSeconds="1")
    replayed = [watch.next() for _ in range(3)]
    assert summary(replayed) == [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    versions = [int(event["object"]["metadata"]["resourceVersion"]) for event in replayed]
    assert versions == sorted(versions) and versions[0] > int(since)
    assert replayed[2]["object"]["kind"] == "ConfigMap"  # watch events keep apiVersion/kind
    server.create(configmap("live"))
    assert summary([watch.next()]) == [("ADDED", "live")]
    started = time.monotonic()
    assert watch.rest() == []  # timeoutSeconds ends the stream cleanly
    assert time.monotonic() - started < 2

    everything = Watch(server, "/api/v1/configmaps", timeoutSeconds="0.3").rest()  # no resourceVersion
    assert summary(everything) == [("ADDED", "a"), ("ADDED", "live"), ("ADDED", "elsewhere")]


def test_watch_selectors_turn_entering_and_leaving_into_added_and_deleted(server: StandInApiServer) -> None:
    server.create(configmap("a", labels={"app": "web"}))
    server.create(configmap("b", labels={"app": "db"}))
    watch = Watch(server, CONFIGMAPS, labelSelector="app=web", timeoutSeconds="0.5")
    assert summary([watch.next()]) == [("ADDED", "a")]
    server.patch("v1", "ConfigMap", "default", "a", {"metadata": {"labels": {"app": "gone"}}})
    server.patch("v1", "ConfigMap", "default", "b", {"metadata": {"labels": {"app": "web"}}})
    server.patch("v1", "ConfigMap", "default", "b", {"data": {"x": "y"}})
    assert summary(watch.rest()) == [("DELETED", "a"), ("ADDED", "b"), ("MODIFIED", "b")]
    by_name = Watch(server, CONFIGMAPS, fieldSelector="metadata.name=b", resourceVersion="0", timeoutSeconds="0.3")
    assert summary(by_name.rest()) == [("ADDED", "b")]


def test_watch_from_a_compacted_resource_version_gets_410(server: StandInApiServer) -> None:
    server.create(configmap("a"))
    old = server.resource_version
    server.create(configmap("b"))
    server.compact_history()
    now = server.resource_version
    events = Watch(server, CONFIGMAPS, resourceVersion=old).rest()  # one ERROR event, then the stream ends
    assert events == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": f"too old resource version: {old} ({now})",
                "reason": "Expired",
                "code": 410,
            },
        }
    ]
    assert Watch(server, CONFIGMAPS, resourceVersion=now, timeoutSeconds="0.2").rest() == []

    with StandInApiServer(history_limit=3) as small:
        for index in range(5):
            small.create(configmap(f"c{index}"))
        assert Watch(small, CONFIGMAPS, resourceVersion="1").rest()[0]["object"]["code"] == 410
        assert summary(Watch(small, CONFIGMAPS, resourceVersion="2", timeoutSeconds="0.2").rest()) == [
            ("ADDED", "c2"),
            ("ADDED", "c3"),
            ("ADDED", "c4"),
        ]


def test_bookmarks() -> None:
    with StandInApiServer(bookmark_interval=0.1) as api:
        api.create(configmap("a"))
        events = Watch(
            api,
            CONFIGMAPS,
            allowWatchBookmarks="true",
            sendInitialEvents="true",
            resourceVersionMatch="NotOlderThan",
            timeoutSeconds="0.5",
        ).rest()
        assert events[0]["type"] == "ADDED"
        assert events[1]["type"] == "BOOKMARK"
        assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
        assert {event["type"] for event in events[2:]} == {"BOOKMARK"} and len(events) > 2
        assert events[-1]["object"]["metadata"]["resourceVersion"] == api.resource_version


def _raw_watch(api: StandInApiServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=5)
    sock.sendall(f"GET {CONFIGMAPS}?watch=true HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    return sock


def _read_until_closed(sock: socket.socket, received: bytes = b"") -> bytes:
    try:
        while chunk := sock.recv(65536):
            received += chunk
            if received.endswith(b"0\r\n\r\n"):
                break
    except ConnectionError:
        pass
    sock.close()
    return received


def test_stop_kills_open_watches_and_start_keeps_the_objects(server: StandInApiServer) -> None:
    server.create(configmap("a"))
    port = server.port
    sock = _raw_watch(server)
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200") and b"Transfer-Encoding: chunked" in first
    wait_for_watches(server, 1)
    server.stop()
    received = _read_until_closed(sock, first)
    assert b'"ADDED"' in received and not received.endswith(b"0\r\n\r\n")  # died mid-stream
    assert server.watch_count == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()

    before = server.resource_version
    server.delete("v1", "ConfigMap", "default", "a")  # while the API server is away
    server.create(configmap("b"))
    server.start()
    assert server.port == port
    assert [item["metadata"]["name"] for item in call(server, "GET", CONFIGMAPS)[1]["items"]] == ["b"]
    events = Watch(server, CONFIGMAPS, resourceVersion=before, timeoutSeconds="0.3").rest()
    assert summary(events) == [("DELETED", "a"), ("ADDED", "b")]


def test_drop_watches_ends_the_streams_and_the_server_stays(server: StandInApiServer) -> None:
    sock = _raw_watch(server)
    sock.recv(65536)
    wait_for_watches(server, 1)
    assert server.drop_watches() == 1
    assert _read_until_closed(sock).endswith(b"0\r\n\r\n")  # a clean end of the chunked stream
    assert server.watch_count == 0
    assert call(server, "GET", CONFIGMAPS)[0] == 200


# Faults and the request log.


def test_injected_faults_and_the_request_log(server: StandInApiServer) -> None:
    fault = server.inject_fault(method="GET", path_regex=r"/configmaps$", status=429, times=2, retry_after=2)
    status, body, headers = call(server, "GET", CONFIGMAPS)
    assert (status, body["reason"], headers["Retry-After"]) == (429, "TooManyRequests", "2")
    assert body["details"]["retryAfterSeconds"] == 2
    assert call(server, "GET", CONFIGMAPS)[0] == 429
    assert call(server, "GET", CONFIGMAPS)[0] == 200 and fault.hits == 2
    assert call(server, "POST", CONFIGMAPS, configmap("a"))[0] == 201  # another method: not affected

    server.inject_fault(path_regex=r"^/api/v1/namespaces/default/configmaps/a$", status=500)
    assert call(server, "GET", f"{CONFIGMAPS}/a")[1]["code"] == 500
    assert call(server, "GET", f"{CONFIGMAPS}/a")[0] == 200

    server.inject_fault(method="GET", path_regex=r"/configmaps$", delay=0.5)
    started = time.monotonic()
    assert call(server, "GET", CONFIGMAPS)[0] == 200
    assert time.monotonic() - started >= 0.5
    server.inject_fault(status=503, times=None, watch=True)
    assert call(server, "GET", CONFIGMAPS, watch="1")[0] == 503
    assert call(server, "GET", CONFIGMAPS)[0] == 200
    server.clear_faults()

    assert server.requests[0] == ("GET", CONFIGMAPS, {})
    assert ("POST", CONFIGMAPS, {}) in server.requests
    assert server.requests[-2] == ("GET", CONFIGMAPS, {"watch": "1"})


# Scale.


def test_ten_thousand_ingresses_load_and_list_fast(server: StandInApiServer) -> None:
    objects = []
    for index in range(10_000):
        namespace = f"team-{index % 20:02d}"
        objects.append(
            ingress(
                f"app-{index:05d}",
                f"app-{index}.example.com",
                namespace,
                annotations={"ingress.pomerium.io/policy": "allow:\n  or: []\n"},
            )
        )
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"app-{index:05d}", "namespace": namespace},
                "spec": {"ports": [{"name": "http", "port": 80}]},
            }
        )
    started = time.monotonic()
    assert server.load(objects) == 20_000
    assert time.monotonic() - started < 10
    started = time.monotonic()
    status, body, _ = call(server, "GET", "/apis/networking.k8s.io/v1/ingresses")
    assert time.monotonic() - started < 1.0
    assert status == 200 and len(body["items"]) == 10_000
    assert body["metadata"]["resourceVersion"] == "20000"
    assert len(call(server, "GET", "/api/v1/namespaces/team-07/services")[1]["items"]) == 500
    started = time.monotonic()
    for index in range(2_000):
        server.create(configmap(f"c{index}"))
    assert time.monotonic() - started < 10


# The standalone process.


def test_python_m_runs_a_standalone_server(tmp_path: Path) -> None:
    manifest = tmp_path / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all([ingress("one"), {"kind": "List", "items": [configmap("two")]}]))
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.standin",
            "--port",
            "0",
            "--kubeconfig",
            str(kubeconfig),
            "--load",
            str(manifest),
        ],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0].startswith("loaded 2 objects") and lines[2].startswith("listening on http://127.0.0.1:")
        url = lines[2].split()[-1]
        assert yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"] == url
        connection = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=5)
        connection.request("GET", INGRESSES)
        items = json.loads(connection.getresponse().read())["items"]
        assert [item["metadata"]["name"] for item in items] == ["one"]
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


# The real kubectl.

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def kubectl(api: StandInApiServer, tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
    command = ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "kube-cache"), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


@needs_kubectl
def test_kubectl_create_get_apply_replace_delete(server: StandInApiServer, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(yaml.safe_dump(ingress("web", "web.example.com", labels={"app": "web"})))
    assert "ingress.networking.k8s.io/web created" in kubectl(server, tmp_path, "create", "-f", str(manifest)).stdout
    listed = kubectl(server, tmp_path, "get", "ingress", "-A").stdout
    assert listed.split()[:3] == ["NAMESPACE", "NAME", "AGE"] and "default     web" in listed
    got = yaml.safe_load(kubectl(server, tmp_path, "get", "ingress", "web", "-o", "yaml").stdout)
    assert got["spec"]["rules"] == [{"host": "web.example.com"}] and got["metadata"]["resourceVersion"] == "1"

    changed = ingress("web", "www.example.com", labels={"app": "web"})
    manifest.write_text(yaml.safe_dump(changed))
    assert "replaced" in kubectl(server, tmp_path, "replace", "-f", str(manifest)).stdout
    assert live(server, *WEB)["spec"]["rules"][0]["host"] == "www.example.com"
    assert "deleted" in kubectl(server, tmp_path, "delete", "ingress", "web").stdout
    assert server.get(*WEB) is None

    assert "created" in kubectl(server, tmp_path, "apply", "-f", str(manifest)).stdout
    changed["spec"]["rules"][0]["host"] = "applied.example.com"
    manifest.write_text(yaml.safe_dump(changed))
    applied = kubectl(server, tmp_path, "apply", "-f", str(manifest))
    assert "configured" in applied.stdout and applied.stderr == ""
    assert ("PATCH", f"{INGRESSES}/web") in [(method, path) for method, path, _query in server.requests]
    applied_web = live(server, *WEB)
    assert applied_web["spec"]["rules"] == [{"host": "applied.example.com"}]
    assert applied_web["metadata"]["generation"] == 2
    assert "kubectl.kubernetes.io/last-applied-configuration" in applied_web["metadata"]["annotations"]
    assert "unchanged" in kubectl(server, tmp_path, "apply", "-f", str(manifest)).stdout
    kubectl(server, tmp_path, "delete", "-f", str(manifest))
    assert "No resources found" in kubectl(server, tmp_path, "get", "ing", "-n", "default").stderr


@needs_kubectl
def test_kubectl_describe_ingress_lists_its_events(server: StandInApiServer, tmp_path: Path) -> None:
    server.create(ingress("web", "web.example.com"))
    uid = live(server, "networking.k8s.io/v1", "Ingress", "default", "web")["metadata"]["uid"]
    involved = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "namespace": "default", "name": "web"}
    stamp = "2025-01-01T00:00:00Z"
    for name, event_uid, reason in (("web.1", uid, "UpdateError"), ("web.old", "a-previous-web", "Stale")):
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name},
            "type": "Warning",
            "involvedObject": {**involved, "uid": event_uid},
            "reason": reason,
            "message": f"{reason} message",
            "source": {"component": "pomerium-ingress"},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        assert call(server, "POST", EVENTS, event)[0] == 201
    events_v1 = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.2"},
        "type": "Normal",
        "regarding": {**involved, "uid": uid},
        "reason": "Updated",
        "note": "updated pomerium configuration",
        "reportingController": "pomerium-ingress",
        "reportingInstance": "replica-a",
        "action": "Update",
        "eventTime": "2025-01-01T00:00:01.000000Z",
    }
    assert call(server, "POST", "/apis/events.k8s.io/v1/namespaces/default/events", events_v1)[0] == 201

    described = kubectl(server, tmp_path, "describe", "ingress", "web", "-n", "default").stdout
    events = described.split("Events:", 1)[1]
    assert "UpdateError" in events and "UpdateError message" in events and "pomerium-ingress" in events
    assert "updated pomerium configuration" in events
    assert "Stale" not in events  # another object's events (by uid) are not listed
    selector = [query.get("fieldSelector", "") for method, path, query in server.requests if path == EVENTS]
    assert any(f"involvedObject.uid={uid}" in text and "involvedObject.name=web" in text for text in selector)
    listed = kubectl(server, tmp_path, "get", "events", "-n", "default").stdout
    assert "web.1" in listed and "web.2" in listed and "web.old" in listed
