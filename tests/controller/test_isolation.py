"""Translations that compile regexes run in a forked child: the parent's threads go on meanwhile."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import re2

from pomgate.controller.isolation import IsolationFailed, start_isolated
from pomgate.controller.reconciler import Reconciler
from pomgate.translation.options import TranslateOptions
from tests.controller.objects import endpoints, ingress, ingress_class, service

LIVE = TranslateOptions(assumed_ingress_class=None, live=True)


def test_the_result_comes_back_from_the_child() -> None:
    wait = start_isolated(lambda: [os.getpid(), "routes"], timeout=10)
    child_pid, text = wait()
    assert child_pid != os.getpid() and text == "routes"


def test_a_failing_or_overrunning_child_is_reported_and_reaped() -> None:
    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(IsolationFailed, match="status 1"):
        start_isolated(fail, timeout=10)()
    started = time.monotonic()
    with pytest.raises(IsolationFailed, match=r"stopped after 0\.3 s"):
        start_isolated(lambda: time.sleep(30), timeout=0.3)()
    assert time.monotonic() - started < 5  # killed, not waited for


def test_re2_holds_the_gil_while_compiling_so_a_child_is_needed() -> None:
    """The reason for the isolation: a thread compiling with RE2 stops every other thread."""
    options = re2.Options()
    options.log_errors = False

    def ticks_while(compile_in: Callable[[], object]) -> int:
        ticks = 0
        worker = threading.Thread(target=compile_in)
        worker.start()
        while worker.is_alive():
            time.sleep(0.005)
            ticks += 1
        return ticks

    in_thread = ticks_while(lambda: re2.compile("/a/\\pL{1,250}", options=options))
    in_child = ticks_while(lambda: start_isolated(lambda: re2.compile("/b/\\pL{1,250}", options=options) and 1, 10)())
    assert in_thread <= 3  # the main thread hardly ran during the ~0.1 s compile (20 ticks if it had)
    assert in_child >= 5  # it did while a child compiled


def regex_ingress(name: str, path: str) -> dict[str, Any]:
    obj = ingress(name, f"{name}.example.com", "web", annotations={"ingress.pomerium.io/path_regex": "true"})
    obj["spec"]["rules"][0]["http"]["paths"][0].update(path=path, pathType="ImplementationSpecific")
    return obj


def test_only_ingresses_that_compile_regexes_are_isolated_and_a_failure_fails_only_them() -> None:
    counts: list[int] = []

    def isolate(work: Callable[[], list[object]], count: int) -> Callable[[], list[object]]:
        counts.append(count)
        return start_isolated(work, timeout=10)

    reconciler = Reconciler(LIVE, isolate=isolate)  # type: ignore[arg-type]
    for obj in (ingress_class(), service("web"), endpoints("web"), ingress("plain", "plain.example.com", "web")):
        reconciler.state.apply(str(obj["kind"]), "ADDED", obj)
    reconciler.state.apply("Ingress", "ADDED", regex_ingress("regex", "/api/[a-z]+"))
    reports = {report.key[1]: report for report in reconciler.full_sync()}
    assert counts == [1] and reports["regex"].state == reports["plain"].state == "updated"
    assert reports["regex"].routes == 1

    def broken(work: Callable[[], list[object]], count: int) -> Callable[[], list[object]]:
        def wait() -> list[object]:
            raise IsolationFailed("stopped after 3 s")

        return wait

    reconciler.isolate = broken  # type: ignore[assignment]
    [report] = reconciler.reconcile({("default", "regex")})
    assert report.state == "failed"
    assert report.event_message == "translating its regexes did not finish: stopped after 3 s"
    assert len(reconciler.applied_keys()) == 2  # its last good routes stay
