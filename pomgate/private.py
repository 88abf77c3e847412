"""Folders and files only the current user can change: where pomgate keeps state it will trust later.

Standard library only: the worker's client imports this before anything else.
"""

from __future__ import annotations

import os
import stat

#: Permission bits a private folder must not have: group/other write (others could swap its files).
NOT_WRITABLE_BY_OTHERS = 0o022
#: Permission bits a secret must not have: any access for group/other.
NO_ACCESS_FOR_OTHERS = 0o077


def user_cache_root() -> str:
    """``$XDG_CACHE_HOME/pomgate``, else ``~/.cache/pomgate``: this user's own cache folder for pomgate."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pomgate")


def why_not_private(path: str, *, forbidden: int = NOT_WRITABLE_BY_OTHERS, folder: bool = True) -> str | None:
    """None when ``path`` is a real folder (or file) owned by this user without ``forbidden`` bits; else why not.

    Links are not followed: a link could be swapped by whoever owns the folder it stands in.
    """
    try:
        info = os.lstat(path)
    except OSError as err:
        return f"{path}: {err.strerror or err}"
    if folder and not stat.S_ISDIR(info.st_mode):
        return f"{path} is not a folder (links are not followed)"
    if not folder and not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file (links are not followed)"
    if info.st_uid != os.getuid():
        return f"{path} belongs to user id {info.st_uid}, not to the current user ({os.getuid()})"
    if info.st_mode & forbidden:
        return f"{path} has mode {stat.S_IMODE(info.st_mode):04o}: others may change what is in it"
    return None


def private_folder(path: str, *, forbidden: int = NOT_WRITABLE_BY_OTHERS) -> str | None:
    """Create ``path`` (mode 0700; parents as needed) unless it exists; None when it is private, else why not."""
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as err:
        return f"cannot create {path}: {err.strerror or err}"
    return why_not_private(path, forbidden=forbidden)
