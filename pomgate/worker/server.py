"""The worker process: serve hook runs for one directory from a warm process until idle.

One request at a time (a hook run reads and writes the scan cache). Each runs the ordinary
command line in this process, with the client's environment, its output captured and sent back.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import importlib
import io
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
import traceback
from typing import Any

from pomgate.worker.address import idle_seconds, reachable, socket_path
from pomgate.worker.client import request
from pomgate.worker.protocol import ProtocolError, receive, send

log = logging.getLogger("pomgate.worker")

#: Imported before the first request: what every hook run needs.
WARM_MODULES = ("pomgate.cli.app", "pomgate.pipeline", "pomgate.reports.check_output", "pomgate.scanning.cache")

#: Seconds without a request before the scan cache is written.
SAVE_AFTER = 2.0

#: True inside a worker: its hook runs must not start another worker.
IN_WORKER = False


class _Terminated(BaseException):
    """SIGTERM/SIGINT: leave the loop (past the commands' own exit handling) and clean up."""


def _terminate(_signal: int, _frame: object) -> None:
    raise _Terminated


class Worker:
    """A bound socket for ``cwd`` and the loop that answers it."""

    def __init__(self, cwd: str) -> None:
        self.cwd = os.path.realpath(cwd)
        self.requests = 0
        self.started = time.time()
        self.stopping = False

    def serve(self) -> int:
        """Listen until idle or stopped; 0 also when another worker already serves this directory."""
        global IN_WORKER
        path = socket_path(self.cwd, create=True)
        if path is None:
            log.error("no private runtime folder for the socket")
            return 1
        lock = os.open(path + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            log.info("another worker serves %s", self.cwd)
            return 0
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # left by a worker that was killed (we hold the lock)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _terminate)
        try:
            with reachable(path) as address:
                listener.bind(address)
            os.chmod(path, 0o600)
            listener.listen(16)
            os.chdir(self.cwd)
            IN_WORKER = True
            for module in WARM_MODULES:
                importlib.import_module(module)
            from pomgate.scanning.cache import keep_open, save_kept
            from pomgate.scanning.discover import keep_listings

            keep_open()
            keep_listings()

            idle = idle_seconds()
            log.info("serving %s on %s (exits after %.0f idle seconds)", self.cwd, path, idle)
            unsaved = False
            last = time.monotonic()
            while not self.stopping:
                # The scan cache is written once the runs pause (runs in a row use the one in memory).
                timeout = SAVE_AFTER if unsaved else max(0.0, last + idle - time.monotonic())
                ready, _, _ = select.select([listener], [], [], timeout)
                if not ready:
                    if unsaved:
                        save_kept()
                        unsaved = False
                        continue
                    log.info("idle for %.0f s: exiting", idle)
                    break
                connection, _ = listener.accept()
                ran = False
                with connection:
                    try:
                        ran = self.answer(connection)
                    except OSError as problem:  # the client went away: nothing to answer
                        log.warning("connection lost: %s", problem)
                if ran:  # status questions do not keep an idle worker alive
                    unsaved = True
                    last = time.monotonic()
                _reap_children()  # the scan cache's background writers
                gc.unfreeze()  # runs freeze what they read; let what they dropped be collected
                gc.collect()
            if unsaved:
                save_kept()
        except _Terminated:
            log.info("terminated")
        finally:
            listener.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            os.close(lock)
        return 0

    def answer(self, connection: socket.socket) -> bool:
        """Answer one request; True when it ran a command (which may have changed the scan cache)."""
        try:
            message = receive(connection)
        except ProtocolError as problem:
            log.warning("bad request: %s", problem)
            return False
        op = message.get("op")
        if op == "status":
            send(connection, self.status())
        elif op == "stop":
            self.stopping = True
            send(connection, {"stopping": True, **self.status()})
        elif op == "run" and os.path.realpath(str(message.get("cwd"))) != self.cwd:
            send(connection, {"refused": f"this worker serves {self.cwd}"})
        elif op == "run" and isinstance(message.get("argv"), list) and isinstance(message.get("env"), dict):
            started = time.perf_counter()
            argv, env = [str(a) for a in message["argv"]], {str(k): str(v) for k, v in message["env"].items()}
            out, errors, code = run_command(argv, env, str(message.get("prog") or "pomgate"))
            self.requests += 1
            with contextlib.suppress(OSError):
                send(connection, {"stdout": out, "stderr": errors, "exit": code})
            log.info("ran %s: exit %d in %.3f s", " ".join(message["argv"]), code, time.perf_counter() - started)
            return True
        else:
            send(connection, {"refused": f"unknown request {op!r}"})
        return False

    def status(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "cwd": self.cwd, "requests": self.requests, "started": self.started}


def _reap_children() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


_COMMAND: Any = None


def run_command(argv: list[str], env: dict[str, str], prog: str = "pomgate") -> tuple[str, str, int]:
    """``pomgate <argv>`` in this process with ``env``: (stdout, stderr, exit status)."""
    global _COMMAND
    if _COMMAND is None:
        import typer.main

        from pomgate.cli.app import app

        _COMMAND = typer.main.get_command(app)  # built once: typer rebuilds it on every call
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="surrogateescape", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="surrogateescape", write_through=True)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                _COMMAND.main(args=argv, prog_name=prog)
            except SystemExit as exit_:
                if isinstance(exit_.code, str):
                    print(exit_.code, file=sys.stderr)
                code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
            except Exception:  # reported like an uncaught error of the command line
                traceback.print_exc()
                code = 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
    texts = [_captured(stream) for stream in (out, err)]
    return texts[0], texts[1], code


def _captured(stream: io.TextIOWrapper) -> str:
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", "surrogateescape")


def start_in_background(cwd: str) -> None:
    """Start a worker for ``cwd`` unless one answers; it outlives this process (own session)."""
    if IN_WORKER or request({"op": "status"}, cwd) is not None:
        return
    path = socket_path(cwd, create=True)
    if path is None:
        return
    log_path = path + ".log"
    with contextlib.suppress(OSError):
        if os.path.getsize(log_path) > 1 << 20:
            os.truncate(log_path, 0)
    with open(log_path, "ab") as log_file:
        # -P: the repository folder is not put on the module path (a `typer.py` there is never imported);
        # started from the private runtime folder, so nothing under review is its working directory either.
        subprocess.Popen(
            [sys.executable, "-P", "-m", "pomgate.worker", os.path.realpath(cwd)],
            cwd=os.path.dirname(path),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            close_fds=True,
        )
