"""Pomerium's databroker as the controller's output, as the upstream controller uses it.

- Every request carries a JWT (HS256, signed with the base64-decoded shared secret, one claim: `exp`
  an hour ahead) in the gRPC metadata key `jwt`, as Pomerium's gRPC clients send it.
- The whole config is one record of type `type.googleapis.com/pomerium.config.Config` with id
  `ingress-controller`; it is read before each change and put after (Get, then Put if it differs).
- Replicas elect a writer with the databroker lease `ingress-controller` (30 s): acquired, renewed
  every half duration, released on the way out; `ALREADY_EXISTS` means someone else holds it. So
  pomgate and an upstream controller never both write.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import grpc
from google.protobuf import duration_pb2

from pomgate.controller import protos
from pomgate.controller.metrics import Metrics

log = logging.getLogger("pomgate.controller")

CONFIG_RECORD_ID = "ingress-controller"
LEASE_NAME = "ingress-controller"
LEASE_DURATION = 30.0
#: The JWT metadata key Pomerium reads (and, with the Authorization header, the only one).
JWT_METADATA_KEY = "jwt"
JWT_LIFETIME = 3600
#: gRPC's default limit on a message a Go server accepts (Pomerium's databroker sets no other): a
#: larger Put is refused by the databroker, so pomgate refuses it first, with the size in the message.
MESSAGE_LIMIT = 4 * 1024 * 1024
#: Larger records are still read (a shadow reads what another controller wrote).
RECEIVE_LIMIT = 64 * 1024 * 1024


class DatabrokerError(Exception):
    """A databroker request that failed (``code`` is the gRPC status, None when it never ran)."""

    def __init__(self, message: str, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.code = code


def decode_shared_secret(text: str) -> bytes:
    """The shared secret as upstream reads it: base64, decode errors ignored (no key, no JWT)."""
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return b""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_jwt(key: bytes, now: float | None = None) -> str:
    """A compact HS256 JWT whose only claim is ``exp`` (an hour from ``now``), signed with ``key``."""
    issued = int(time.time() if now is None else now)
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = _b64url(json.dumps({"exp": issued + JWT_LIFETIME}, separators=(",", ":")).encode())
    signing_input = f"{header}.{claims}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


@dataclass
class DatabrokerSettings:
    """Where the databroker is and how to reach it (the `--databroker-*` and `--shared-secret` flags)."""

    url: str = "http://localhost:5443"
    ca_pem: bytes = b""
    ca_file: str = ""
    insecure_skip_verify: bool = False
    override_certificate_name: str = ""
    shared_secret: bytes = b""
    #: Seconds one request may take (upstream: a minute); requests wait for the connection meanwhile.
    timeout: float = 60.0
    lease_duration: float = LEASE_DURATION
    #: Largest Put sent (the databroker's receive limit); raised only for stand-ins and benchmarks.
    message_limit: int = MESSAGE_LIMIT


def target_of(url: str) -> tuple[str, bool]:
    """(host:port, TLS?) of a databroker URL; the port defaults to 443 for https and 80 otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"invalid databroker service url {url!r}: expected http(s)://host[:port]")
    secure = parts.scheme == "https"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{parts.port or (443 if secure else 80)}", secure


def open_channel(settings: DatabrokerSettings) -> grpc.aio.Channel:
    """A gRPC channel to the databroker, with TLS as the flags say."""
    target, secure = target_of(settings.url)
    largest = max(RECEIVE_LIMIT, settings.message_limit + 1024)
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", largest),
        ("grpc.max_send_message_length", largest),
    ]
    if not secure:
        return grpc.aio.insecure_channel(target, options=options)
    roots = settings.ca_pem or None
    if settings.ca_file:
        with open(settings.ca_file, "rb") as handle:
            roots = (roots or b"") + handle.read()
    name = settings.override_certificate_name
    if settings.insecure_skip_verify:
        # gRPC's Python TLS cannot skip verification: trust the certificate the server presents now.
        host, _, port = target.rpartition(":")
        roots = ssl.get_server_certificate((host.strip("[]"), int(port))).encode()
        name = name or _first_dns_name(roots) or host.strip("[]")
    if name:
        options.append(("grpc.ssl_target_name_override", name))
    return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=roots), options=options)


def _first_dns_name(certificate_pem: bytes) -> str | None:
    from pomgate.translation.certificates import CertificateError, dns_names

    try:
        names = dns_names(certificate_pem)
    except CertificateError:
        return None
    return names[0] if names else None


class DatabrokerClient:
    """The databroker calls the controller makes (Get/Put of the config record, the lease)."""

    def __init__(self, settings: DatabrokerSettings, channel: grpc.aio.Channel | None = None) -> None:
        self.settings = settings
        self.channel = channel or open_channel(settings)
        self._token = ""
        self._token_made = 0.0
        service = "/" + protos.DATABROKER_SERVICE + "/"
        self._calls: dict[str, Any] = {}
        for method, request, response in (
            ("Get", protos.GetRequest, protos.GetResponse.FromString),
            # The databroker answers a Put with the records it stored (the whole config again); the
            # controller does not read them, so their bytes are not parsed.
            ("Put", protos.PutRequest, _ignored_answer),
            ("AcquireLease", protos.AcquireLeaseRequest, protos.AcquireLeaseResponse.FromString),
            ("RenewLease", protos.RenewLeaseRequest, protos.Empty.FromString),
            ("ReleaseLease", protos.ReleaseLeaseRequest, protos.Empty.FromString),
        ):
            self._calls[method] = self.channel.unary_unary(
                service + method,
                request_serializer=request.SerializeToString,
                response_deserializer=response,
            )

    async def close(self) -> None:
        await self.channel.close()

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        key = self.settings.shared_secret
        if not key:
            return ()
        if time.time() - self._token_made > JWT_LIFETIME / 2:
            self._token_made = time.time()
            self._token = signed_jwt(key, self._token_made)
        return ((JWT_METADATA_KEY, self._token),)

    async def _call(self, method: str, request: Any, timeout: float | None = None) -> Any:
        try:
            return await self._calls[method](
                request,
                timeout=timeout or self.settings.timeout,
                metadata=self._metadata(),
                wait_for_ready=True,
            )
        except grpc.aio.AioRpcError as err:
            raise DatabrokerError(f"databroker {method}: {err.code().name}: {err.details()}", err.code()) from None

    async def get_config(self) -> bytes | None:
        """The `ingress-controller` record's Config (encoded), or None when there is none."""
        request = protos.GetRequest(type=protos.CONFIG_TYPE_URL, id=CONFIG_RECORD_ID)
        try:
            answer = await self._call("Get", request)
        except DatabrokerError as err:
            if err.code == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        record = answer.record
        if record.HasField("deleted_at") or not record.HasField("data"):
            return None
        if record.data.type_url != protos.CONFIG_TYPE_URL:
            raise DatabrokerError(f"databroker Get: record {CONFIG_RECORD_ID} holds {record.data.type_url}")
        return bytes(record.data.value)

    async def put_config(self, config: bytes) -> None:
        """Replace the `ingress-controller` record with ``config`` (an encoded Config)."""
        record = protos.Record(type=protos.CONFIG_TYPE_URL, id=CONFIG_RECORD_ID)
        record.data.type_url = protos.CONFIG_TYPE_URL
        record.data.value = config
        await self._call("Put", protos.PutRequest(records=[record]))

    async def acquire_lease(self, name: str, duration: float) -> str | None:
        """The lease id, or None when someone else holds the lease."""
        request = protos.AcquireLeaseRequest(name=name, duration=_duration(duration))
        try:
            answer = await self._call("AcquireLease", request, timeout=duration)
        except DatabrokerError as err:
            if err.code == grpc.StatusCode.ALREADY_EXISTS:
                return None
            raise
        return str(answer.id)

    async def renew_lease(self, name: str, lease_id: str, duration: float) -> bool:
        """Renew our lease; False when it is no longer ours."""
        request = protos.RenewLeaseRequest(name=name, id=lease_id, duration=_duration(duration))
        try:
            await self._call("RenewLease", request, timeout=duration / 2)
        except DatabrokerError as err:
            if err.code == grpc.StatusCode.ALREADY_EXISTS:
                return False
            raise
        return True

    async def release_lease(self, name: str, lease_id: str) -> None:
        await self._call("ReleaseLease", protos.ReleaseLeaseRequest(name=name, id=lease_id), timeout=5.0)


def _ignored_answer(_data: bytes) -> Any:
    """The deserializer of an answer the controller does not read (gRPC takes None for a failure)."""
    return protos.PutResponse()


def _duration(seconds: float) -> Any:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def same_config(first: bytes, second: bytes) -> bool:
    """Whether two encoded Configs are equal as messages (encodings of one message can differ)."""
    if first == second:
        return True
    return bool(protos.Config.FromString(first) == protos.Config.FromString(second))


class DatabrokerConfigWriter:
    """`--databroker-service-url`: the `ingress-controller` record (read before each change, put after)."""

    kind = "record"

    def __init__(self, client: DatabrokerClient) -> None:
        self.client = client
        self.target = f"databroker {client.settings.url} record {CONFIG_RECORD_ID}"
        self.limit: int | None = None
        self._last: bytes | None = None

    async def write(self, document: bytes) -> bool:
        """Get the record, Put ``document`` unless the record already holds it; True when put.

        The record is compared as a message only when someone else wrote it since our last Put (it is
        not our last document byte for byte): our own encodings are deterministic, so a document that
        differs from our last one differs from the record holding it, and a large record is not parsed
        twice on every change.
        """
        if document == self._last:
            return False
        limit = self.client.settings.message_limit
        if len(document) > limit - 1024:
            raise DatabrokerError(
                f"the config is {len(document):,} bytes, over the {limit:,} a gRPC message to the databroker carries"
            )
        current = await self.client.get_config()
        ours = current is not None and self._last is not None and current == self._last
        if current is not None and not ours and same_config(current, document):
            self._last = document
            return False
        await self.client.put_config(document)
        self._last = document
        return True

    def forget(self) -> None:
        """Read the record again before the next write (after a lease change someone else may have written)."""
        self._last = None


class DatabrokerLeaseElector:
    """Holds the databroker lease `ingress-controller` like upstream's leaser; `is_leader` says whether
    this replica may write now. Same surface as `LeaseElector`."""

    def __init__(
        self,
        client: DatabrokerClient,
        metrics: Metrics,
        *,
        name: str = LEASE_NAME,
        duration: float = LEASE_DURATION,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.client = client
        self.metrics = metrics
        self.name = name
        self.duration = duration
        self.on_change = on_change
        self._lease_id: str | None = None
        self._valid_until = 0.0
        self._leader = False

    @property
    def is_leader(self) -> bool:
        return self._leader and time.monotonic() < self._valid_until

    async def run(self) -> None:
        """Acquire, renew every half duration, retry after losing it; release when cancelled."""
        backoff = 0.5
        try:
            while True:
                started = time.monotonic()
                try:
                    if self._lease_id is None:
                        self._lease_id = await self.client.acquire_lease(self.name, self.duration)
                        if self._lease_id is not None:
                            self._valid_until = started + self.duration
                            self._set(True)
                    elif await self.client.renew_lease(self.name, self._lease_id, self.duration):
                        self._valid_until = started + self.duration
                    else:
                        log.warning("databroker lease %s: lost; standing by", self.name)
                        self._lease_id = None
                        self._set(False)
                    backoff = 0.5
                    await asyncio.sleep(self.duration / 2)
                except DatabrokerError as err:
                    self.metrics.errors.inc(stage="lease")
                    log.warning("databroker lease %s: %s", self.name, err)
                    if self._lease_id is not None:  # upstream gives the lease up after a failed renewal
                        await self._release()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
        finally:
            if self._lease_id is not None:
                await asyncio.shield(self._release())

    async def _release(self) -> None:
        lease_id, self._lease_id = self._lease_id, None
        self._set(False)
        if lease_id is None:
            return
        with contextlib.suppress(DatabrokerError):
            await self.client.release_lease(self.name, lease_id)
            log.info("databroker lease %s: released", self.name)

    def _set(self, leader: bool) -> None:
        if leader != self._leader:
            self._leader = leader
            log.info("databroker lease %s: %s", self.name, "acquired; writing" if leader else "not held; standing by")
            self.metrics.leader.set(1 if leader else 0)
            if self.on_change is not None:
                self.on_change(leader)
