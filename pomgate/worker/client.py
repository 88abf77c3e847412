"""Hand a command line to the worker for this directory; standard library only (runs before imports)."""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

from pomgate.worker.address import reachable, socket_path
from pomgate.worker.protocol import ProtocolError, receive, send

CONNECT_TIMEOUT = 1.0


def request(message: dict[str, Any], cwd: str | None = None) -> dict[str, Any] | None:
    """Send ``message`` to the worker serving ``cwd`` (default: here); its answer, or None when none answers."""
    path = socket_path(cwd or os.getcwd())
    if path is None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        with reachable(path) as address:
            sock.connect(address)
        sock.settimeout(None)  # a first run in a large repository may take a while
        send(sock, message)
        return receive(sock)
    except (OSError, ProtocolError):
        return None
    finally:
        sock.close()


def forward(argv: list[str]) -> int | None:
    """Run ``pomgate <argv>`` in the worker: write its output here and return its exit status.

    None when it must run in this process instead: no worker, a worker that failed or refused, or
    output to a terminal (colours and width are this terminal's) or input from stdin.
    """
    if "-" in argv or sys.stdout.isatty() or sys.stderr.isatty():
        return None
    cwd = os.getcwd()
    answer = request({"op": "run", "argv": argv, "cwd": cwd, "env": dict(os.environ), "prog": program_name()}, cwd)
    if answer is None or "exit" not in answer:
        return None
    sys.stdout.buffer.write(str(answer.get("stdout", "")).encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    sys.stderr.buffer.write(str(answer.get("stderr", "")).encode("utf-8", "surrogateescape"))
    sys.stderr.flush()
    return int(answer["exit"])


def program_name() -> str:
    """The name usage messages give this program: ``pomgate``, or ``python -m pomgate`` (as click says)."""
    package = getattr(sys.modules.get("__main__"), "__package__", None)
    if not package:
        return os.path.basename(sys.argv[0])
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    module = package if name == "__main__" else f"{package}.{name}"
    return f"python -m {module.lstrip('.')}"
