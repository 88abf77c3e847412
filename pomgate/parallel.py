"""Use the second core: run a pure function in a forked child while this process does other work.

The child shares the parent's memory copy-on-write (no objects are sent to it), computes its part
and sends the pickled result back through a pipe. Where fork is unavailable, with one worker, or
when the child fails for any reason, the work is done in this process instead, so the result is
always the same: only the time differs.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_WORKERS = 1


def set_workers(count: int | None) -> None:
    """How many processes the pipeline may use (None: 2 when the machine has 2 or more cores)."""
    global _WORKERS
    if count is None:
        env = os.environ.get("POMGATE_WORKERS", "")
        count = int(env) if env.isdigit() and int(env) > 0 else min(2, os.cpu_count() or 1)
    _WORKERS = max(1, count)


def workers() -> int:
    return _WORKERS


def fork_computing(func: Callable[[], R], *, collect: bool = True) -> tuple[int, int]:
    """Fork a child that computes ``func()`` and writes it pickled to a pipe; (its pid, the pipe's read end).

    The child leaves with ``os._exit`` (status 1 when ``func`` raised), running none of the parent's
    clean-up. ``collect=False`` switches its garbage collector off: a collection would touch, so
    copy, every page of the parent's objects. Raises OSError when no process can be forked.
    """
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child: compute, send, leave
        os.close(read_fd)
        if not collect:
            import gc

            gc.disable()
        status = 0
        try:
            computed = func()
            with os.fdopen(write_fd, "wb", buffering=1 << 20) as pipe:
                pickle.dump(computed, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            status = 1
        os._exit(status)
    os.close(write_fd)
    return pid, read_fd


class ForkedCall(Generic[R]):
    """``func()`` computed in a forked child; `result` waits for it (or computes it here)."""

    def __init__(self, func: Callable[[], R], *, enabled: bool = True) -> None:
        self._func = func
        self._pid = 0
        self._read_fd = -1
        if not enabled or _WORKERS < 2 or not hasattr(os, "fork"):
            return
        try:
            self._pid, self._read_fd = fork_computing(func)
        except OSError:
            return

    def result(self) -> R:
        if self._pid == 0:
            return self._func()
        loaded: R | None = None
        ok = True
        with os.fdopen(self._read_fd, "rb") as pipe:
            try:
                loaded = pickle.load(pipe)  # streamed: the pickled bytes are never held whole
            except Exception:
                ok = False
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        if not ok or status != 0:
            return self._func()  # the child failed: do its part here
        return loaded  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop the child if it is still running (its result is not wanted any more)."""
        if self._pid == 0:
            return
        with contextlib.suppress(OSError):
            os.kill(self._pid, signal.SIGKILL)
        os.close(self._read_fd)
        os.waitpid(self._pid, 0)
        self._pid = 0


def split_map(
    func: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, minimum: int = 200, child_share: float = 0.5
) -> list[R]:
    """``func(items)`` with the last ``child_share`` of the items computed by a forked child (order kept).

    A share under one half balances a child whose results are costly to send back (pickled objects).
    """
    results: list[R] = []
    for _part, part_results in split_parts(func, items, minimum=minimum, child_share=child_share):
        results += part_results
    return results


def split_parts(
    func: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, minimum: int = 200, child_share: float = 0.5
) -> Iterator[tuple[Sequence[T], list[R]]]:
    """`split_map` by parts: (items, results) of this process's part first, then the child's.

    The caller can use the first part's results while the child is still computing the second.
    """
    if _WORKERS < 2 or len(items) < minimum:
        yield items, func(items)
        return
    half = len(items) - int(len(items) * child_share)
    first, rest = items[:half], items[half:]
    second = ForkedCall(lambda: func(rest))
    try:
        yield first, func(first)
    except BaseException:
        second.cancel()  # this process failed, or the caller stopped early: the child's part is not wanted
        raise
    yield rest, second.result()
