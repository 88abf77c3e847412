"""A stand-in Pomerium databroker for end-to-end tests: a real gRPC server with the databroker's service.

Usage::

    broker = StandInDatabroker(shared_secret=KEY)   # 127.0.0.1, a free port (``port=`` for a fixed one)
    broker.start()
    ... a controller talks gRPC to broker.url ...
    broker.config()            # the `ingress-controller` record's Config message (None when absent)
    broker.stop(); broker.start()   # a restart on the same port; records and leases survive unless ``forget=True``

Served (`databroker.DataBrokerService`, the messages of `pomgate.controller.protos`): Get, Put,
AcquireLease, RenewLease, ReleaseLease. Semantics as Pomerium's databroker: records by (type, id) with a
version that grows on each Put; Get of an absent record is NOT_FOUND; a lease is held by one id until
it expires or is released, AcquireLease/RenewLease by anyone else get ALREADY_EXISTS.

Authentication as Pomerium's servers check it: the metadata key ``jwt`` must hold an HS256 JWT signed
with the shared secret whose only claim is ``exp``, in the future; else UNAUTHENTICATED.

Faults: ``delay`` (seconds every call waits), ``fail_with`` (a status code every call gets),
``lose_lease(name)`` (the lease goes to someone else), ``stop()`` (UNAVAILABLE until ``start()``).
``calls`` records (method, authenticated) for assertions; ``wait_for_config(needle)`` blocks until a
Put stores a Config whose bytes contain ``needle`` (benchmarks time changes with it). Messages over
``max_message_bytes`` (default 4 MiB, gRPC's default and so Pomerium's) are refused RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from concurrent import futures
from typing import Any

import grpc

from pomgate.controller import protos

SERVICE = protos.DATABROKER_SERVICE


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_problem(token: str, key: bytes, now: float | None = None) -> str | None:
    """Why Pomerium would refuse ``token`` (None: accepted): HS256 signature, exactly one claim, `exp` ahead."""
    parts = token.split(".")
    if len(parts) != 3:
        return "not a compact JWT"
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except ValueError:
        return "undecodable"
    if header.get("alg") != "HS256":
        return f"algorithm {header.get('alg')!r}"
    expected = hmac.new(key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        return "bad signature"
    if not isinstance(claims, dict) or set(claims) != {"exp"}:
        return "expected exactly one claim (exp)"
    if (time.time() if now is None else now) > float(claims["exp"]):
        return "expired"
    return None


class StandInDatabroker:
    """The stand-in (see the module docstring)."""

    def __init__(self, *, shared_secret: bytes = b"", port: int = 0, max_message_bytes: int = 4 * 1024 * 1024) -> None:
        self.shared_secret = shared_secret
        self.port = port or _free_port()
        self.max_message_bytes = max_message_bytes
        self.records: dict[tuple[str, str], Any] = {}
        self.leases: dict[str, tuple[str, float]] = {}  # name -> (id, expires at, monotonic)
        self.version = 0
        self.delay = 0.0
        self.fail_with: grpc.StatusCode | None = None
        self.calls: list[tuple[str, bool]] = []
        self.puts = 0
        self.stored_at = 0.0
        self._lock = threading.Lock()
        self._stored = threading.Condition(self._lock)
        self._server: grpc.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ lifecycle
    def start(self, *, forget: bool = False) -> None:
        if forget:
            with self._lock:
                self.records.clear()
                self.leases.clear()
        limits = [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", max(self.max_message_bytes, 64 * 1024 * 1024)),
        ]
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=limits)
        handlers = {
            "Get": (self._get, protos.GetRequest, protos.GetResponse),
            "Put": (self._put, protos.PutRequest, protos.PutResponse),
            "AcquireLease": (self._acquire, protos.AcquireLeaseRequest, protos.AcquireLeaseResponse),
            "RenewLease": (self._renew, protos.RenewLeaseRequest, protos.Empty),
            "ReleaseLease": (self._release, protos.ReleaseLeaseRequest, protos.Empty),
        }
        server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    SERVICE,
                    {
                        name: grpc.unary_unary_rpc_method_handler(
                            self._guarded(name, handler),
                            request_deserializer=request.FromString,
                            response_serializer=response.SerializeToString,
                        )
                        for name, (handler, request, response) in handlers.items()
                    },
                ),
            )
        )
        server.add_insecure_port(f"127.0.0.1:{self.port}")
        server.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None).wait()
            self._server = None

    def __enter__(self) -> StandInDatabroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers for tests
    def config(self) -> Any:
        """The `ingress-controller` record's `pomerium.config.Config`, or None."""
        with self._lock:
            record = self.records.get((protos.CONFIG_TYPE_URL, "ingress-controller"))
        if record is None:
            return None
        return protos.Config.FromString(record.data.value)

    def put_config(self, config: Any) -> None:
        """Store a Config as the `ingress-controller` record (as another controller would)."""
        record = protos.Record(type=protos.CONFIG_TYPE_URL, id="ingress-controller")
        record.data.Pack(config)
        with self._lock:
            self.version += 1
            record.version = self.version
            self.records[(record.type, record.id)] = record

    def wait_for_config(self, needle: bytes, timeout: float = 300.0) -> float:
        """Block until the stored Config's bytes contain ``needle``; the moment a Put stored it (perf_counter)."""
        deadline = time.perf_counter() + timeout
        key = (protos.CONFIG_TYPE_URL, "ingress-controller")
        with self._stored:
            while True:
                record = self.records.get(key)
                if record is not None and needle in record.data.value:
                    return self.stored_at
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(f"no Config with {needle!r} within {timeout} s")
                self._stored.wait(left)

    def lease_holder(self, name: str = "ingress-controller") -> str | None:
        with self._lock:
            held = self.leases.get(name)
        return held[0] if held and held[1] > time.monotonic() else None

    def lose_lease(self, name: str = "ingress-controller", duration: float = 30.0) -> None:
        """Someone else takes the lease now (for ``duration`` seconds)."""
        with self._lock:
            self.leases[name] = (f"intruder-{uuid.uuid4().hex[:6]}", time.monotonic() + duration)

    # ------------------------------------------------------------------ the service
    def _guarded(self, name: str, handler: Any) -> Any:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            token = dict(context.invocation_metadata()).get("jwt")
            problem = None if not self.shared_secret else ("unauthenticated" if not token else None)
            if problem is None and self.shared_secret and token:
                problem = jwt_problem(str(token), self.shared_secret)
            self.calls.append((name, problem is None))
            if problem is not None:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid JWT" if token else "unauthenticated")
            if self.delay:
                time.sleep(self.delay)
            if self.fail_with is not None:
                context.abort(self.fail_with, "injected failure")
            return handler(request, context)

        return call

    def _get(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._lock:
            record = self.records.get((request.type, request.id))
        if record is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "record not found")
        return protos.GetResponse(record=record)

    def _put(self, request: Any, context: grpc.ServicerContext) -> Any:
        stored = []
        with self._lock:
            for record in request.records:
                self.version += 1
                copy = protos.Record()
                copy.CopyFrom(record)
                copy.version = self.version
                self.records[(copy.type, copy.id)] = copy
                stored.append(copy)
            self.puts += 1
            self.stored_at = time.perf_counter()
            self._stored.notify_all()
        return protos.PutResponse(server_version=1, records=stored)

    def _acquire(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._lock:
            held = self.leases.get(request.name)
            if held is not None and held[1] > time.monotonic():
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "lease is already taken")
            lease_id = uuid.uuid4().hex
            self.leases[request.name] = (lease_id, time.monotonic() + request.duration.ToNanoseconds() / 1e9)
        return protos.AcquireLeaseResponse(id=lease_id)

    def _renew(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._lock:
            held = self.leases.get(request.name)
            if held is None or held[0] != request.id or held[1] <= time.monotonic():
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "lease is already taken")
            self.leases[request.name] = (request.id, time.monotonic() + request.duration.ToNanoseconds() / 1e9)
        return protos.Empty()

    def _release(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._lock:
            held = self.leases.get(request.name)
            if held is not None and held[0] == request.id:
                del self.leases[request.name]
        return protos.Empty()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
