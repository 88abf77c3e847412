"""The HTTP side of the stand-in: kmock's ``KubernetesEmulator`` with its storage and watch replaced by ``Store``.

Kept from kmock: the aiohttp request plumbing, API discovery (``/api``, ``/apis``, ``/apis/GROUP``, ``/``,
``/version``), the ``ResourceInfo`` registry and the fallback 404s. Replaced: URL parsing for resource requests
(kmock's fails on ``/api/v1/namespaces``), the action guessing (no PUT, no ``watch=1``), object tracking (no
resourceVersions), watching (ignores resourceVersion), error bodies (kmock adds tracebacks and non-standard
reasons) and the per-group-version discovery (kmock gives subresources the verbs and short names of the parent).
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import json
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

import aiohttp.web
import attrs
from kmock import KubernetesEmulator, KubernetesNotFoundError, ResourceInfo, resource
from kmock._internal import rendering

from tests.standin.patches import PATCH_TYPES
from tests.standin.resources import BY_PATH, RESOURCES, SUBRESOURCE_VERBS, VERBS, ResourceDef
from tests.standin.selectors import Predicate, SelectorError, compile_selector
from tests.standin.store import ApiError, Change, Obj, Store, bad_request, not_found

SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-standin",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}
REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
log = logging.getLogger(__name__)
NOT_FOUND = "the server could not find the requested resource"
WATCH_BATCH = 500  # initial events per write


class RequestRecord(NamedTuple):
    """One request as it arrived: ``(method, path, query)``."""

    method: str
    path: str
    query: dict[str, str]


@dataclass
class Fault:
    """The next ``times`` matching requests (None: all) are delayed by ``delay`` s, then fail with ``status``."""

    method: str | None = None
    path_regex: str | None = None
    status: int | None = None
    times: int | None = 1
    delay: float = 0.0
    retry_after: float | None = None
    watch: bool | None = None  # None: watches and other requests; True: only watches; False: no watches
    hits: int = 0

    def matches(self, method: str, path: str, watch: bool) -> bool:
        return (
            (self.times is None or self.hits < self.times)
            and (self.method is None or self.method.upper() == method)
            and (self.path_regex is None or re.search(self.path_regex, path) is not None)
            and (self.watch is None or self.watch == watch)
        )

    def error(self) -> ApiError:
        assert self.status is not None
        reason = REASONS.get(self.status, "InternalError")
        message = "Too many requests, please try again later." if self.status == 429 else f"injected fault: {reason}"
        details: dict[str, Any] = {"causes": [{"message": message}]}
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        return ApiError(self.status, reason, message, details)


class Faults:
    """The injected faults, shared by the test thread and the server's event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str, watch: bool) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, watch):
                    fault.hits += 1
                    return fault
        return None


@dataclass(frozen=True)
class Target:
    """A resource URL: ``/api/v1/namespaces/NS/PLURAL/NAME/SUBRESOURCE`` or ``/apis/GROUP/VERSION/...``."""

    group: str
    version: str
    plural: str
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_target(path: str) -> Target | None:
    """The resource a URL addresses, or None for anything else (discovery, /version, /openapi, unknown)."""
    parts = path.strip("/").split("/")
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and not (len(rest) == 3 and rest[2] in ("status", "finalize")):
        namespace, rest = rest[1], rest[2:]
    name = rest[1] if len(rest) > 1 else None
    return Target(group, version, rest[0], namespace, name, "/".join(rest[2:]) or None)


def _json(body: Any, status: int = 200) -> aiohttp.web.Response:
    return aiohttp.web.Response(body=json.dumps(body).encode(), status=status, content_type="application/json")


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as err:
        raise bad_request(f"couldn't get version/kind; json parse error: {err}") from None


def _not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def _strip_type(obj: Obj) -> Obj:
    """List items come without apiVersion/kind from the real API server."""
    return {key: value for key, value in obj.items() if key != "apiVersion" and key != "kind"}


def _continue_token(rv: int, key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps([rv, *key]).encode()).decode()


@attrs.define(kw_only=True)
class StandInEmulator(KubernetesEmulator):
    """Serves ``Store`` over the Kubernetes REST + watch protocol; one instance per server start."""

    store: Store
    faults: Faults = attrs.field(factory=Faults)
    log: list[RequestRecord] = attrs.field(factory=list)
    bookmark_interval: float = 60.0

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for res in RESOURCES:
            self.resources[resource(res.group, res.version, res.plural)] = ResourceInfo(
                namespaced=res.namespaced,
                kind=res.kind,
                singular=res.singular,
                verbs=VERBS,
                shortnames=res.short_names,
                categories=res.categories,
                subresources=res.subresources,
            )

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        body = await raw_request.read()
        method, path, query = raw_request.method, raw_request.path, dict(raw_request.query)
        watch = query.get("watch") in ("true", "1")
        self.log.append(RequestRecord(method, path, query))
        try:
            fault = self.faults.take(method, path, watch)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status:
                    raise fault.error()
            target = parse_target(path)
            if target is not None:
                return await self._serve(raw_request, target, query, body, watch)
            if path == "/openapi/v3" or path.startswith("/openapi/v3/"):
                return _json(self._openapi_v3(path))
            if method != "GET":
                raise _not_allowed()
        except ApiError as err:
            return self._error_response(err)
        except Exception as err:  # a bug of the stand-in: a 500 Status, and the traceback in the log
            log.exception("stand-in API server: %s %s failed", method, path)
            return await self._render_error(err)
        try:
            return await super().__call__(raw_request)  # discovery, /version and 404s: kmock's DSL
        finally:
            self._requests.clear()  # kmock's own request log would only grow: `log` has them all

    # Errors.

    @staticmethod
    def _error_response(err: ApiError) -> aiohttp.web.Response:
        response = _json(err.body(), err.status)
        retry_after = (err.details or {}).get("retryAfterSeconds") if isinstance(err.details, dict) else None
        if retry_after is not None:
            response.headers["Retry-After"] = str(int(retry_after) if float(retry_after).is_integer() else retry_after)
        return response

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        if isinstance(exc, ApiError):
            return self._error_response(exc)
        if isinstance(exc, KubernetesNotFoundError):
            return self._error_response(ApiError(404, "NotFound", NOT_FOUND, {}))
        return self._error_response(ApiError(500, "InternalError", f"Internal error occurred: {exc!r}"))

    # Discovery (the rest is kmock's).

    async def _serve_version(self, request: rendering.Request) -> rendering.Payload:
        assert request.resource is not None
        group, version = request.resource.group, request.resource.version
        entries: list[dict[str, Any]] = []
        for res in self.resources:
            info = self.resources[res]
            if not isinstance(res, resource) or res.group != group or res.version != version:
                continue
            entry: dict[str, Any] = {"name": res.plural, "singularName": info.singular, "namespaced": info.namespaced}
            entry |= {"kind": info.kind, "verbs": sorted(info.verbs)}
            if info.shortnames:
                entry["shortNames"] = sorted(info.shortnames)
            if info.categories:
                entry["categories"] = sorted(info.categories)
            entries.append(entry)
            for sub in sorted(info.subresources):
                entries.append(
                    {
                        "name": f"{res.plural}/{sub}",
                        "singularName": "",
                        "namespaced": info.namespaced,
                        "kind": info.kind,
                        "verbs": list(SUBRESOURCE_VERBS),
                    }
                )
        if not entries:
            raise KubernetesNotFoundError()
        group_version = f"{group}/{version}" if group else str(version)
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries}

    async def _serve_server_version(self, request: rendering.Request) -> rendering.Payload:
        return dict(SERVER_VERSION)

    def _openapi_v3(self, path: str) -> Any:
        """Just enough OpenAPI v3 for kubectl to see that the server validates fields (``fieldValidation``)."""
        group_versions = sorted({res.api_version for res in RESOURCES})
        if path.rstrip("/") == "/openapi/v3":
            paths = {}
            for gv in group_versions:
                prefix = "api" if "/" not in gv else "apis"
                paths[f"{prefix}/{gv}"] = {"serverRelativeURL": f"/openapi/v3/{prefix}/{gv}?hash=standin"}
            return {"paths": paths}
        gv = path.removeprefix("/openapi/v3/").removeprefix("apis/").removeprefix("api/").strip("/")
        if gv not in group_versions:
            raise ApiError(404, "NotFound", NOT_FOUND, {})
        operations: dict[str, Any] = {}
        for res in RESOURCES:
            if res.api_version != gv:
                continue
            gvk = {"group": res.group, "version": res.version, "kind": res.kind}
            scope = "namespaces/{namespace}/" if res.namespaced else ""
            prefix = f"/api/{gv}" if not res.group else f"/apis/{gv}"
            param = {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
            operation = {"x-kubernetes-group-version-kind": gvk, "parameters": [param], "responses": {}}
            operations[f"{prefix}/{scope}{res.plural}"] = {"post": operation}
            operations[f"{prefix}/{scope}{res.plural}/{{name}}"] = {"put": operation, "patch": operation}
        info = {"title": "Kubernetes", "version": "v1.32.0"}
        return {"openapi": "3.0.0", "info": info, "paths": operations, "components": {"schemas": {}}}

    # Resources.

    async def _serve(
        self, raw: aiohttp.web.BaseRequest, target: Target, query: dict[str, str], body: bytes, watch: bool
    ) -> aiohttp.web.StreamResponse:
        res = BY_PATH.get((target.group, target.version, target.plural))
        namespace, name, sub, method = target.namespace, target.name, target.subresource, raw.method
        if res is None or (namespace is not None and not res.namespaced) or sub not in (None, *res.subresources):
            raise ApiError(404, "NotFound", NOT_FOUND, {})
        if res.namespaced and namespace is None and (name is not None or method not in ("GET",)):
            raise ApiError(404, "NotFound", NOT_FOUND, {})
        store = self.store
        if method == "GET" and (watch or name is None):
            try:
                predicate = compile_selector(
                    res.fields,
                    query.get("fieldSelector", ""),
                    query.get("labelSelector", ""),
                    namespace if res.namespaced else None,
                    name,
                )
            except SelectorError as err:
                raise bad_request(str(err)) from None
            if watch:
                return await self._watch(raw, res, query, predicate)
            return self._list(res, namespace, query, predicate)
        if method == "POST" and name is None:
            return _json(store.create(res, namespace, _decode(body)), 201)
        if name is None:
            raise _not_allowed()
        if method == "GET":
            obj = store.get(res, namespace or "", name)
            if obj is None:
                raise not_found(res, name)
            return _json(obj)
        if method == "PUT":
            return _json(store.replace(res, namespace, name, _decode(body), subresource=sub))
        if method == "PATCH":
            content_type = raw.content_type
            if content_type not in PATCH_TYPES:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types include: "
                    f"{', '.join(PATCH_TYPES)}",
                )
            return _json(store.patch(res, namespace, name, _decode(body), content_type, subresource=sub))
        if method == "DELETE":
            return _json(store.delete(res, namespace, name, _decode(body) if body.strip() else None))
        raise _not_allowed()

    def _list(
        self, res: ResourceDef, namespace: str | None, query: dict[str, str], predicate: Predicate | None
    ) -> aiohttp.web.Response:
        rv, items = self.store.list_keyed(res, namespace, predicate)
        metadata: dict[str, Any] = {"resourceVersion": str(rv)}
        if query.get("continue"):
            try:
                rv, *after = json.loads(base64.urlsafe_b64decode(query["continue"]))
            except ValueError:
                raise bad_request("continue key is not valid") from None
            metadata["resourceVersion"] = str(rv)
            items = items[bisect.bisect_right([key for key, _obj in items], tuple(after)) :]
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            raise bad_request(f"invalid limit: {query['limit']!r}") from None
        if 0 < limit < len(items):
            metadata["continue"] = _continue_token(rv, items[limit - 1][0])
            metadata["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return _json(
            {
                "kind": f"{res.kind}List",
                "apiVersion": res.api_version,
                "metadata": metadata,
                "items": [_strip_type(obj) for _key, obj in items],
            }
        )

    # Watching.

    async def _watch(
        self, raw: aiohttp.web.BaseRequest, res: ResourceDef, query: dict[str, str], predicate: Predicate | None
    ) -> aiohttp.web.StreamResponse:
        rv_text = query.get("resourceVersion", "")
        initial = query.get("sendInitialEvents") == "true"
        try:
            since = None if rv_text in ("", "0") or initial else int(rv_text)
            timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        except ValueError:
            raise bad_request(f"invalid resource version or timeout: {rv_text!r}") from None
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        try:
            watcher, current, replay = self.store.watch(res, since, asyncio.get_running_loop())
        except ApiError as err:  # 410: the real server answers 200 with one ERROR event
            await response.prepare(raw)
            await response.write(self._line("ERROR", err.body()))
            await response.write_eof()
            return response
        try:
            await response.prepare(raw)
            async with asyncio.timeout(timeout):
                views = map(res.from_storage, current)
                lines = [self._line("ADDED", obj) for obj in views if predicate is None or predicate(obj)]
                lines += [line for change in replay if (line := self._change_line(res, change, predicate))]
                for start in range(0, len(lines), WATCH_BATCH):
                    await response.write(b"".join(lines[start : start + WATCH_BATCH]))
                if initial and bookmarks:
                    await response.write(self._bookmark(res, watcher.last_rv, initial_end=True))
                while True:
                    try:
                        if bookmarks:
                            item = await asyncio.wait_for(watcher.queue.get(), self.bookmark_interval)
                        else:
                            item = await watcher.queue.get()
                    except TimeoutError:
                        await response.write(self._bookmark(res, watcher.last_rv))
                        continue
                    if item is None:
                        break
                    if line := self._change_line(res, item, predicate):
                        await response.write(line)
        except TimeoutError:
            pass  # timeoutSeconds is over: end the stream normally
        except ConnectionError:
            return response
        finally:
            self.store.unwatch(watcher)
        await response.write_eof()
        return response

    @staticmethod
    def _line(kind: str, obj: Obj) -> bytes:
        return json.dumps({"type": kind, "object": obj}).encode() + b"\n"

    def _change_line(self, res: ResourceDef, change: Change, predicate: Predicate | None) -> bytes | None:
        """The event a watcher with ``predicate`` sees: objects entering the selection are ADDED, leaving DELETED."""
        obj = res.from_storage(change.obj)
        kind: str | None = change.type
        if predicate is not None:
            matches = predicate(obj)
            if change.type == "MODIFIED":
                matched = change.old is not None and predicate(res.from_storage(change.old))
                kind = "MODIFIED" if matches and matched else "ADDED" if matches else "DELETED" if matched else None
            elif not matches:
                kind = None
        return None if kind is None else self._line(kind, obj)

    @staticmethod
    def _bookmark(res: ResourceDef, rv: int, initial_end: bool = False) -> bytes:
        metadata: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": res.kind, "apiVersion": res.api_version, "metadata": metadata}
        return json.dumps({"type": "BOOKMARK", "object": obj}).encode() + b"\n"
