"""Where the controller puts Pomerium's config: a file (atomically) and/or a Secret.

A writer remembers what it last wrote, so an unchanged config is not written again; on the first
write it reads what is already there (a previous run's output) for the same reason.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Protocol

from pomgate.controller.kubeclient import SECRETS, ApiError, KubeClient

SECRET_KEY = "config.yaml"
#: Kubernetes refuses Secrets whose data exceeds 1 MiB.
SECRET_LIMIT = 1024 * 1024
MANAGED_BY = {"app.kubernetes.io/managed-by": "pomgate"}


class ConfigWriter(Protocol):
    target: str
    #: What ``write`` takes: "yaml" (config.yaml bytes) or "record" (an encoded pomerium.config.Config).
    kind: str
    #: The most bytes this target holds (None: no limit); the runner leaves Ingresses out to fit.
    limit: int | None

    async def write(self, document: bytes) -> bool:
        """Write ``document`` unless it is what is already there; True when it wrote."""
        ...


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Temp file in the same directory, write, fsync, rename over ``path``, fsync the directory.

    A reader (Pomerium watching the file) sees the old or the new config, never a partial one; after a
    crash the file is one of the two. The file keeps the mode it had (an operator's chmod survives);
    a new file gets ``mode``, by default 0640 (the config holds Secret values).
    """
    directory = path.parent
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o640
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


class FileConfigWriter:
    """`--config-file PATH`."""

    kind = "yaml"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.target = f"file {path}"
        self.limit: int | None = None
        self._last: bytes | None = None

    async def write(self, document: bytes) -> bool:
        if self._last is None:
            try:
                self._last = self.path.read_bytes()
            except OSError:
                self._last = b""
        if document == self._last:
            return False
        await asyncio.to_thread(write_atomically, self.path, document)
        self._last = document
        return True


class SecretConfigWriter:
    """`--config-secret NAMESPACE/NAME`: the Secret's `config.yaml` key, which Pomerium mounts."""

    kind = "yaml"

    def __init__(self, client: KubeClient, namespace: str, name: str) -> None:
        self.client = client
        self.namespace = namespace
        self.name = name
        self.target = f"secret {namespace}/{name}"
        self.limit: int | None = SECRET_LIMIT
        self._last: bytes | None = None

    async def write(self, document: bytes) -> bool:
        if len(document) > SECRET_LIMIT:
            raise ApiError(
                0,
                "TooLarge",
                f"the config is {len(document):,} bytes, over the 1 MiB that a Kubernetes Secret can hold; "
                "write it to a shared volume with --config-file instead",
            )
        if document == self._last:
            return False
        encoded = base64.b64encode(document).decode()
        try:
            current = await self.client.get(SECRETS, self.namespace, self.name)
        except ApiError as err:
            if not err.not_found:
                raise
            body = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": self.name, "namespace": self.namespace, "labels": MANAGED_BY},
                "type": "Opaque",
                "data": {SECRET_KEY: encoded},
            }
            await self.client.create(SECRETS, self.namespace, body)
            self._last = document
            return True
        data = current.get("data") or {}
        if data.get(SECRET_KEY) == encoded:
            self._last = document
            return False
        current["data"] = {**data, SECRET_KEY: encoded}
        await self.client.replace(SECRETS, self.namespace, self.name, current)  # 409 when changed meanwhile
        self._last = document
        return True
