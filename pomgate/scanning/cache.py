"""A content-keyed cache of scanned files, so unchanged files are not parsed again.

One pack file per cache folder maps each display path to the hash of the file's bytes (and, for
files read from git, the blob id, so `diff` can look a blob up without reading it), the default
namespace it was read with, the pickled objects and findings, and a small index of the objects
(what they provide and need), so a focused run can pick the files it needs without unpickling
the rest. A file whose bytes, path and namespace match is taken from the pack; anything else is
parsed and replaces the entry.

Writing the pack means pickling every new entry, which costs about as much as parsing. On POSIX
it is done in a forked child while the parent goes on translating (the second core); the child
lets go of the output streams, so the command may exit before it is done. The pack is replaced
atomically, so a crash or a concurrent run leaves either the old or the new pack, never a torn one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pomgate import __version__
from pomgate.collector import collector_paused
from pomgate.findings import Finding
from pomgate.scanning.manifest import ManifestObject

#: Bump when the pickled shape of ManifestObject/Finding or the loader's reading changes.
CACHE_FORMAT = 6
PACK_NAME = "scan.pack"
CACHE_DIR_NAME = ".pomgate_cache"
ENV_CACHE_DIR = "POMGATE_CACHE_DIR"

_HEADER = (CACHE_FORMAT, __version__, sys.version_info[:2])


#: How an entry is looked up: the content digest (bytes, `content_hash`) or a git blob id (str).
Key = bytes | str


def content_hash(content: bytes | str) -> bytes:
    """A short, fast digest of a file's bytes."""
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    return hashlib.blake2b(data, digest_size=16).digest()


def default_cache_dir(start: Path | None = None) -> Path:
    """``$POMGATE_CACHE_DIR``, else ``.pomgate_cache`` at the git root above ``start``, else in ``start``."""
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured:
        return Path(configured)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder / CACHE_DIR_NAME
    return here / CACHE_DIR_NAME


@dataclass
class _Entry:
    digest: bytes
    namespace: str
    payload: bytes | None = None  # pickled (objects, findings); None until pickled or read
    value: tuple[list[ManifestObject], list[Finding]] | None = None
    index: Any = None  # a small summary of the file's objects, readable without unpickling the payload
    stat: tuple[int, int, int] | None = None  # (size, mtime_ns, inode) when the digest was taken
    location: tuple[int, int] | None = None  # (offset, length) of the payload in the open pack file
    blob: str | None = None  # the git blob id of the bytes, when they were read from git

    def matches(self, key: Key, namespace: str) -> bool:
        """Whether the entry is for these bytes (by digest or git blob id) read with ``namespace``."""
        return _matches(self.digest, self.blob, self.namespace, key, namespace)

    @property
    def stored(self) -> bool:
        """Whether the objects can be had (pickled, or in the pack) rather than only the digest."""
        return self.payload is not None or self.location is not None or self.value is not None


def _matches(digest: bytes, blob: str | None, entry_namespace: str, key: Key, namespace: str) -> bool:
    if entry_namespace != namespace:
        return False
    return blob == key if isinstance(key, str) else digest == key


#: A pack record: (digest, namespace, index, stat, payload offset, payload length, blob id).
_Packed = tuple[bytes, str, Any, "tuple[int, int, int] | None", int, int, "str | None"]


class _Entries(MutableMapping[str, _Entry]):
    """Entries by path; those read from the pack become `_Entry` objects only when looked at.

    A focused run (the hook, a warm diff) looks at a few hundred of tens of thousands of entries.
    """

    def __init__(self, packed: dict[str, _Packed] | None = None) -> None:
        self._packed = packed or {}
        self._made: dict[str, _Entry] = {}

    def __getitem__(self, path: str) -> _Entry:
        entry = self._made.get(path)
        if entry is None:
            digest, namespace, index, stat, offset, length, blob = self._packed[path]
            entry = self._made[path] = _Entry(digest, namespace, None, None, index, stat, (offset, length), blob)
        return entry

    def get(self, path: str, default: Any = None) -> Any:
        """The entry of ``path`` or ``default`` (Mapping.get without its try/except)."""
        if path in self._made or path in self._packed:
            return self[path]
        return default

    def packed(self, path: str) -> _Packed | None:
        """The pack's record of ``path`` while it has not become an `_Entry` (None otherwise)."""
        return None if path in self._made else self._packed.get(path)

    def __setitem__(self, path: str, entry: _Entry) -> None:
        self._made[path] = entry

    def __delitem__(self, path: str) -> None:
        made, packed = self._made.pop(path, None), self._packed.pop(path, None)
        if made is None and packed is None:
            raise KeyError(path)

    def __iter__(self) -> Iterator[str]:
        yield from self._made
        yield from (path for path in self._packed if path not in self._made)

    def __len__(self) -> int:
        return len(self._made.keys() | self._packed.keys())


@dataclass
class ScanCache:
    """The pack of one cache folder: look files up, record new ones, write back once."""

    folder: Path
    entries: MutableMapping[str, _Entry] = field(default_factory=_Entries)
    used: set[str] = field(default_factory=set)
    dirty: bool = False
    hits: int = 0
    misses: int = 0
    _writer: int | None = None
    #: The pack file as opened (kept open: a background writer may replace the file by name meanwhile).
    _pack_fd: int | None = None
    _data_start: int = 0
    #: Handed out again by `open` in this process (`keep_open`): written by `save_kept`.
    _kept: bool = False

    @classmethod
    def open(cls, folder: Path) -> ScanCache:
        """Load the index of ``folder``'s pack (payloads are read when asked for); bad packs start empty.

        The pack is one pickle of (header, {path: (digest, namespace, index, stat, offset, length, blob)})
        followed by the pickled payloads, so a run that needs a few files does not read them all.
        In a process that called `keep_open`, the cache of a folder is loaded once and handed out again.
        """
        if _KEPT is None:
            return cls._load(folder)
        key = folder.resolve()
        kept = _KEPT.get(key)
        if kept is None:
            kept = _KEPT[key] = cls._load(folder)
            kept._kept = True
        else:
            kept.used, kept.hits, kept.misses = set(), 0, 0
        return kept

    @classmethod
    def _load(cls, folder: Path) -> ScanCache:
        cache = cls(folder)
        try:
            handle = open(folder / PACK_NAME, "rb")  # noqa: SIM115 - kept open for the payloads
        except OSError:
            return cache
        try:
            with collector_paused():  # thousands of small tuples: no collection passes while they are built
                header, entries = pickle.load(handle)
            data_start = handle.tell()
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            handle.close()
            return cache
        if header != _HEADER or not isinstance(entries, dict):
            handle.close()
            return cache
        cache._pack_fd = os.dup(handle.fileno())
        handle.close()
        cache._data_start = data_start
        cache.entries = _Entries(entries)
        return cache

    def _payload(self, entry: _Entry) -> bytes | None:
        if entry.payload is not None:
            return entry.payload
        if entry.location is None or self._pack_fd is None:
            return None
        offset, length = entry.location
        data = os.pread(self._pack_fd, length, self._data_start + offset)  # positional: safe after fork
        return data if len(data) == length else None

    def get(self, path: str, key: Key, namespace: str) -> tuple[list[ManifestObject], list[Finding]] | None:
        """The cached scan of ``path`` when its bytes (digest or blob id ``key``) and namespace are unchanged."""
        self.used.add(path)
        entry = self.entries.get(path)
        payload = None
        if entry is not None and entry.matches(key, namespace):
            payload = self._payload(entry)
        if payload is None:
            self.misses += 1
            return None
        try:
            objects, findings = pickle.loads(payload)
        except Exception:  # a damaged entry is a miss, never a crash
            self.misses += 1
            return None
        self.hits += 1
        return objects, findings

    def put(
        self,
        path: str,
        digest: bytes,
        namespace: str,
        objects: list[ManifestObject],
        findings: list[Finding],
        index: Any = None,
        blob: str | None = None,
    ) -> None:
        """Record a freshly parsed file (pickled when the pack is written), its optional index and blob id."""
        self.entries[path] = _Entry(digest, namespace, None, (objects, findings), index, blob=blob)
        self.used.add(path)
        self.dirty = True

    def _record(self, path: str) -> _Packed | None:
        """The stored record of ``path`` in the pack's shape; a pack record is read as is (no entry object made).

        A focused run (the hook, a warm diff) looks at every file's record but needs the objects of
        only a few, so records become `_Entry` objects only when their objects are wanted or changed.
        """
        packed = self.entries.packed(path) if isinstance(self.entries, _Entries) else None
        if packed is not None:
            return packed
        entry = self.entries.get(path)
        if entry is None or not entry.stored:
            return None
        return (entry.digest, entry.namespace, entry.index, entry.stat, 0, 0, entry.blob)

    def index_of(self, path: str, key: Key, namespace: str) -> Any:
        """The stored index of an unchanged file, without unpickling its objects (None when unknown)."""
        record = self._record(path)
        if record is None:
            return None
        digest, entry_namespace, index, _stat, _offset, _length, blob = record
        if not _matches(digest, blob, entry_namespace, key, namespace):
            return None
        self.used.add(path)
        return index

    def unchanged(self, path: str, stat: tuple[int, int, int], namespace: str) -> tuple[bytes, Any] | None:
        """(digest, index) of a file whose size, mtime and inode are as recorded (see `digest_by_stat`).

        One look-up instead of `digest_by_stat`, `index_of` and `set_stat` for the common case of
        a file that did not change; None when it may have (or has no index yet).
        """
        record = self._same_stat(path, stat, namespace)
        if record is None or record[2] is None:
            return None
        self.used.add(path)
        return record[0], record[2]

    def digest_by_stat(self, path: str, stat: tuple[int, int, int], namespace: str) -> bytes | None:
        """The recorded digest of ``path`` when its size, mtime and inode are unchanged (no read needed)."""
        record = self._same_stat(path, stat, namespace)
        return None if record is None else record[0]

    def _same_stat(self, path: str, stat: tuple[int, int, int], namespace: str) -> _Packed | None:
        """The record of ``path`` when it was taken with this size, mtime, inode and namespace.

        A file whose mtime is within two seconds of now is not trusted (it may change again within the
        clock's granularity, git's "racy" case), so it is read and hashed.
        """
        record = self._record(path)
        if record is None or record[3] != stat or record[1] != namespace:
            return None
        if time.time_ns() - stat[1] < 2_000_000_000:
            return None
        return record

    def set_stat(self, path: str, stat: tuple[int, int, int]) -> None:
        """Remember the file's size, mtime and inode beside its digest (written with the pack)."""
        record = self._record(path)
        if record is not None and record[3] == stat:
            return  # unchanged: no entry object needed
        entry = self.entries.get(path)
        if entry is not None and entry.stat != stat:
            entry.stat = stat
            self.dirty = True

    def set_index(self, path: str, index: Any) -> None:
        """Attach an index to an entry that has none yet (written with the pack)."""
        entry = self.entries.get(path)
        if entry is not None and entry.index is None:
            entry.index = index
            self.dirty = True

    def save(self, *, background: bool = True, now: bool = False) -> None:
        """Write the pack if anything changed; in a forked child when ``background`` and POSIX allow it.

        A cache kept open (`keep_open`) is written by `save_kept` when its process is idle, unless ``now``.
        """
        if self._kept and not now:
            return
        for path in [path for path in self.entries if path not in self.used and not os.path.exists(path)]:
            del self.entries[path]  # the file is gone (entries of files this run did not read are kept)
            self.dirty = True
        if not self.dirty:
            return
        if background and hasattr(os, "fork"):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid:
                self._writer = pid
                self.dirty = False  # the child writes what is recorded so far
                return
            code = 0
            try:
                # Let go of the parent's output: whoever reads it (pre-commit, a pipe) need not wait for us.
                devnull = os.open(os.devnull, os.O_RDWR)
                for stream in (0, 1, 2):
                    os.dup2(devnull, stream)
                self._write()
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        self._write()

    def wait(self) -> None:
        """Join a background writer (library use; the CLI lets it finish on its own after exiting)."""
        if self._writer is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._writer, 0)
            self._writer = None

    def _write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Automatically created by pomgate.\n*\n", encoding="utf-8")
        meta: dict[str, tuple[bytes, str, Any, tuple[int, int, int] | None, int, int, str | None]] = {}
        payloads: list[bytes] = []
        offset = 0
        for path, entry in self.entries.items():
            payload = self._payload(entry)
            if payload is None:
                if entry.value is None:
                    continue  # an entry whose payload cannot be read back: leave it out
                payload = pickle.dumps(entry.value, protocol=pickle.HIGHEST_PROTOCOL)
            meta[path] = (entry.digest, entry.namespace, entry.index, entry.stat, offset, len(payload), entry.blob)
            payloads.append(payload)
            offset += len(payload)
        handle, temporary = tempfile.mkstemp(prefix=".scan-", dir=self.folder)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump((_HEADER, meta), out, protocol=pickle.HIGHEST_PROTOCOL)
                out.writelines(payloads)
            os.replace(temporary, self.folder / PACK_NAME)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


#: Caches handed out again by `ScanCache.open` (a long-lived process: the hook's worker); None: off.
_KEPT: dict[Path, ScanCache] | None = None


def keep_open() -> None:
    """From now on, `ScanCache.open` loads each folder's pack once and returns the same cache after.

    For a process that serves many runs: the in-memory cache is what the last run left (every entry
    is still checked against the file's bytes or stat, so a stale pack never gives a wrong answer).
    """
    global _KEPT
    if _KEPT is None:
        _KEPT = {}


def save_kept() -> None:
    """Write every kept cache that changed, each in a background child (the caller reaps it)."""
    for cache in (_KEPT or {}).values():
        cache.save(background=True, now=True)
        cache._writer = None  # reaped by the long-lived caller, not waited for


def describe(cache: ScanCache | None) -> dict[str, Any]:
    """Hit/miss counts for progress and tests."""
    if cache is None:
        return {"enabled": False}
    return {"enabled": True, "hits": cache.hits, "misses": cache.misses, "folder": str(cache.folder)}
