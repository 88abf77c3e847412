"""Keep one tenant's costly objects from holding up the controller's process.

google-re2 compiles a regex without releasing the GIL: for up to ~0.3 s per pattern nothing else in
the process runs, not even the event loop answering /healthz. Translations that compile regexes
therefore run in a child forked for them (memory shared copy-on-write, the result pickled back);
the thread that waits for it releases the GIL. The child is killed when it overruns ``timeout``.

`release_free_memory` hands memory the process freed back to the system (other teams' Secrets
pass through it a MiB at a time).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

from pomgate.parallel import fork_computing

R = TypeVar("R")


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def release_free_memory() -> None:
    """Give the memory the process freed back to the system (glibc's malloc_trim; elsewhere nothing).

    glibc keeps freed blocks for reuse, and after a large one is freed it serves later large ones
    from that kept memory: a watch passing other teams' Secrets through would keep the process at
    its peak. Trimming costs well under a millisecond.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class IsolationFailed(Exception):
    """The child did not deliver a result (it failed, was killed, or ran over its time)."""


def start_isolated(work: Callable[[], R], timeout: float | None) -> Callable[[], R]:
    """Fork a child computing ``work()`` now; returns what waits for its result (where fork is
    unavailable, what computes it here).

    The waiting raises `IsolationFailed` when the child exits without a result or runs over
    ``timeout`` seconds from now (it is killed then).
    """
    if not hasattr(os, "fork"):
        return work
    pid, read_fd = fork_computing(work, collect=False)
    deadline = None if timeout is None else time.monotonic() + timeout

    def wait() -> R:
        chunks: list[bytes] = []
        overran = False
        try:
            while True:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    overran = True
                    break
                readable, _, _ = select.select([read_fd], [], [], remaining)
                if not readable:
                    continue
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(read_fd)
            if overran:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        if overran:
            raise IsolationFailed(f"stopped after {timeout:g} s")
        if status != 0 or not chunks:
            raise IsolationFailed(f"its process ended with status {os.waitstatus_to_exitcode(status)}")
        result: R = pickle.loads(b"".join(chunks))
        return result

    return wait
