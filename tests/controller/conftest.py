"""End-to-end fixtures: the stand-in API server in this process, `pomgate controller` as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.standin import StandInApiServer

PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return int(err.code), err.read().decode()
    except OSError:
        return 0, ""


@dataclass
class ControllerProcess:
    """One `pomgate controller` process with its ports, output file and log."""

    process: subprocess.Popen[bytes]
    config_file: Path
    health: int
    metrics: int
    log_path: Path
    args: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self) -> tuple[int, str]:
        return http_get(f"http://127.0.0.1:{self.health}/readyz")

    def metric(self, name: str) -> float | None:
        status, text = http_get(f"http://127.0.0.1:{self.metrics}/metrics")
        if status != 200:
            return None
        total = None
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total = (total or 0.0) + float(line.rsplit(" ", 1)[1])
        return total

    def config(self) -> bytes | None:
        try:
            return self.config_file.read_bytes()
        except FileNotFoundError:
            return None

    def memory_mib(self) -> tuple[float, float]:
        """(resident set now, its peak) of the process in MiB, from /proc."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.split()
        return int(fields["VmRSS"][0]) / 1024, int(fields["VmHWM"][0]) / 1024

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


@pytest.fixture
def apiserver() -> Iterator[StandInApiServer]:
    server = StandInApiServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_controller(apiserver: StandInApiServer, tmp_path: Path) -> Iterator[Callable[..., ControllerProcess]]:
    started: list[ControllerProcess] = []
    kubeconfig = apiserver.write_kubeconfig(tmp_path / "kubeconfig")

    def start(
        *extra: str, name: str = "a", config_file: Path | None = None, fast_lease: bool = True
    ) -> ControllerProcess:
        health, metrics = free_port(), free_port()
        target = config_file or tmp_path / f"config-{name}.yaml"
        log_path = tmp_path / f"controller-{name}.log"
        args = [
            sys.executable,
            "-m",
            "pomgate",
            "controller",
            "--kubeconfig",
            str(kubeconfig),
            "--config-file",
            str(target),
            "--health-probe-bind-address",
            f"127.0.0.1:{health}",
            "--metrics-bind-address",
            f"127.0.0.1:{metrics}",
            "--leader-election-namespace",
            "pomerium",
            *(["--lease-duration", "3", "--renew-deadline", "2", "--retry-period", "0.5"] if fast_lease else []),
            *extra,
        ]
        env = {**os.environ, "PYTHONPATH": str(PROJECT), "HOSTNAME": f"replica-{name}"}
        with log_path.open("wb") as log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        controller = ControllerProcess(process, target, health, metrics, log_path, args)
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop(signal.SIGKILL)
