"""`python -m benchmarks controller`: Ingress change -> rewritten config, at 1,000 and 10,000 Ingresses.

For each size, the stand-in API server (tests/standin) is loaded with N Ingresses, each with its
Service and Endpoints, a few TLS Secrets and the IngressClass; `pomgate controller` runs as a real
process, once per output, in the same run:

- *file*: `--config-file` (written atomically with fsync);
- *databroker*: `--databroker-service-url` against the stand-in databroker (tests/databroker_standin,
  a real gRPC server on a loopback socket, in this process) with the shared secret and the databroker
  lease, as deployed: each change is a Get of the `ingress-controller` record and a Put of the whole
  record. The stand-in and the controller accept messages over the real databroker's 4 MiB (hidden
  `--databroker-message-limit`): at these sizes the record is larger than that (see the README).

The corpus (environment variable ``POMGATE_BENCH_CORPUS``): ``policy`` (default) gives each Ingress
two paths and a PPL policy, so each route of the record carries the Rego generated for it (about
3 KB); ``lean`` gives each Ingress one path and an `allowed_domains` list instead, a record that
fits the real databroker's 4 MiB at 10,000 Ingresses.

Measured:

- *list*: the baseline, one LIST of every watched kind (what any controller must read at start);
- *initial sync*: controller start (process already imported, measured from its first request)
  to the first config written with all N Ingresses' routes;
- *change -> config*: one Ingress's host is changed through the API, and the time until the config
  file (or the record, when the stand-in stored the Put) holds the new host; repeated, reported as
  median and p95, and the databroker's p95 over the file's.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
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
OUTPUTS = ("file", "databroker")
SHARED_SECRET = base64.b64encode(b"benchmark-shared-secret-32-bytes").decode()
#: What the stand-in and the controller accept here (the real databroker: 4 MiB).
BENCH_MESSAGE_LIMIT = 1024 * 1024 * 1024


def corpus_kind() -> str:
    """``policy`` or ``lean`` (see the module docstring)."""
    kind = os.environ.get("POMGATE_BENCH_CORPUS", "policy")
    if kind not in ("policy", "lean"):
        raise SystemExit(f"POMGATE_BENCH_CORPUS must be policy or lean, not {kind!r}")
    return kind


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
    """One Ingress of the corpus (`corpus_kind`)."""
    lean = corpus_kind() == "lean"
    access = (
        {"ingress.pomerium.io/allowed_domains": '["example.com"]'}
        if lean
        else {"ingress.pomerium.io/policy": "allow:\n  or:\n  - domain:\n      is: example.com\n"}
    )
    paths: list[dict[str, Any]] = [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": name, "port": {"name": "http"}}}}
    ]
    if not lean:
        paths.append(
            {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": name, "port": {"number": 80}}}}
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {
                **access,
                "ingress.pomerium.io/pass_identity_headers": "true",
                "ingress.pomerium.io/set_request_headers": '{"X-Team": "' + namespace + '"}',
            },
        },
        "spec": {"ingressClassName": "pomerium", "rules": [{"host": host, "http": {"paths": paths}}]},
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


def bench_size(count: int, changes: int, scratch: Path, output: str = "file") -> dict[str, Any]:
    """One size and one output (``file`` or ``databroker``): list, initial sync, change latencies."""
    sys.path.insert(0, str(PROJECT))
    from tests.databroker_standin import StandInDatabroker
    from tests.standin import StandInApiServer

    api = StandInApiServer()
    api.start()
    broker = None
    try:
        api.load(objects(count))
        kubeconfig = api.write_kubeconfig(scratch / f"kubeconfig-{count}")
        lists = [list_everything(api.url) for _ in range(3)]
        target = scratch / f"config-{count}.yaml"
        target.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": str(PROJECT), "LOG_LEVEL": os.environ.get("LOG_LEVEL", "info")}
        if output == "databroker":
            broker = StandInDatabroker(
                shared_secret=base64.b64decode(SHARED_SECRET), max_message_bytes=BENCH_MESSAGE_LIMIT
            )
            broker.start()
            outputs = ["--databroker-service-url", broker.url, "--databroker-message-limit", str(BENCH_MESSAGE_LIMIT)]
            env["SHARED_SECRET"] = SHARED_SECRET
        else:
            outputs = ["--config-file", str(target), "--no-leader-elect"]
        before = len(api.requests)  # the LISTs above are in the log too
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pomgate",
                "controller",
                "--kubeconfig",
                str(kubeconfig),
                *outputs,
                "--health-probe-bind-address",
                "0",
                "--metrics-bind-address",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(scratch / f"controller-{count}-{output}.log").open("wb"),
            env=env,
        )

        def written(needle: bytes) -> float:
            if broker is not None:
                return broker.wait_for_config(needle)
            return wait_for(target, needle)

        try:
            first_request = _wait_first_request(api, before)
            last_host = f"app-{count - 1:05d}.team-{(count - 1) % 20:02d}.example.com".encode()
            initial = written(last_host) - first_request
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
                latencies.append(written(new_host.encode()) - start)
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        latencies.sort()
        if broker is not None:
            config = broker.config()
            size = 0 if config is None else config.ByteSize()
        else:
            size = target.stat().st_size
        return {
            "ingresses": count,
            "output": output,
            "list": statistics.median(lists),
            "initial": initial,
            "p50": statistics.median(latencies),
            "p95": latencies[max(0, round(0.95 * len(latencies)) - 1)],
            "max": latencies[-1],
            "bytes": size,
        }
    finally:
        if broker is not None:
            broker.stop()
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
    """Both outputs at each size, side by side, and the databroker's p95 over the file's."""
    sizes = [int(size) for size in args.ingresses.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="pomgate-bench-") as scratch:
        if args.keep_logs:
            scratch = args.keep_logs
        for size in sizes:
            for output in OUTPUTS:
                rows.append(bench_size(size, args.changes, Path(scratch), output))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.changes} changes per size, {time.strftime('%Y-%m-%d')}; corpus {corpus_kind()}"
    )
    print(
        "| Ingresses | output | list all kinds s | initial sync s | sync / list | change→config p50 ms | p95 ms "
        "| max ms | config MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['ingresses']:,} | {row['output']} | {row['list']:.2f} | {row['initial']:.2f} "
            f"| {row['initial'] / row['list']:.1f}× | {row['p50'] * 1000:.0f} | {row['p95'] * 1000:.0f} "
            f"| {row['max'] * 1000:.0f} | {row['bytes'] / 1e6:.1f} |"
        )
    for size in sizes:
        by_output = {row["output"]: row for row in rows if row["ingresses"] == size}
        ratio = by_output["databroker"]["p95"] / by_output["file"]["p95"]
        print(f"{size:,} Ingresses: databroker p95 / file p95 = {ratio:.2f}×")
