"""`pomgate.parallel`: the second process changes only the time, and never outlives its caller."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from pomgate import parallel


@pytest.fixture(autouse=True)
def two_workers() -> Iterator[None]:
    parallel.set_workers(2)
    yield
    parallel.set_workers(1)


def squares_with_pid(items: Sequence[int]) -> list[tuple[int, int]]:
    return [(item * item, os.getpid()) for item in items]


def test_parts_come_in_order_this_process_first_and_the_second_part_from_a_child() -> None:
    parts = list(parallel.split_parts(squares_with_pid, list(range(10)), minimum=4))
    assert [list(items) for items, _results in parts] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert [value for _items, results in parts for value, _pid in results] == [n * n for n in range(10)]
    assert {pid for _value, pid in parts[0][1]} == {os.getpid()}
    assert {pid for _value, pid in parts[1][1]} != {os.getpid()}  # computed by the forked child
    assert [value for value, _pid in parallel.split_map(squares_with_pid, list(range(10)), minimum=4)] == [
        n * n for n in range(10)
    ]


def test_below_the_minimum_or_with_one_worker_everything_is_computed_here() -> None:
    assert list(parallel.split_parts(squares_with_pid, [1, 2], minimum=4)) == [
        ([1, 2], [(1, os.getpid()), (4, os.getpid())])
    ]
    parallel.set_workers(1)
    [(_items, results)] = list(parallel.split_parts(squares_with_pid, list(range(10)), minimum=4))
    assert {pid for _value, pid in results} == {os.getpid()}


def test_a_caller_that_stops_early_leaves_no_child_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    children: list[int] = []

    class Recorded(parallel.ForkedCall[list[tuple[int, int]]]):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            children.append(self._pid)

    monkeypatch.setattr(parallel, "ForkedCall", Recorded)
    parts = parallel.split_parts(squares_with_pid, list(range(200_000)), minimum=4)
    next(parts)
    parts.close()  # the child's part is not wanted: it is killed and reaped
    [pid] = children
    assert pid > 0
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie, no running child


def test_a_failing_child_part_is_computed_here_instead() -> None:
    parent = os.getpid()

    def fails_in_the_child(items: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            raise RuntimeError("child failure")
        return [item + 1 for item in items]

    assert parallel.split_map(fails_in_the_child, list(range(10)), minimum=4) == list(range(1, 11))
