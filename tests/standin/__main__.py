"""``python -m tests.standin --port 8001 --kubeconfig PATH [--load FILE.yaml ...]``: the stand-in as a process."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from tests.standin.server import StandInApiServer, read_manifests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.standin", description="A stand-in Kubernetes API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port (default: 8001)")
    parser.add_argument("--kubeconfig", type=Path, help="write a kubeconfig for this server here")
    parser.add_argument("--load", type=Path, action="append", default=[], help="YAML manifests to create at start")
    parser.add_argument("--history-limit", type=int, default=10_000, help="watch events kept (default: 10000)")
    args = parser.parse_args(argv)

    server = StandInApiServer(args.port, host=args.host, history_limit=args.history_limit)
    for path in args.load:
        count = server.load(read_manifests(path))
        print(f"loaded {count} objects from {path}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    server.start()
    try:
        if args.kubeconfig:
            print(f"kubeconfig: {server.write_kubeconfig(args.kubeconfig)}", flush=True)
        print(f"listening on {server.url}", flush=True)
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
