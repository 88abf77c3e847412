"""Where the worker for one directory listens: a socket only its user can reach, named by the code.

Imported by the client before anything else, so it uses the standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator

from pomgate.private import NO_ACCESS_FOR_OTHERS, why_not_private

#: Idle seconds before a worker exits ($POMGATE_WORKER_IDLE overrides).
DEFAULT_IDLE_SECONDS = 900.0
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def runtime_dir(*, create: bool) -> str | None:
    """This user's private folder for worker sockets, or None when it is missing or not private.

    ``$XDG_RUNTIME_DIR/pomgate`` when set, else ``<tmp>/pomgate-<uid>``; it must be a real directory
    owned by this user with no access for others (a socket there cannot be swapped by someone else).
    """
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("TMPDIR") or "/tmp"
    uid = os.getuid()
    folder = os.path.join(base, "pomgate" if os.environ.get("XDG_RUNTIME_DIR") else f"pomgate-{uid}")
    if create:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    return folder if why_not_private(folder, forbidden=NO_ACCESS_FOR_OTHERS) is None else None


def code_stamp(package_dir: str = PACKAGE_DIR) -> str:
    """What identifies the running code: interpreter, and every module's path, size and mtime."""
    parts = [sys.executable, sys.version]
    for directory, subdirectories, files in os.walk(package_dir):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(directory, name))
                parts.append(f"{directory}/{name}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts)


def socket_path(cwd: str, *, create: bool = False, stamp: str | None = None) -> str | None:
    """The socket of the worker serving ``cwd`` with this code (None: no private folder for it)."""
    folder = runtime_dir(create=create)
    if folder is None:
        return None
    key = hashlib.sha256(f"{os.path.realpath(cwd)}\n{stamp or code_stamp()}".encode()).hexdigest()[:20]
    return os.path.join(folder, f"{key}.sock")


def idle_seconds() -> float:
    text = os.environ.get("POMGATE_WORKER_IDLE", "")
    try:
        return max(0.1, float(text)) if text else DEFAULT_IDLE_SECONDS
    except ValueError:
        return DEFAULT_IDLE_SECONDS


#: Unix socket addresses are limited to 108 bytes (104 on macOS), with room for the terminator.
_MAX_ADDRESS = 100


@contextlib.contextmanager
def reachable(path: str) -> Iterator[str]:
    """An address for ``path`` that fits a Unix socket: itself, or its name inside its folder (entered).

    A long runtime folder (a deep ``$TMPDIR``) would make bind() and connect() fail; from inside the
    folder the bare name works. The current directory is restored on the way out.
    """
    if len(os.fsencode(path)) <= _MAX_ADDRESS:
        yield path
        return
    here = os.getcwd()
    os.chdir(os.path.dirname(path))
    try:
        yield os.path.basename(path)
    finally:
        os.chdir(here)
