"""Manifest files of a git revision (straight from the object database) or of the working tree.

Both sides use paths relative to the repository root and the same order as the directory scanner
(a folder's files by name, then its subfolders by name), so "the later definition wins" means the
same thing on both sides.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pomgate.scanning.discover import MANIFEST_EXTENSIONS, discover, git_environment, in_skipped_folder

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


def scan_order(path: str) -> str:
    """Sort key giving the directory scanner's order: files of a folder before its subfolders.

    Each folder name is marked with \\x02 and ended with \\x00, the file name marked with \\x01, so
    plain string comparison orders as comparing (is-folder, name) pairs part by part would.
    """
    folders, _slash, name = path.rpartition("/")
    if not folders:
        return "\x01" + name
    return "\x02" + folders.replace("/", "\x00\x02") + "\x00\x01" + name


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


def _commit(repo: git.Repo, rev: str) -> str:
    """The commit id of ``rev``; an unknown revision is a usage error."""
    import git

    try:
        return str(repo.commit(rev).hexsha)
    except (git.BadName, ValueError) as err:
        raise RevisionError(f"unknown revision {rev!r}") from err


def _wanted(path: str, prefixes: Sequence[str]) -> bool:
    """A manifest file (by extension) under one of ``prefixes``."""
    return path.endswith(MANIFEST_EXTENSIONS) and not in_skipped_folder(path) and _selected(path, prefixes)


def _selected(path: str, prefixes: Sequence[str]) -> bool:
    if "" in prefixes:
        return True  # the whole repository
    return any(not prefix or path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def revision_listing(repo: git.Repo, rev: str, prefixes: Sequence[str]) -> list[tuple[str, str]]:
    """(path, blob id) of each manifest file of ``rev`` under ``prefixes``, in scan order (one `git ls-tree`)."""
    wanted = [
        (path, sha)
        for path, mode, sha in tree_entries(repo, rev)
        # symlinks are left out: the working-tree scanner follows only links inside the tree
        if mode != "120000" and _wanted(path, prefixes)
    ]
    wanted.sort(key=lambda item: scan_order(item[0]))
    return wanted


def tree_entries(repo: git.Repo, rev: str) -> list[tuple[str, str, str]]:
    """(path, mode, blob id) of every file of ``rev`` (one `git ls-tree`; submodules left out)."""
    listing = _git(repo, ["ls-tree", "-r", "-z", "--full-tree", _commit(repo, rev)]).decode("utf-8", "surrogateescape")
    entries: list[tuple[str, str, str]] = []
    for entry in listing.split("\0"):
        meta, _tab, path = entry.partition("\t")
        if not path:
            continue
        mode, kind, sha = meta.split(" ")
        if kind == "blob":
            entries.append((path, mode, sha))
    return entries


def files_named(repo: git.Repo, rev: str | None, names: Sequence[str]) -> list[str]:
    """The files of ``rev`` (the working tree when None: tracked and untracked, not ignored) called one of ``names``.

    A pathspec query answered by git (`ls-tree` takes no wildcards, so a revision is compared with
    the empty tree): the whole tree is not listed to Python.
    """
    spec = ["--", *(f"*{name}" for name in names)]
    if rev is not None:
        empty = _git(repo, ["hash-object", "-t", "tree", "--stdin"], b"").decode().strip()
        listed = _git(repo, ["diff-tree", "-r", "-z", "--name-only", "--no-renames", empty, _commit(repo, rev), *spec])
    else:
        done = subprocess.run(
            ["git", "-C", str(repo.working_tree_dir), "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
            + spec,
            capture_output=True,
            check=False,
            env=git_environment(),
        )
        if done.returncode != 0:
            raise RevisionError(f"git ls-files failed: {done.stderr.decode(errors='replace').strip()}")
        listed = done.stdout
    found = (name.decode("utf-8", "surrogateescape") for name in listed.split(b"\0") if name)
    return [path for path in found if path.rpartition("/")[2] in names]


def files_declaring(repo: git.Repo, rev: str | None, groups: Sequence[str]) -> list[str]:
    """The manifest files of ``rev`` (the working tree when None) with an object of one of the API ``groups``.

    `git grep` for ``apiVersion: GROUP/`` (block, flow or JSON style) reads git objects (or the working
    tree, untracked files too, ignored ones not) without Python reading every file; none is an empty list.
    """
    alternatives = "|".join(re.escape(group.rstrip("/")) for group in groups)
    patterns = ["-E", "-e", f'apiVersion"?[[:space:]]*:[[:space:]]*["\']?({alternatives})/']
    where = [_commit(repo, rev)] if rev is not None else ["--untracked"]
    spec = ["--", *(f"*{extension}" for extension in MANIFEST_EXTENSIONS)]
    done = subprocess.run(
        ["git", "-C", str(repo.working_tree_dir), "grep", "-l", "-z", *patterns, *where, *spec],
        capture_output=True,
        check=False,
        env=git_environment(),
    )
    if done.returncode not in (0, 1):
        raise RevisionError(f"git grep failed: {done.stderr.decode(errors='replace').strip()}")
    names = [name.decode("utf-8", "surrogateescape") for name in done.stdout.split(b"\0") if name]
    return [name.partition(":")[2] if rev is not None else name for name in names]


def changed_listing(
    repo: git.Repo, base_listing: Sequence[tuple[str, str]], base: str, head: str, prefixes: Sequence[str]
) -> list[tuple[str, str]]:
    """``head``'s listing from ``base``'s and one `git diff-tree` (cheaper than listing the whole tree again)."""
    out = _git(
        repo, ["diff-tree", "-r", "-z", "--no-renames", "--full-index", _commit(repo, base), _commit(repo, head)]
    )
    listing = dict(base_listing)
    added = False
    fields = out.split(b"\0")
    for position in range(0, len(fields) - 1, 2):
        meta, raw_path = fields[position], fields[position + 1]
        if not meta.startswith(b":"):
            continue
        _old_mode, new_mode, _old_sha, new_sha, _status = meta[1:].decode().split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if not _wanted(path, prefixes):
            continue
        if new_mode in ("000000", "120000", "160000"):  # deleted; a symlink or submodule is not read
            listing.pop(path, None)
        else:
            added = added or path not in listing
            listing[path] = new_sha
    files = list(listing.items())
    if added:
        files.sort(key=lambda item: scan_order(item[0]))
    return files


def revision_files(
    repo: git.Repo, rev: str, prefixes: Sequence[str], contents: dict[str, bytes] | None = None
) -> list[SourceFile]:
    """The manifest files of ``rev`` under ``prefixes`` with their bytes, read from git objects (no checkout).

    ``contents`` (blob id -> bytes) is shared between calls so a blob in both revisions is read once.
    """
    contents = {} if contents is None else contents
    wanted = revision_listing(repo, rev, prefixes)
    missing = sorted({sha for _path, sha in wanted if sha not in contents})
    if missing:
        contents.update(read_blobs(repo, missing))
    return [SourceFile(path, contents[sha], sha) for path, sha in wanted]


def revision_paths(repo: git.Repo, rev: str, paths: Sequence[str]) -> dict[str, bytes]:
    """The bytes of those of ``paths`` (repository-relative) that are files of ``rev``, read from git objects.

    A symbolic link is followed once, to a file of the same revision; one leading out of the
    repository, or to anything but a file, is an error (git objects hold only the link's text).
    """
    commit = _commit(repo, rev)
    found = _tree_entries(repo, commit, paths)
    links = {path: sha for path, (mode, sha) in found.items() if mode == _LINK}
    if links:
        texts = read_blobs(repo, sorted(set(links.values())))
        targets: dict[str, str] = {}
        for link, sha in links.items():
            target = texts[sha].decode("utf-8", "surrogateescape")
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
            if target.startswith("/") or joined == ".." or joined.startswith("../"):
                raise RevisionError(f"{rev}:{link} is a symbolic link out of the repository ({target})")
            targets[link] = joined
        linked = _tree_entries(repo, commit, sorted(set(targets.values())))
        for link, target in targets.items():
            entry = linked.get(target)
            if entry is None or entry[0] not in _FILE_MODES:
                raise RevisionError(f"{rev}:{link} is a symbolic link to {target}, which is not a file of {rev}")
            found[link] = entry
    files = {path: sha for path, (mode, sha) in found.items() if mode in _FILE_MODES}
    contents = read_blobs(repo, sorted(set(files.values()))) if files else {}
    return {path: contents[sha] for path, sha in files.items()}


_LINK = "120000"
_FILE_MODES = ("100644", "100755")


def _tree_entries(repo: git.Repo, commit: str, paths: Sequence[str]) -> dict[str, tuple[str, str]]:
    """path -> (mode, object id) of those of ``paths`` present in ``commit`` (one `git ls-tree`)."""
    if not paths:
        return {}
    out = _git(repo, ["ls-tree", "-z", "--full-tree", commit, "--", *paths], literal_paths=True)
    entries: dict[str, tuple[str, str]] = {}
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        meta, _tab, path = entry.partition("\t")
        if path in paths:
            mode, _kind, sha = meta.split(" ")
            entries[path] = (mode, sha)
    return entries


def _git(repo: git.Repo, args: list[str], stdin: bytes | None = None, *, literal_paths: bool = False) -> bytes:
    options = ["--literal-pathspecs"] if literal_paths else []  # a folder named `*` is not a pattern
    done = subprocess.run(
        ["git", f"--git-dir={repo.git_dir}", *options, *args], input=stdin, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RevisionError(f"git {args[0]} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def read_blobs(repo: git.Repo, shas: Sequence[str]) -> dict[str, bytes]:
    """Every blob of ``shas`` through one `git cat-file --batch`."""
    out = _git(repo, ["cat-file", "--batch"], ("\n".join(shas) + "\n").encode())
    blobs: dict[str, bytes] = {}
    position = 0
    while position < len(out):
        header_end = out.index(b"\n", position)
        sha, kind, size_text = out[position:header_end].decode().split()
        start = header_end + 1
        size = int(size_text)
        if kind == "blob":
            blobs[sha] = out[start : start + size]
        position = start + size + 1  # the content is followed by a newline
    return blobs


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


def worktree_listing(repo: git.Repo, prefixes: Sequence[str]) -> tuple[list[tuple[str, str]], dict[str, bytes]] | None:
    """The working tree's manifest files as (path, blob id) from git's index, and the bytes of those read.

    Only files git reports as differing from the index (`git diff-files`) or untracked and not
    ignored (`git ls-files -o`) are read from disk; the rest are their staged blobs, unread. The
    same files as `worktree_files` finds by walking, or None when git cannot vouch for that
    (symlinks, submodules, nested repositories, merge conflicts, sparse checkouts, git failing):
    then walk.
    """
    root = Path(str(repo.working_tree_dir)).resolve()
    commands = {
        "staged": ["ls-files", "-s", "-z"],
        "modified": ["diff-files", "--name-only", "-z"],
        "untracked": ["ls-files", "-o", "--exclude-standard", "-z"],
        "sparse": ["config", "--bool", "core.sparseCheckout"],
    }
    env = git_environment()
    running = {
        name: subprocess.Popen(
            ["git", "-C", str(root), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        for name, args in commands.items()
    }
    out: dict[str, str] = {}
    for name, process in running.items():
        stdout, _stderr = process.communicate()
        if process.returncode != 0 and name != "sparse":  # (config exits 1 when the key is unset)
            return None
        out[name] = stdout.decode("utf-8", "surrogateescape")
    if out["sparse"].strip() == "true":
        return None
    listing: dict[str, str] = {}
    for entry in out["staged"].split("\0"):
        meta, _tab, path = entry.partition("\t")
        if not _wanted(path, prefixes):
            continue
        mode, sha, stage = meta.split(" ")
        if mode not in ("100644", "100755") or stage != "0":
            return None  # a symlink, a submodule or a conflict: the walker knows the rules for those
        listing[path] = sha
    to_read = {path for path in out["modified"].split("\0") if path in listing}
    for path in out["untracked"].split("\0"):
        if path.endswith("/"):
            return None  # a nested repository: the walker enters it
        if _wanted(path, prefixes):
            to_read.add(path)
    contents: dict[str, bytes] = {}
    for path in to_read:
        full = root / path
        if full.is_symlink():
            return None
        if not full.exists():
            listing.pop(path, None)  # deleted in the working tree
            continue
        if not full.is_file():
            return None
        content = full.read_bytes()
        listing[path] = blob_id(content)
        contents[listing[path]] = content
    files = sorted(listing.items(), key=lambda item: scan_order(item[0]))
    return files, contents
