"""Manifest files of a git revision (straight from the object database) or of the working tree.

Both sides use paths relative to the repository root and the same order as the directory scanner
(a folder's files by name, then its subfolders by name), so "the later definition wins" means the
same thing on both sides.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pomgate.scanning.discover import MANIFEST_EXTENSIONS, discover

if TYPE_CHECKING:
    import git


@dataclass(frozen=True)
class SourceFile:
    """One manifest file: its repository-relative path, bytes and git blob id."""

    path: str
    content: bytes
    blob: str


class RevisionError(Exception):
    """A revision or path that git cannot resolve (a usage error)."""


def blob_id(content: bytes) -> str:
    """The git blob id of ``content`` (so working-tree files match unchanged blobs)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def scan_order(path: str) -> tuple[tuple[int, str], ...]:
    """Sort key giving the directory scanner's order: files of a folder before its subfolders."""
    parts = path.split("/")
    return tuple((1, part) for part in parts[:-1]) + ((0, parts[-1]),)


def open_repository(start: str = ".") -> git.Repo:
    """The git repository containing ``start``."""
    import git

    try:
        return git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as err:
        raise RevisionError(f"{os.path.abspath(start)} is not inside a git repository") from err


def repository_prefixes(repo: git.Repo, paths: Sequence[str]) -> list[str]:
    """PATH arguments (relative to the current directory) as repository-relative prefixes ('' = all)."""
    root = Path(str(repo.working_tree_dir)).resolve()
    prefixes = []
    for given in paths or ["."]:
        absolute = Path(given).resolve()
        try:
            relative = absolute.relative_to(root).as_posix()
        except ValueError as err:
            raise RevisionError(f"{given} is outside the repository {root}") from err
        prefixes.append("" if relative == "." else relative)
    return prefixes


def _selected(path: str, prefixes: Sequence[str]) -> bool:
    return any(not prefix or path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def revision_files(
    repo: git.Repo, rev: str, prefixes: Sequence[str], contents: dict[str, bytes] | None = None
) -> list[SourceFile]:
    """The manifest files of ``rev`` under ``prefixes``, read from git objects (no checkout).

    ``contents`` (blob id -> bytes) is shared between calls so a blob in both revisions is read once.
    """
    contents = {} if contents is None else contents
    import git

    try:
        commit = repo.commit(rev)
    except (git.BadName, ValueError) as err:
        raise RevisionError(f"unknown revision {rev!r}") from err
    files = []
    for item in commit.tree.traverse():
        if not isinstance(item, git.Blob):
            continue
        path = str(item.path)
        if not path.endswith(MANIFEST_EXTENSIONS) or not _selected(path, prefixes):
            continue
        if item.mode == git.Blob.link_mode:
            continue  # symlinks: the working-tree scanner follows only links inside the tree
        content = contents.get(item.hexsha)
        if content is None:
            content = contents[item.hexsha] = item.data_stream.read()
        files.append(SourceFile(path, content, item.hexsha))
    files.sort(key=lambda f: scan_order(f.path))
    return files


def worktree_files(repo: git.Repo, prefixes: Sequence[str]) -> list[SourceFile]:
    """The manifest files of the working tree under ``prefixes`` (git-ignored files left out)."""
    root = Path(str(repo.working_tree_dir)).resolve()
    targets = [str(root / prefix) if prefix else str(root) for prefix in prefixes]
    inputs, _missing = discover([t for t in targets if os.path.exists(t)])
    files = []
    seen = set()
    for item in inputs:
        if item.fs_path is None:
            continue
        path = Path(os.path.abspath(item.fs_path)).relative_to(root).as_posix()
        if path in seen:
            continue
        seen.add(path)
        try:
            content = Path(item.fs_path).read_bytes()
        except OSError:
            continue
        files.append(SourceFile(path, content, blob_id(content)))
    files.sort(key=lambda f: scan_order(f.path))
    return files
