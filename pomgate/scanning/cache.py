"""A content-keyed cache of scanned files, so unchanged files are not parsed again.

The cache is data pomgate wrote itself, never something a repository can plant: it lives in this
user's cache folder (``~/.cache/pomgate/scan/<hash of the repository path>``), the folder must be owned
by the user and not writable by others, and every pack is authenticated with a key kept beside it in
the user's cache root (``~/.cache/pomgate/key``, mode 0600): the pack's index carries a keyed digest,
checked before anything in it is unpickled, and so does each payload. A pack that fails a check is
ignored with a warning (see `open_cache`).

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
import hmac
import os
import pickle
import struct
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
from pomgate.private import NO_ACCESS_FOR_OTHERS, private_folder, user_cache_root, why_not_private
from pomgate.scanning.manifest import ManifestObject

#: Bump when the pickled shape of ManifestObject/Finding or the loader's reading changes.
CACHE_FORMAT = 8
PACK_NAME = "scan.pack"
KEY_NAME = "key"
ENV_CACHE_DIR = "POMGATE_CACHE_DIR"

_HEADER = (CACHE_FORMAT, __version__, sys.version_info[:2])
#: A pack starts with this, the keyed digest of its index, and the index's length.
_MAGIC = b"POMGATE\x07"
_PREFIX = struct.Struct(">8s32sQ")
_TAG_SIZE = 16  # keyed digest of one payload


class CacheRefused(Exception):
    """The cache folder or key cannot be trusted (or made); the run goes on without a cache."""


#: How an entry is looked up: the content digest (bytes, `content_hash`) or a git blob id (str).
Key = bytes | str


def content_hash(content: bytes | str) -> bytes:
    """A short, fast digest of a file's bytes."""
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    return hashlib.blake2b(data, digest_size=16).digest()


def default_cache_dir(start: Path | None = None) -> Path:
    """``$POMGATE_CACHE_DIR``, else this user's cache folder for the git repository above ``start``.

    The folder is named by a hash of the repository's real path (of ``start`` outside a repository),
    so nothing under the checkout is ever read as a cache.
    """
    configured = os.environ.get(ENV_CACHE_DIR)
    if configured:
        return Path(configured)
    here = (start or Path.cwd()).resolve()
    top = next((folder for folder in (here, *here.parents) if (folder / ".git").exists()), here)
    name = hashlib.sha256(os.fsencode(top)).hexdigest()[:24]
    return Path(user_cache_root()) / "scan" / name


def cache_key() -> bytes:
    """This user's key for authenticating packs, made on first use (raises `CacheRefused` when it cannot be had)."""
    root = user_cache_root()
    known = _KEYS.get(root)  # by folder: the hook's worker runs with each client's environment
    if known is not None:
        return known
    problem = private_folder(root)
    if problem:
        raise CacheRefused(problem)
    path = os.path.join(root, KEY_NAME)
    if not os.path.lexists(path):
        _make_key(root, path)
    problem = why_not_private(path, forbidden=NO_ACCESS_FOR_OTHERS, folder=False)
    if problem:
        raise CacheRefused(problem)
    try:
        with open(path, "rb") as handle_file:
            key = handle_file.read()
    except OSError as err:
        raise CacheRefused(f"cannot read {path}: {err.strerror or err}") from None
    if len(key) != 32:
        raise CacheRefused(f"{path} is not a pomgate key (remove it to make a new one)")
    _KEYS[root] = key
    return key


_KEYS: dict[str, bytes] = {}


def _make_key(root: str, path: str) -> None:
    """Write a new random key to ``path``, whole or not at all (a concurrent run may win: its key is kept)."""
    handle, temporary = tempfile.mkstemp(prefix=".key-", dir=root)  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(os.urandom(32))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as err:
        raise CacheRefused(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _tag(key: bytes, data: bytes, size: int) -> bytes:
    return hashlib.blake2b(data, key=key, digest_size=size).digest()


def open_cache(folder: Path | None = None) -> tuple[ScanCache | None, str | None]:
    """The scan cache of ``folder`` (default `default_cache_dir`), or None and why it is not used.

    The folder is created private (0700) when missing; one that another user owns or others may
    write to, a key that cannot be had, or a pack that fails its check means no cache for this run.
    """
    try:
        key = cache_key()  # first: makes the user's cache root private before a default folder goes in it
    except CacheRefused as refused:
        return None, f"scan cache not used: {refused}"
    folder = folder or default_cache_dir()
    problem = private_folder(str(folder))
    if problem:
        return None, f"scan cache not used: {problem}"
    cache = ScanCache.open(folder, key)
    return cache, cache.refused


@dataclass
class _Entry:
    digest: bytes
    namespace: str
    payload: bytes | None = None  # pickled (objects, findings); None until pickled or read
    value: tuple[list[ManifestObject], list[Finding]] | None = None
    index: Any = None  # a small summary of the file's objects, readable without unpickling the payload
    stat: tuple[int, int, int] | None = None  # (size, mtime_ns, inode) when the digest was taken
    location: tuple[int, int, bytes] | None = None  # (offset, length, keyed digest) of the payload in the pack
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


#: A pack record: (digest, namespace, index, stat, payload offset, payload length, blob id, payload tag).
_Packed = tuple[bytes, str, Any, "tuple[int, int, int] | None", int, int, "str | None", bytes]


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
            digest, namespace, index, stat, offset, length, blob, tag = self._packed[path]
            entry = self._made[path] = _Entry(digest, namespace, None, None, index, stat, (offset, length, tag), blob)
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
    key: bytes
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
    #: Why the pack on disk was not used (it failed a check), for a warning; None when it was or there was none.
    refused: str | None = None

    @classmethod
    def open(cls, folder: Path, key: bytes | None = None) -> ScanCache:
        """Load the index of ``folder``'s pack (payloads are read when asked for); bad packs start empty.

        Callers check the folder first (`open_cache`). The pack is the magic, the keyed digest of the
        index and its length, one pickle of (header, {path: record}) and the pickled payloads, so a run
        that needs a few files does not read them all. Nothing is unpickled before its digest matches.
        In a process that called `keep_open`, the cache of a folder is loaded once and handed out again.
        """
        key = key or cache_key()
        if _KEPT is None:
            return cls._load(folder, key)
        resolved = folder.resolve()
        kept = _KEPT.get(resolved)
        if kept is None:
            kept = _KEPT[resolved] = cls._load(folder, key)
            kept._kept = True
        else:
            kept.used, kept.hits, kept.misses, kept.refused = set(), 0, 0, None
        return kept

    @classmethod
    def _load(cls, folder: Path, key: bytes) -> ScanCache:
        cache = cls(folder, key)
        pack = folder / PACK_NAME
        try:
            handle = open(pack, "rb")  # noqa: SIM115 - kept open for the payloads
        except FileNotFoundError:
            return cache
        except OSError as err:
            cache.refused = f"scan cache not used: {pack}: {err.strerror or err}"
            return cache
        with handle:
            try:
                magic, tag, length = _PREFIX.unpack(handle.read(_PREFIX.size))
                index = handle.read(length) if magic == _MAGIC and length < 1 << 32 else b""
            except (OSError, struct.error):
                magic, tag, index = b"", b"", b""
            if magic != _MAGIC or len(index) != length or not hmac.compare_digest(tag, _tag(key, index, 32)):
                cache.refused = (
                    f"scan cache {pack} was not written by pomgate for this user (ignored; it will be replaced)"
                )
                return cache
            try:
                with collector_paused():  # thousands of small tuples: no collection passes while they are built
                    header, entries = pickle.loads(index)
            except Exception:  # authenticated but unreadable (another Python): start empty
                return cache
            if header != _HEADER or not isinstance(entries, dict):
                return cache
            cache._pack_fd = os.dup(handle.fileno())
            cache._data_start = _PREFIX.size + length
        cache.entries = _Entries(entries)
        return cache

    def _payload(self, entry: _Entry) -> bytes | None:
        if entry.payload is not None:
            return entry.payload
        if entry.location is None or self._pack_fd is None:
            return None
        offset, length, tag = entry.location
        data = os.pread(self._pack_fd, length, self._data_start + offset)  # positional: safe after fork
        if len(data) != length or not hmac.compare_digest(tag, _tag(self.key, data, _TAG_SIZE)):
            return None  # the pack changed under us: a miss
        return data

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
        return (entry.digest, entry.namespace, entry.index, entry.stat, 0, 0, entry.blob, b"")

    def index_of(self, path: str, key: Key, namespace: str) -> Any:
        """The stored index of an unchanged file, without unpickling its objects (None when unknown)."""
        record = self._record(path)
        if record is None:
            return None
        digest, entry_namespace, index, _stat, _offset, _length, blob, _payload_tag = record
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
        meta: dict[str, _Packed] = {}
        payloads: list[bytes] = []
        offset = 0
        for path, entry in self.entries.items():
            payload = self._payload(entry)
            if payload is None:
                if entry.value is None:
                    continue  # an entry whose payload cannot be read back: leave it out
                payload = pickle.dumps(entry.value, protocol=pickle.HIGHEST_PROTOCOL)
            tag = entry.location[2] if entry.location and entry.payload is None else _tag(self.key, payload, _TAG_SIZE)
            meta[path] = (entry.digest, entry.namespace, entry.index, entry.stat, offset, len(payload), entry.blob, tag)
            payloads.append(payload)
            offset += len(payload)
        index = pickle.dumps((_HEADER, meta), protocol=pickle.HIGHEST_PROTOCOL)
        handle, temporary = tempfile.mkstemp(prefix=".scan-", dir=self.folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(_PREFIX.pack(_MAGIC, _tag(self.key, index, 32), len(index)))
                out.write(index)
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
