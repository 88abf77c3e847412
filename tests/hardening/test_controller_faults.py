"""The controller under API-server faults: 429, 500, slow answers, dropped and expired watches, an
API-server restart, a controller killed mid-write, two replicas.

Property: every config file ever observed is complete (it parses, and holds whole Ingresses' routes),
never empty once written, and after each fault the config converges to the cluster's state with no
Ingress lost. The convergence time of each fault is printed (`pytest -s`) and kept as a test property.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.controller.conftest import ControllerProcess, wait_until
from tests.controller.objects import endpoints, ingress, ingress_class, service
from tests.standin import StandInApiServer

Start = Callable[..., ControllerProcess]


class ConfigWatcher:
    """Reads the config file every few milliseconds and keeps every distinct content it saw."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last = None
        while not self._stop.is_set():
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                data = None
            if data is not None and data != last:
                self.seen.append(data)
                last = data
            time.sleep(0.003)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def hosts(data: bytes | None) -> set[str]:
    if not data:
        return set()
    return {route["from"].removeprefix("https://") for route in yaml.safe_load(data)["routes"]}


@pytest.fixture
def cluster(apiserver: StandInApiServer) -> Iterator[StandInApiServer]:
    apiserver.create(ingress_class())
    apiserver.create(service("web"))
    apiserver.create(endpoints("web"))
    for index in range(30):
        apiserver.create(ingress(f"app{index}", f"app{index}.example.com", "web", uid=f"uid-{index}"))
    yield apiserver


def expected(api: StandInApiServer) -> set[str]:
    return {rule["host"] for item in api.list("networking.k8s.io/v1", "Ingress") for rule in item["spec"]["rules"]}


def test_faults_never_leave_a_partial_or_empty_config_and_converge(
    cluster: StandInApiServer, start_controller: Start, tmp_path: Path, record_property: Callable[[str, Any], None]
) -> None:
    api = cluster
    target = tmp_path / "routes.yaml"
    watcher = ConfigWatcher(target)
    controller = start_controller(config_file=target)
    timings: dict[str, float] = {}
    added = 0

    def converge(fault: str, inject: Callable[[], None], timeout: float = 30.0) -> None:
        nonlocal added
        inject()
        added += 1
        started = time.monotonic()
        api.create(ingress(f"new{added}", f"new{added}.example.com", "web", uid=f"uid-new-{added}"))
        wait_until(lambda: hosts(target.read_bytes() if target.exists() else None) == expected(api), timeout, fault)
        timings[fault] = time.monotonic() - started

    try:
        wait_until(lambda: hosts(target.read_bytes() if target.exists() else None) == expected(api), what="start")
        converge(
            "429 on watches",
            lambda: (api.inject_fault(status=429, retry_after=1, times=4, watch=True), api.drop_watches()),
        )
        converge(
            "500 on lists and watches",
            lambda: (api.inject_fault(method="GET", status=500, times=6), api.drop_watches()),
        )
        converge(
            "watch answers delayed 2 s", lambda: (api.inject_fault(watch=True, delay=2.0, times=6), api.drop_watches())
        )
        converge("dropped connections", lambda: api.drop_watches())
        converge("410 Gone (history compacted)", lambda: (api.compact_history(), api.drop_watches()))

        def restart_api() -> None:
            api.stop()
            time.sleep(0.5)
            api.start()

        converge("API server restart", restart_api)

        # The controller is killed while it is busy rewriting the config after a burst of changes.
        for index in range(40):
            api.patch(
                "networking.k8s.io/v1",
                "Ingress",
                "default",
                f"app{index % 30}",
                {"metadata": {"labels": {"n": str(index)}}},
            )
        controller.stop(signal.SIGKILL)
        second = start_controller(config_file=target, name="second")
        converge("controller killed mid-write, restarted", lambda: None)
        assert second.process.poll() is None
    finally:
        watcher.stop()

    # Every config ever observed was whole: it parses, and no write left the file empty after the first.
    assert watcher.seen, "no config observed"
    for data in watcher.seen:
        document = yaml.safe_load(data)
        assert isinstance(document, dict) and isinstance(document["routes"], list), data[:200]
        assert document["routes"], "an empty config was written after routes had been written"
        assert all(route["from"].startswith("https://") and route.get("to") for route in document["routes"])
    for fault, seconds in timings.items():
        record_property(fault, round(seconds, 3))
        print(f"fault: {fault:45s} converged in {seconds:.2f} s")
    assert len(timings) == 7
