"""A read-only view of one repository: paths are ``/``-separated and relative to its top folder.

Nothing outside the repository is reachable through it: a path that climbs out (``..``), an
absolute path, or a symbolic link whose target lies outside is treated as missing.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from pomgate.scanning.discover import SKIPPED_FOLDERS, in_skipped_folder

if TYPE_CHECKING:
    import git

#: The most a build input may hold (the API server's own request limit is 3 MiB).
MAX_INPUT_BYTES = 32 * 1024 * 1024


class Tree(Protocol):
    """What discovery and builds read: file kinds and bytes, by repository-relative path."""

    def kind(self, path: str) -> str | None:
        """``"file"``, ``"dir"`` or None (missing, or not reachable inside the repository)."""
        ...

    def read(self, path: str) -> bytes:
        """The bytes of a file (raises OSError when it cannot be read)."""
        ...

    def files(self, folder: str) -> list[str]:
        """Every file under ``folder``, sorted."""
        ...


def inside(base: str, reference: str) -> str | None:
    """``reference`` (relative to folder ``base``) as a repository path, or None when it leaves the repository."""
    if not reference or reference.startswith("/") or "\\" in reference or "\0" in reference:
        return None
    joined = posixpath.normpath(posixpath.join(base, reference)) if base else posixpath.normpath(reference)
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return joined


class WorkingTree:
    """The files of a folder on disk (links are followed only while they stay inside it)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)
        self._prefix = os.path.join(self.root, "")

    def _resolve(self, path: str) -> str | None:
        full = os.path.join(self.root, *path.split("/")) if path else self.root
        real = os.path.realpath(full)
        if real != self.root and not real.startswith(self._prefix):
            return None
        return real

    def kind(self, path: str) -> str | None:
        """``"file"``, ``"dir"`` or None."""
        real = self._resolve(path)
        if real is None:
            return None
        if os.path.isdir(real):
            return "dir"
        return "file" if os.path.isfile(real) else None

    def read(self, path: str) -> bytes:
        """The file's bytes (OSError when missing, outside the repository or too large)."""
        real = self._resolve(path)
        if real is None:
            raise FileNotFoundError(path)
        with open(real, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise OSError(f"{path} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
        return data

    def files(self, folder: str) -> list[str]:
        """Every file under ``folder`` (repository paths, sorted), without links and `SKIPPED_FOLDERS`."""
        start = self._resolve(folder)
        if start is None or not os.path.isdir(start):
            return []
        found: list[str] = []
        for directory, subdirectories, names in os.walk(start):
            subdirectories[:] = [d for d in subdirectories if d not in SKIPPED_FOLDERS]
            for name in names:
                relative = os.path.relpath(os.path.join(directory, name), self.root).replace(os.sep, "/")
                if self.kind(relative) == "file":
                    found.append(relative)
        return sorted(found)

    def absolute(self, path: str) -> str:
        """The path on disk of a repository path."""
        return os.path.join(self.root, *path.split("/")) if path else self.root


def repository_root(start: str) -> str:
    """The top folder of the git repository holding ``start`` (a file or folder), else ``start``'s folder."""
    here = os.path.realpath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    folder = here
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return here
        folder = parent


class GitTree:
    """The files of one git revision, read from git objects (nothing is checked out).

    A symbolic link is followed only to a file of the same revision inside the repository.
    """

    def __init__(self, repo: git.Repo, rev: str) -> None:
        from pomgate.diff.gitread import tree_entries

        self.repo = repo
        self._entries = {path: (mode, sha) for path, mode, sha in tree_entries(repo, rev)}
        self._folders = {""}
        for path in self._entries:
            parts = path.split("/")
            self._folders.update("/".join(parts[:index]) for index in range(1, len(parts)))
        self._contents: dict[str, bytes] = {}

    def _target(self, path: str, hops: int = 0) -> str | None:
        entry = self._entries.get(path)
        if entry is None or hops > 8:
            return None
        if entry[0] != "120000":
            return path
        link = self._blob(entry[1]).decode("utf-8", "surrogateescape")
        target = inside(posixpath.dirname(path), link)
        return None if target is None else self._target(target, hops + 1)

    def _blob(self, sha: str) -> bytes:
        known = self._contents.get(sha)
        if known is None:
            from pomgate.diff.gitread import read_blobs

            known = self._contents[sha] = read_blobs(self.repo, [sha]).get(sha, b"")
        return known

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read the blobs of ``paths`` in one batch (a build reads all its inputs)."""
        from pomgate.diff.gitread import read_blobs

        wanted = [
            self._entries[p][1] for p in paths if p in self._entries and self._entries[p][1] not in self._contents
        ]
        if wanted:
            self._contents.update(read_blobs(self.repo, wanted))

    def kind(self, path: str) -> str | None:
        """``"file"``, ``"dir"`` or None."""
        if path in self._folders:
            return "dir"
        return "file" if self._target(path) is not None else None

    def read(self, path: str) -> bytes:
        """The blob of ``path`` at this revision (OSError when there is none)."""
        target = self._target(path)
        if target is None:
            raise FileNotFoundError(path)
        data = self._blob(self._entries[target][1])
        if len(data) > MAX_INPUT_BYTES:
            raise OSError(f"{path} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
        return data

    def files(self, folder: str) -> list[str]:
        """Every file under ``folder``, sorted."""
        prefix = f"{folder}/" if folder else ""
        return sorted(
            p for p in self._entries if p.startswith(prefix) and not in_skipped_folder(p) and self.kind(p) == "file"
        )

    def blob_id(self, path: str) -> str | None:
        """The git blob id of ``path``'s content (None when missing)."""
        target = self._target(path)
        return None if target is None else self._entries[target][1]

    def paths(self) -> list[str]:
        """Every path of the revision."""
        return list(self._entries)
