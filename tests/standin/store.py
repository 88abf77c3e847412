"""The stand-in's "etcd": objects, one global resourceVersion counter, the retained event history, watchers.

Thread-safe: every method takes one lock, so the HTTP server's event loop and synchronous test code can use
the same store at once. Stored objects are never mutated after they are stored (every write stores a new
dict), so readers may serialize them without copying; callers outside this package must copy them first.
"""

from __future__ import annotations

import asyncio
import builtins
import collections
import contextlib
import datetime
import random
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from kmock import KubernetesError

from tests.standin.patches import PatchError, apply_patch
from tests.standin.resources import ResourceDef, resolve
from tests.standin.selectors import Predicate

Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects
Obj = dict[str, Any]

# Metadata that only the server sets: an update keeps the stored values.
SYSTEM_FIELDS: tuple[str, ...] = ("name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion")
SYSTEM_FIELDS += ("deletionTimestamp", "deletionGracePeriodSeconds")
INITIAL_STATUS: dict[str, Obj] = {
    "Service": {"loadBalancer": {}},
    "Ingress": {"loadBalancer": {}},
    "Namespace": {"phase": "Active"},
}


class ApiError(KubernetesError):
    """An error the API server answers with a ``Status`` object (also raised by the synchronous helpers)."""

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"

    def body(self) -> Obj:
        return status_body(self.status, self.reason or "InternalError", self.message or "", self.details)


def status_body(code: int, reason: str, message: str, details: Any = None) -> Obj:
    """A ``kind: Status`` failure as the real API server renders it."""
    body: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message}
    if reason:
        body["reason"] = reason
    if details:
        body["details"] = details
    body["code"] = code
    return body


def not_found(res: ResourceDef, name: str) -> ApiError:
    details = {"name": name, "group": res.group, "kind": res.plural}
    return ApiError(404, "NotFound", f'{res.qualified} "{name}" not found', details)


def conflict(res: ResourceDef, name: str, why: str = "") -> ApiError:
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    details = {"name": name, "group": res.group, "kind": res.plural}
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {res.qualified} "{name}": {why}', details)


def invalid(res: ResourceDef, name: str, field: str, why: str) -> ApiError:
    kind = f"{res.kind}.{res.group}" if res.group else res.kind
    details = {"name": name, "group": res.group, "kind": res.kind, "causes": [{"message": why, "field": field}]}
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {field}: {why}', details)


#: The API server refuses a Secret whose values hold more than this many bytes together (core.MaxSecretSize).
MAX_SECRET_SIZE = 1024 * 1024


def check_secret_size(res: ResourceDef, obj: Obj) -> None:
    """422 like the API server when a Secret's ``data`` (decoded) and ``stringData`` exceed 1 MiB."""
    if res.kind != "Secret":
        return
    total = 0
    for value in (obj.get("data") or {}).values():
        text = str(value or "")
        total += len(text) * 3 // 4 - text[-2:].count("=")
    total += sum(len(str(value or "").encode()) for value in (obj.get("stringData") or {}).values())
    if total > MAX_SECRET_SIZE:
        name = str((obj.get("metadata") or {}).get("name") or "")
        raise invalid(res, name, "data", f"Too long: must have at most {MAX_SECRET_SIZE} bytes")


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Change:
    """One event in the history: the stored object after the change (and before it, if any)."""

    rv: int
    key: str  # ResourceDef.storage_key
    type: str  # ADDED, MODIFIED, DELETED
    obj: Obj
    old: Obj | None


class Watcher:
    """An open watch: the store pushes every change of its storage key to ``queue``, in resourceVersion order.

    ``None`` in the queue means "end the stream". ``last_rv`` is the newest resourceVersion the watcher was
    told about (for bookmarks), updated in the watcher's own event loop.
    """

    def __init__(self, key: str, loop: asyncio.AbstractEventLoop, last_rv: int) -> None:
        self.key = key
        self.loop = loop
        self.last_rv = last_rv
        self.queue: asyncio.Queue[Change | None] = asyncio.Queue()

    def push(self, item: Change | None) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody listens any more
            self.loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: Change | None) -> None:
        self.queue.put_nowait(item)
        if item is not None:
            self.last_rv = item.rv


class Store:
    """Objects by (storage key, namespace, name), the global resourceVersion and the event history."""

    def __init__(self, history_limit: int | None = 10_000) -> None:
        self.history_limit = history_limit
        self._lock = threading.RLock()
        self._rv = 0
        self._objects: dict[str, dict[Key, Obj]] = collections.defaultdict(dict)
        self._history: collections.deque[Change] = collections.deque()
        self._floor = 0  # every change with rv > floor is still in the history
        self._watchers: dict[str, set[Watcher]] = collections.defaultdict(set)

    @property
    def resource_version(self) -> int:
        return self._rv

    # Reading.

    def get(self, res: ResourceDef, namespace: str, name: str) -> Obj | None:
        obj = self._objects[res.storage_key].get((namespace if res.namespaced else "", name))
        return None if obj is None else res.from_storage(obj)

    def list_keyed(
        self, res: ResourceDef, namespace: str | None = None, predicate: Predicate | None = None
    ) -> tuple[int, list[tuple[Key, Obj]]]:
        """The current resourceVersion and the matching objects with their keys, sorted by (namespace, name)."""
        with self._lock:
            rv = self._rv
            items = list(self._objects[res.storage_key].items())
        if namespace is not None and res.namespaced:
            items = [item for item in items if item[0][0] == namespace]
        items.sort(key=itemgetter(0))
        if res.renames:
            items = [(key, res.from_storage(obj)) for key, obj in items]
        if predicate is not None:
            items = [item for item in items if predicate(item[1])]
        return rv, items

    def list(self, res: ResourceDef, namespace: str | None = None, predicate: Predicate | None = None) -> list[Obj]:
        return [obj for _key, obj in self.list_keyed(res, namespace, predicate)[1]]

    # Writing.

    def create(self, res: ResourceDef, namespace: str | None, body: Any, *, seed: bool = False) -> Obj:
        """POST. ``seed`` (the test helpers) keeps a given uid, creationTimestamp, generation and status."""
        obj = self._incoming(res, body)
        meta = dict(obj.get("metadata") or {})
        ns = self._namespace(res, namespace, meta)
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = meta["generateName"] + "".join(random.choices("bcdfghjklmnpqrstvwxz2456789", k=5))
        if not name:
            raise invalid(res, "", "metadata.name", "Required value: name or generateName is required")
        meta["name"] = name
        if res.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        meta.pop("resourceVersion", None)
        if not seed:
            for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
                meta.pop(field, None)
            if res.has_status:
                obj["status"] = dict(INITIAL_STATUS.get(res.kind, {}))
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now())
        meta.setdefault("generation", 1)
        obj["metadata"] = meta
        check_secret_size(res, obj)
        with self._lock:
            if (ns, name) in self._objects[res.storage_key]:
                details = {"name": name, "group": res.group, "kind": res.plural}
                raise ApiError(409, "AlreadyExists", f'{res.qualified} "{name}" already exists', details)
            return res.from_storage(self._commit(res.storage_key, "ADDED", obj, None))

    def replace(
        self, res: ResourceDef, namespace: str | None, name: str, body: Any, *, subresource: str | None = None
    ) -> Obj:
        """PUT (of the object, or of its status with ``subresource="status"``)."""
        incoming = self._incoming(res, body)
        with self._lock:
            old = self._current(res, namespace, name)
            return res.from_storage(self._update(res, old, incoming, subresource))

    def patch(
        self,
        res: ResourceDef,
        namespace: str | None,
        name: str,
        patch: Any,
        content_type: str,
        *,
        subresource: str | None = None,
    ) -> Obj:
        """PATCH with a merge, strategic merge or JSON patch (see ``patches.PATCH_TYPES``)."""
        with self._lock:
            old = self._current(res, namespace, name)
            try:
                patched = apply_patch(res.from_storage(old), patch, content_type)
            except PatchError as err:
                raise ApiError(422, "Invalid", f"the server rejected our request due to an error: {err}") from None
            return res.from_storage(self._update(res, old, self._incoming(res, patched), subresource))

    def delete(self, res: ResourceDef, namespace: str | None, name: str, options: Any = None) -> Obj:
        """DELETE: gone at once without finalizers; with finalizers, marked with deletionTimestamp until
        an update removes the last finalizer."""
        preconditions = (options.get("preconditions") if isinstance(options, dict) else None) or {}
        with self._lock:
            old = self._current(res, namespace, name)
            meta = old["metadata"]
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                wanted = preconditions.get(field)
                if wanted and wanted != meta.get(field):
                    why = f"Precondition failed: {label} in precondition: {wanted}, "
                    why += f"{label} in object meta: {meta.get(field)}"
                    raise conflict(res, name, why)
            if meta.get("finalizers") and meta.get("deletionTimestamp"):
                return res.from_storage(old)
            new = {**old, "metadata": dict(meta)}
            if meta.get("finalizers"):
                new["metadata"].update(deletionTimestamp=now(), deletionGracePeriodSeconds=0)
                return res.from_storage(self._commit(res.storage_key, "MODIFIED", new, old))
            return res.from_storage(self._commit(res.storage_key, "DELETED", new, old))

    def load(self, objects: Iterable[Obj]) -> int:
        """Create many objects under one lock acquisition, as ``create(..., seed=True)`` does; the count."""
        count = 0
        with self._lock:
            for obj in objects:
                res = resolve(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
                self.create(res, None, obj, seed=True)
                count += 1
        return count

    # Watching.

    def watch(
        self, res: ResourceDef, since: int | None, loop: asyncio.AbstractEventLoop
    ) -> tuple[Watcher, builtins.list[Obj], builtins.list[Change]]:
        """Register a watcher; with it, the current objects (``since`` None) or the changes after ``since``.

        Raises 410 Expired when changes after ``since`` were compacted away.
        """
        key = res.storage_key
        with self._lock:
            current: builtins.list[Obj] = []
            replay: builtins.list[Change] = []
            if since is None:
                current = [obj for _key, obj in sorted(self._objects[key].items(), key=itemgetter(0))]
            elif since < self._floor:
                raise ApiError(410, "Expired", f"too old resource version: {since} ({self._floor})")
            else:
                for change in reversed(self._history):
                    if change.rv <= since:
                        break
                    if change.key == key:
                        replay.append(change)
                replay.reverse()
            watcher = Watcher(key, loop, self._rv)
            self._watchers[key].add(watcher)
        return watcher, current, replay

    def unwatch(self, watcher: Watcher) -> None:
        with self._lock:
            self._watchers[watcher.key].discard(watcher)

    def end_watches(self) -> int:
        """Tell every open watch to end its stream (they unregister themselves); how many there were."""
        with self._lock:
            watchers = [w for group in self._watchers.values() for w in group]
        for watcher in watchers:
            watcher.push(None)
        return len(watchers)

    def watcher_count(self) -> int:
        with self._lock:
            return sum(len(group) for group in self._watchers.values())

    def compact(self) -> None:
        """Forget the history: watching from any resourceVersion before the current one gets 410 Expired."""
        with self._lock:
            self._history.clear()
            self._floor = self._rv

    # Internals (call with the lock held).

    def _incoming(self, res: ResourceDef, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a JSON object")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != res.api_version:
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({res.api_version})"
            )
        if kind and kind != res.kind:
            raise bad_request(f'{kind} in version "{res.version}" cannot be handled as a {res.kind}')
        obj = res.to_storage(body)
        if not isinstance(obj.get("metadata") or {}, dict):
            raise bad_request("metadata must be an object")
        return {"apiVersion": "v1" if res.renames else res.api_version, "kind": res.kind, **obj}

    @staticmethod
    def _namespace(res: ResourceDef, namespace: str | None, meta: Obj) -> str:
        if not res.namespaced:
            return ""
        given = meta.get("namespace")
        if namespace is None:
            return given or "default"
        if given and given != namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        return namespace

    def _current(self, res: ResourceDef, namespace: str | None, name: str) -> Obj:
        ns = (namespace or "default") if res.namespaced else ""
        obj = self._objects[res.storage_key].get((ns, name))
        if obj is None:
            raise not_found(res, name)
        return obj

    def _update(self, res: ResourceDef, old: Obj, incoming: Obj, subresource: str | None) -> Obj:
        old_meta = old["metadata"]
        meta = dict(incoming.get("metadata") or {})
        name = old_meta["name"]
        if meta.get("name") not in (None, "", name):
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
        if res.namespaced and meta.get("namespace") not in (None, "", old_meta.get("namespace")):
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise conflict(res, name)

        if subresource == "status":
            new = {**old, "metadata": dict(old_meta)}
            new.pop("status", None)
            if "status" in incoming:
                new["status"] = incoming["status"]
        else:
            new = {**incoming, "apiVersion": old["apiVersion"], "kind": old["kind"]}
            for field in SYSTEM_FIELDS:
                if field in old_meta:
                    meta[field] = old_meta[field]
                else:
                    meta.pop(field, None)
            if new.get("spec") != old.get("spec"):
                meta["generation"] = int(old_meta.get("generation") or 0) + 1
            new["metadata"] = meta
            if res.has_status:
                new.pop("status", None)
                if "status" in old:
                    new["status"] = old["status"]
        if new == old:  # a no-op write: no new resourceVersion, no event (as the real server does)
            return old
        check_secret_size(res, new)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            return self._commit(res.storage_key, "DELETED", new, old)
        return self._commit(res.storage_key, "MODIFIED", new, old)

    def _commit(self, key: str, kind: str, obj: Obj, old: Obj | None) -> Obj:
        """Stamp a new resourceVersion on ``obj`` (whose metadata dict must be its own), store, record, notify."""
        self._rv += 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self._rv)
        objects = self._objects[key]
        object_key = (meta.get("namespace", ""), meta["name"])
        if kind == "DELETED":
            objects.pop(object_key, None)
        else:
            objects[object_key] = obj
        change = Change(self._rv, key, kind, obj, old)
        self._history.append(change)
        if self.history_limit is not None:
            while len(self._history) > self.history_limit:
                self._floor = self._history.popleft().rv
        for watcher in self._watchers.get(key, ()):
            watcher.push(change)
        return obj
