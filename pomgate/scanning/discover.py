"""Find the manifest files behind the paths given on the command line.

Files are read whatever their extension; directories are walked recursively in sorted order and
give their ``.yaml``, ``.yml`` and ``.json`` files (kubectl ``-R`` picks the same extensions), minus
``.git`` and ``.pomgate`` folders and the files git ignores. Symlinked directories are not followed, nor links that
point outside the directory being walked. ``-`` means standard input.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pomgate.findings import Finding, Severity

STDIN_PATH = "-"
STDIN_DISPLAY = "<stdin>"
MANIFEST_EXTENSIONS = (".yaml", ".yml", ".json")
#: Folders never searched for manifests: git's, and pomgate's own (access tests live in `.pomgate/`).
SKIPPED_FOLDERS = frozenset({".git", ".pomgate"})
_GIT_TIMEOUT_SECONDS = 60
# Repository-local variables (`git rev-parse --local-env-vars`), set for instance in git hooks: they
# would point `git -C <dir>` at the hook's repository and index instead of the directory's.
_GIT_LOCAL_ENV = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_PREFIX",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_GRAFT_FILE",
        "GIT_SHALLOW_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE",
    }
)


@dataclass(frozen=True)
class InputFile:
    """One input to read: how to show it, and where it is (``None`` for standard input)."""

    display_path: str
    fs_path: str | None

    @property
    def is_stdin(self) -> bool:
        return self.fs_path is None


@dataclass(frozen=True)
class _GitIgnored:
    """What git ignores under one walked directory, as ``/``-separated paths relative to it."""

    files: frozenset[str]
    directories: frozenset[str]  # without the trailing "/"


def discover(paths: Sequence[str]) -> tuple[list[InputFile], list[Finding]]:
    """Expand files, directories and ``-`` into the files to read, in a deterministic order.

    Paths keep their command-line order; a directory's files come sorted. A file met twice (named
    twice, or through a symlink) is read once. Missing paths give ``input/not-found`` errors.
    """
    cwd = os.getcwd()
    inputs: list[InputFile] = []
    findings: list[Finding] = []
    seen: set[str] = set()

    def add(display_path: str, fs_path: str | None, real_path: str) -> None:
        if real_path not in seen:
            seen.add(real_path)
            inputs.append(InputFile(display_path, fs_path))

    for given in paths:
        if given == STDIN_PATH:
            add(STDIN_DISPLAY, None, STDIN_PATH)
        elif os.path.isdir(given):
            display_root = _display_path(given, cwd)
            prefix = "" if display_root == os.curdir else os.path.join(display_root, "")
            for relative, fs_path, real_path in _walk_directory(given, findings):
                add(prefix + relative, fs_path, real_path)
        elif os.path.exists(given):
            add(_display_path(given, cwd), given, os.path.realpath(given))
        else:
            why = "no such file or directory"
            if _link_loops(given):
                why = "a symbolic link loop (it never reaches a file)"
            findings.append(Finding("input/not-found", Severity.ERROR, f"{given}: {why}", path=given))
    return inputs, findings


def _display_path(fs_path: str, cwd: str) -> str:
    """Relative to the current directory when the path is under it, else the path as given."""
    absolute = os.path.abspath(fs_path)
    if absolute == cwd or absolute.startswith(os.path.join(cwd, "")):
        return os.path.relpath(absolute, cwd)
    return fs_path


def _walk_directory(root: str, findings: list[Finding]) -> list[tuple[str, str, str]]:
    """The manifest files under ``root``, depth-first with entries sorted by name.

    Gives (path relative to root, path as built from root, real path) per file. Symlinked
    directories are never entered, so a regular file's real path is the real root plus its relative
    path (no realpath() call per file).
    """
    real_root = os.path.realpath(root)
    real_prefix = os.path.join(real_root, "")
    ignored = _git_ignored(root)
    found: list[tuple[str, str, str]] = []
    # Each stack entry: a directory's path as built from ``root`` and its path relative to root.
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        directory, relative = stack.pop()
        remembered = _remembered_listing(directory, real_prefix, ignored)
        if remembered is not None:
            found.extend(remembered[1])
            findings.extend(remembered[2])
            stack.extend(reversed(remembered[0]))
            continue
        listed_at = time.time_ns()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            findings.append(
                Finding(
                    "input/unreadable",
                    Severity.WARNING,
                    f"{directory}: cannot list directory ({error.strerror})",
                    path=directory,
                )
            )
            continue
        subdirectories: list[tuple[str, str]] = []
        here: list[tuple[str, str, str]] = []
        notes: list[Finding] = []
        links = False
        for entry in entries:
            name = entry.name
            if name in SKIPPED_FOLDERS:
                continue
            entry_relative = relative + name
            if entry.is_dir(follow_symlinks=False):
                if ignored is None or entry_relative not in ignored.directories:
                    subdirectories.append((entry.path, entry_relative + "/"))
                continue
            link = entry.is_symlink()
            links = links or link
            if link and _link_to_directory(entry):  # a link to a directory: never entered
                if ignored is None or entry_relative not in ignored.files | ignored.directories:
                    notes.append(_link_finding(entry.path, entry_relative, real_prefix, directory=True))
                continue
            if not name.endswith(MANIFEST_EXTENSIONS) or (ignored is not None and entry_relative in ignored.files):
                continue
            if link:
                real_path = _linked_file(entry.path, real_prefix)
                if real_path is not None:
                    here.append((entry_relative, entry.path, real_path))
                else:
                    notes.append(_link_finding(entry.path, entry_relative, real_prefix, directory=False))
            elif entry.is_file(follow_symlinks=False):
                here.append((entry_relative, entry.path, real_prefix + entry_relative))
        found.extend(here)
        findings.extend(notes)
        if not links:  # what links point at can change without the directory changing
            _remember_listing(directory, real_prefix, listed_at, ignored, (subdirectories, here, notes))
        # Files of a directory come before its subdirectories, which are visited in name order.
        stack.extend(reversed(subdirectories))
    return found


_Walked = tuple[list[tuple[str, str]], list[tuple[str, str, str]], list[Finding]]

#: What each directory gave, by path, with the directory's (mtime, inode) and what git ignored then;
#: kept only in a long-lived process (`keep_listings`). A directory's mtime changes whenever an entry
#: is added, removed or renamed, so an unchanged directory needs no listing.
_LISTINGS: dict[tuple[str, str], tuple[int, int, _GitIgnored | None, _Walked]] | None = None


def keep_listings() -> None:
    """Remember directory listings from now on (for a process serving many runs: the hook's worker)."""
    global _LISTINGS
    if _LISTINGS is None:
        _LISTINGS = {}


def _remembered_listing(directory: str, real_prefix: str, ignored: _GitIgnored | None) -> _Walked | None:
    if _LISTINGS is None:
        return None
    known = _LISTINGS.get((directory, real_prefix))
    if known is None:
        return None
    try:
        info = os.stat(directory)
    except OSError:
        return None
    mtime, inode, was_ignored, walked = known
    if info.st_mtime_ns != mtime or info.st_ino != inode or was_ignored != ignored:
        return None
    return walked


def _remember_listing(
    directory: str, real_prefix: str, listed_at: int, ignored: _GitIgnored | None, walked: _Walked
) -> None:
    if _LISTINGS is None:
        return
    try:
        info = os.stat(directory)
    except OSError:
        return
    # Racy: a change within the clock's granularity of the listing may leave the mtime as it was.
    if listed_at - info.st_mtime_ns < 2_000_000_000:
        _LISTINGS.pop((directory, real_prefix), None)
        return
    _LISTINGS[(directory, real_prefix)] = (info.st_mtime_ns, info.st_ino, ignored, walked)


def _link_to_directory(entry: os.DirEntry[str]) -> bool:
    """Whether a symlink leads to a directory; False for a dangling link or a loop (``a -> b -> a``)."""
    try:
        return entry.is_dir()
    except OSError:  # ELOOP: the link never reaches a file or directory
        return False


def _link_loops(link: str) -> bool:
    """Whether following ``link`` goes round in a circle of symlinks."""
    try:
        os.stat(link)
    except OSError as error:
        return error.errno == errno.ELOOP
    return False


def in_skipped_folder(path: str) -> bool:
    """Whether a repository path lies in a folder that is never searched (`SKIPPED_FOLDERS`)."""
    return any(part in SKIPPED_FOLDERS for part in path.split("/")[:-1])


def _link_finding(link: str, relative: str, real_prefix: str, *, directory: bool) -> Finding:
    """``input/link-not-followed`` for a link the walk does not follow (a warning when it leaves the folder)."""
    target = os.path.realpath(link)
    outside = not target.startswith(real_prefix) and target != real_prefix.rstrip(os.sep)
    if not directory and _link_loops(link):
        why = "a symbolic link loop (following it leads back to a link, never to a file): not read"
        outside = False
    elif directory and not outside:
        why = "a symbolic link to a directory inside the scanned folder: not entered (it is read where it lies)"
    elif directory:
        why = "a symbolic link to a directory outside the scanned folder: not entered"
    elif not os.path.exists(target):
        why = "a symbolic link to nothing (its target does not exist): not read"
    else:
        why = "a symbolic link to a file outside the scanned folder: not read"
    return Finding(
        "input/link-not-followed",
        Severity.WARNING if outside else Severity.INFO,
        f"{relative} is {why}",
        path=os.path.normpath(link),
    )


def _linked_file(link: str, real_prefix: str) -> str | None:
    """The real path of a symlink to a regular file inside the walked root, else None."""
    target = os.path.realpath(link)
    try:
        mode = os.stat(target).st_mode
    except OSError:  # dangling link
        return None
    return target if target.startswith(real_prefix) and stat.S_ISREG(mode) else None


def git_environment() -> dict[str, str]:
    """This process's environment without git's repository-local variables (see `_GIT_LOCAL_ENV`)."""
    return {name: value for name, value in os.environ.items() if name not in _GIT_LOCAL_ENV}


def _git_ignored(directory: str) -> _GitIgnored | None:
    """Ask git once what it ignores under ``directory``; None when git is missing or not a work tree."""
    env = git_environment()
    try:
        completed = subprocess.run(
            ["git", "-C", directory, "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z"],
            capture_output=True,
            env=env,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    files: set[str] = set()
    directories: set[str] = set()
    for raw in completed.stdout.split(b"\0"):
        if not raw:
            continue
        name = os.fsdecode(raw)
        if name == "./":  # the directory itself is ignored: the user named it, so read it all
            return None
        if name.endswith("/"):
            directories.add(name[:-1])
        else:
            files.add(name)
    return _GitIgnored(frozenset(files), frozenset(directories))
