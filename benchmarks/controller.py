"""`python -m benchmarks controller`: Ingress change -> rewritten config, at 1,000 and 10,000 Ingresses.

For each size, the stand-in API server (tests/standin) is loaded with N Ingresses, each with its
Service and Endpoints, a few TLS Secrets and the IngressClass; `pomgate controller` runs as a real
process writing --config-file. Measured:

- *list*: the baseline, one LIST of every watched kind (what any controller must read at start);
- *initial sync*: controller start (process already imported, measured from its first request)
  to the first config written with all N Ingresses' routes;
- *change -> config*: one Ingress's host is changed through the API, and the time until the config
  file holds the new host; repeated, reported as median and p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]


def objects(count: int) -> list[dict[str, Any]]:
    """N realistic Ingresses across 20 namespaces, with their Services and Endpoints."""
    out: list[dict[str, Any]] = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "pomerium"},
            "spec": {"controller": "pomerium.io/ingress-controller"},
        }
    ]
    for index in range(count):
        namespace = f"team-{index % 20:02d}"
        name = f"app-{index:05d}"
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
            }
        )
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": name, "namespace": namespace},
                "subsets": [
                    {
                        "addresses": [{"ip": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"}],
                        "ports": [{"name": "http", "port": 8080}],
                    }
                ],
            }
        )
        out.append(ingress(namespace, name, f"{name}.{namespace}.example.com"))
    return out


def ingress(namespace: str, name: str, host: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {
                "ingress.pomerium.io/policy": "allow:\n  or:\n  - domain:\n      is: example.com\n",
                "ingress.pomerium.io/pass_identity_headers": "true",
                "ingress.pomerium.io/set_request_headers": '{"X-Team": "' + namespace + '"}',
            },
        },
        "spec": {
            "ingressClassName": "pomerium",
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": name, "port": {"name": "http"}}},
                            },
                            {
                                "path": "/api",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": name, "port": {"number": 80}}},
                            },
                        ]
                    },
                }
            ],
        },
    }


def list_everything(url: str) -> float:
    """Seconds for one LIST of every watched kind (the controller's own client)."""
    from pomgate.controller.kubeclient import ClusterConfig, KubeClient
    from pomgate.controller.runner import WATCHED

    async def main() -> float:
        async with KubeClient(ClusterConfig(server=url)) as client:
            start = time.perf_counter()
            for resource in WATCHED:
                await client.list(resource)
            return time.perf_counter() - start

    return asyncio.run(main())


def wait_for(path: Path, needle: bytes, timeout: float = 300.0) -> float:
    """Poll ``path`` until it contains ``needle``; the moment it did (perf_counter).

    The file is read only when its inode, size or mtime changed (the writer renames a new file in).
    """
    deadline = time.perf_counter() + timeout
    seen: tuple[int, int, int] | None = None
    while time.perf_counter() < deadline:
        try:
            stat = path.stat()
            current = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            if current != seen:
                seen = current
                if needle in path.read_bytes():
                    return time.perf_counter()
        except FileNotFoundError:
            pass
        time.sleep(0.0005)
    raise SystemExit(f"timed out waiting for {needle!r} in {path}")


def bench_size(count: int, changes: int, scratch: Path) -> dict[str, Any]:
    sys.path.insert(0, str(PROJECT))
    from tests.standin import StandInApiServer

    api = StandInApiServer()
    api.start()
    try:
        api.load(objects(count))
        kubeconfig = api.write_kubeconfig(scratch / f"kubeconfig-{count}")
        lists = [list_everything(api.url) for _ in range(3)]
        target = scratch / f"config-{count}.yaml"
        target.unlink(missing_ok=True)
        before = len(api.requests)  # the LISTs above are in the log too
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pomgate",
                "controller",
                "--kubeconfig",
                str(kubeconfig),
                "--config-file",
                str(target),
                "--no-leader-elect",
                "--health-probe-bind-address",
                "0",
                "--metrics-bind-address",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(scratch / f"controller-{count}.log").open("wb"),
            env={**os.environ, "PYTHONPATH": str(PROJECT), "LOG_LEVEL": os.environ.get("LOG_LEVEL", "info")},
        )
        try:
            first_request = _wait_first_request(api, before)
            last_host = f"app-{count - 1:05d}.team-{(count - 1) % 20:02d}.example.com".encode()
            written = wait_for(target, last_host)
            initial = written - first_request
            latencies = []
            for change in range(changes):
                index = (change * 7919) % count
                namespace, name = f"team-{index % 20:02d}", f"app-{index:05d}"
                new_host = f"changed-{change}.{namespace}.example.com"
                start = time.perf_counter()
                api.patch(
                    "networking.k8s.io/v1",
                    "Ingress",
                    namespace,
                    name,
                    {"spec": ingress(namespace, name, new_host)["spec"]},
                )
                latencies.append(wait_for(target, new_host.encode()) - start)
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        latencies.sort()
        return {
            "ingresses": count,
            "list": statistics.median(lists),
            "initial": initial,
            "p50": statistics.median(latencies),
            "p95": latencies[max(0, round(0.95 * len(latencies)) - 1)],
            "max": latencies[-1],
            "bytes": target.stat().st_size,
        }
    finally:
        api.stop()


def _wait_first_request(api: Any, before: int, timeout: float = 60.0) -> float:
    """The moment the controller's first request reached the server (``before`` requests were logged earlier)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if len(api.requests) > before:
            return time.perf_counter()
        time.sleep(0.001)
    raise SystemExit("the controller made no request")


def bench_controller(args: argparse.Namespace) -> None:
    sizes = [int(size) for size in args.ingresses.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="pomgate-bench-") as scratch:
        if args.keep_logs:
            scratch = args.keep_logs
        for size in sizes:
            rows.append(bench_size(size, args.changes, Path(scratch)))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.changes} changes per size, {time.strftime('%Y-%m-%d')}"
    )
    print("| Ingresses | list all kinds s | initial sync s | sync / list | change→config p50 ms | p95 ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['ingresses']:,} | {row['list']:.2f} | {row['initial']:.2f} | {row['initial'] / row['list']:.1f}× "
            f"| {row['p50'] * 1000:.0f} | {row['p95'] * 1000:.0f} | {row['max'] * 1000:.0f} |"
        )
