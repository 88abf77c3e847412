"""A small asynchronous Kubernetes REST client: list, watch, get, create, replace, patch.

It speaks the API server's JSON protocol over aiohttp and reads credentials like kubectl: an
explicit kubeconfig, then ``$KUBECONFIG``, then the in-cluster service account, then
``~/.kube/config``. Errors come back as `ApiError` with the server's Status reason and message.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import yaml

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
#: Objects as the API server sends them.
Items = list[dict[str, Any]]


@dataclass(frozen=True)
class Resource:
    """One API resource: where it lives and what its objects are called."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        """The REST path: collection (all namespaces when ``namespace`` is None), object or subresource."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
        if subresource:
            base += f"/{subresource}"
        return base


INGRESSES = Resource("networking.k8s.io", "v1", "ingresses", "Ingress")
INGRESS_CLASSES = Resource("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False)
SERVICES = Resource("", "v1", "services", "Service")
ENDPOINTS = Resource("", "v1", "endpoints", "Endpoints")
ENDPOINT_SLICES = Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice")
SECRETS = Resource("", "v1", "secrets", "Secret")
EVENTS = Resource("", "v1", "events", "Event")
LEASES = Resource("coordination.k8s.io", "v1", "leases", "Lease")


class ApiError(Exception):
    """A request the API server refused (``status`` is the HTTP code; 0 when it was not reached)."""

    def __init__(self, status: int, reason: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {reason}: {message}" if status else message)
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409

    @property
    def gone(self) -> bool:
        return self.status == 410


class ConfigError(Exception):
    """No usable cluster credentials (the message says what was tried)."""


@dataclass
class ClusterConfig:
    """Where the API server is and how to authenticate to it."""

    server: str
    token: str | None = None
    token_file: Path | None = None
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False
    namespace: str = "default"
    source: str = ""

    def ssl_context(self) -> ssl.SSLContext | bool:
        if not self.server.startswith("https://"):
            return False
        if self.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context = ssl.create_default_context(cafile=self.ca_file)
        if self.client_cert:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context


def load_cluster_config(kubeconfig: str | None = None, context: str | None = None) -> ClusterConfig:
    """Credentials like kubectl finds them: ``kubeconfig``, $KUBECONFIG, in-cluster, ~/.kube/config."""
    if kubeconfig:
        return _from_kubeconfig(Path(kubeconfig), context)
    env = os.environ.get("KUBECONFIG")
    if env:
        first = next((part for part in env.split(os.pathsep) if part), "")
        if first:
            return _from_kubeconfig(Path(first), context)
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
    if host and port and (SERVICE_ACCOUNT_DIR / "token").exists():
        namespace_file = SERVICE_ACCOUNT_DIR / "namespace"
        namespace = namespace_file.read_text().strip() if namespace_file.exists() else "default"
        server_host = f"[{host}]" if ":" in host else host
        return ClusterConfig(
            server=f"https://{server_host}:{port}",
            token_file=SERVICE_ACCOUNT_DIR / "token",
            ca_file=str(SERVICE_ACCOUNT_DIR / "ca.crt"),
            namespace=namespace,
            source="in-cluster service account",
        )
    home = Path.home() / ".kube" / "config"
    if home.exists():
        return _from_kubeconfig(home, context)
    raise ConfigError(
        "no cluster credentials: give --kubeconfig, set KUBECONFIG, or run in a pod with a service account"
    )


def _from_kubeconfig(path: Path, context_name: str | None) -> ClusterConfig:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read kubeconfig: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not a valid kubeconfig: {err}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: not a valid kubeconfig (expected a mapping)")

    def named(section: str, name: str) -> dict[str, Any]:
        for item in document.get(section) or []:
            if isinstance(item, dict) and item.get("name") == name:
                inner = item.get(section[:-1])
                return inner if isinstance(inner, dict) else {}
        raise ConfigError(f"{path}: no {section[:-1]} named {name!r}")

    context_name = context_name or document.get("current-context")
    if not context_name:
        raise ConfigError(f"{path}: no current-context set (give --context)")
    context = named("contexts", str(context_name))
    cluster = named("clusters", str(context.get("cluster", "")))
    user = named("users", str(context.get("user", ""))) if context.get("user") else {}
    server = cluster.get("server")
    if not isinstance(server, str) or not server:
        raise ConfigError(f"{path}: cluster {context.get('cluster')!r} has no server")
    base = path.parent
    return ClusterConfig(
        server=server.rstrip("/"),
        token=user.get("token") or None,
        token_file=_resolve(base, user.get("tokenFile")) if user.get("tokenFile") else None,
        ca_file=_material(base, cluster, "certificate-authority"),
        client_cert=_material(base, user, "client-certificate"),
        client_key=_material(base, user, "client-key"),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        namespace=str(context.get("namespace") or "default"),
        source=str(path),
    )


def _resolve(base: Path, value: Any) -> Path:
    path = Path(str(value))
    return path if path.is_absolute() else base / path


def _material(base: Path, section: Mapping[str, Any], key: str) -> str | None:
    """A file path for ``key`` or ``key-data`` (inline base64, written to a private temp file)."""
    inline = section.get(f"{key}-data")
    if inline:
        handle = tempfile.NamedTemporaryFile(prefix="pomgate-kube-", suffix=".pem", delete=False)  # noqa: SIM115
        with handle:
            handle.write(base64.b64decode(inline))
        os.chmod(handle.name, 0o600)
        return handle.name
    value = section.get(key)
    return str(_resolve(base, value)) if value else None


class KubeClient:
    """The API calls the controller makes. Use as ``async with KubeClient(config) as client``."""

    def __init__(self, config: ClusterConfig, *, user_agent: str = "pomgate-controller") -> None:
        self.config = config
        self.user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = config.token
        self._token_read = 0.0

    async def __aenter__(self) -> KubeClient:
        connector = aiohttp.TCPConnector(ssl=self.config.ssl_context(), limit=32)
        self._session = aiohttp.ClientSession(
            connector=connector, headers={"User-Agent": self.user_agent, "Accept": "application/json"}
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _headers(self) -> dict[str, str]:
        token = self._token
        if self.config.token_file is not None and time.monotonic() - self._token_read > 60:
            try:  # projected service-account tokens rotate: read the file again every minute
                token = self._token = self.config.token_file.read_text().strip()
                self._token_read = time.monotonic()
            except OSError:
                pass
        return {"Authorization": f"Bearer {token}"} if token else {}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("KubeClient used outside `async with`")
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> Any:
        """One request; the decoded JSON answer, or `ApiError`."""
        headers = self._headers()
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body).encode()
        try:
            async with self.session.request(
                method,
                self.config.server + path,
                params=params,
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                raw = await response.content.read()  # not kept on the response, unlike .read()
                if response.status >= 400:
                    raise _api_error(response.status, raw, response.headers.get("Retry-After"))
                if not raw:
                    return None
                text = raw.decode("utf-8")
                del raw  # a page of Secrets can be tens of MB: hold the text or the bytes, not both
                return json.loads(text)
        except (TimeoutError, aiohttp.ClientError, OSError) as err:
            raise ApiError(0, "Unreachable", f"{method} {path}: {type(err).__name__}: {err}") from None

    async def list(self, resource: Resource, namespace: str | None = None) -> tuple[Items, str]:
        """Every object of ``resource`` (one namespace or all) and the list's resourceVersion."""
        items: Items = []
        version = ""
        async for page, page_version in self.list_pages(resource, namespace):
            items.extend(page)
            version = version or page_version
        return items, version

    async def list_pages(
        self, resource: Resource, namespace: str | None = None, *, page_size: int | None = None
    ) -> AsyncIterator[tuple[Items, str]]:
        """The objects of ``resource`` a page of ``page_size`` at a time (None: one page), each with the
        list's resourceVersion (that of the first page: the API server serves every page from it)."""
        params: dict[str, str] = {"limit": str(page_size)} if page_size else {}
        version = ""
        while True:
            answer = await self.request("GET", resource.path(namespace), params=params or None, timeout=300)
            items = answer.get("items") or []
            for item in items:
                item.setdefault("apiVersion", resource.api_version)
                item.setdefault("kind", resource.kind)
            metadata = answer.get("metadata") or {}
            version = version or str(metadata.get("resourceVersion") or "")
            token = metadata.get("continue") if page_size else None
            del answer  # one page in memory at a time: the caller drops it before asking for the next
            yield items, version
            del items
            if not token:
                return
            params = {"limit": str(page_size), "continue": str(token)}

    async def watch(
        self, resource: Resource, resource_version: str, namespace: str | None = None, *, timeout_seconds: int = 300
    ) -> AsyncIterator[dict[str, Any]]:
        """Watch events after ``resource_version``; ends when the server ends the stream.

        An ``ERROR`` event (e.g. 410 Gone) is raised as `ApiError`; a broken connection as
        `ApiError` with status 0.
        """
        params = {
            "watch": "true",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(timeout_seconds),
        }
        path = resource.path(namespace)
        try:
            async with self.session.get(
                self.config.server + path,
                params=params,
                headers=self._headers(),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=timeout_seconds + 30),
            ) as response:
                if response.status >= 400:
                    raise _api_error(response.status, await response.read(), response.headers.get("Retry-After"))
                partial: list[bytes] = []  # a line's chunks so far: an event can be a 1.4 MB Secret
                async for chunk in response.content.iter_any():
                    lines = chunk.split(b"\n")
                    if len(lines) == 1:
                        partial.append(chunk)
                        continue
                    if partial:
                        lines[0] = b"".join([*partial, lines[0]])
                    partial = [lines.pop()] if lines[-1] else []
                    for line in lines:
                        if not line.strip():
                            continue
                        event = json.loads(line)
                        if event.get("type") == "ERROR":
                            status = event.get("object") or {}
                            raise ApiError(
                                int(status.get("code") or 500),
                                str(status.get("reason") or "Error"),
                                str(status.get("message") or ""),
                            )
                        obj = event.get("object")
                        if isinstance(obj, dict):
                            obj.setdefault("apiVersion", resource.api_version)
                            obj.setdefault("kind", resource.kind)
                        yield event
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as err:
            raise ApiError(0, "Unreachable", f"watch {path}: {type(err).__name__}: {err}") from None

    async def get(self, resource: Resource, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", resource.path(namespace, name))
        return result

    async def create(self, resource: Resource, namespace: str, body: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("POST", resource.path(namespace), body=dict(body))
        return result

    async def replace(self, resource: Resource, namespace: str, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT; fails with 409 when ``body``'s resourceVersion is not the stored one."""
        result: dict[str, Any] = await self.request("PUT", resource.path(namespace, name), body=dict(body))
        return result

    async def merge_patch(
        self, resource: Resource, namespace: str, name: str, patch: Mapping[str, Any], *, subresource: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "PATCH",
            resource.path(namespace, name, subresource),
            body=dict(patch),
            content_type="application/merge-patch+json",
        )
        return result


def _api_error(status: int, raw: bytes, retry_after: str | None) -> ApiError:
    reason, message = "", raw[:200].decode("utf-8", "replace")
    try:
        body = json.loads(raw)
        if isinstance(body, dict):
            reason = str(body.get("reason") or "")
            message = str(body.get("message") or message)
    except ValueError:
        pass
    return ApiError(
        status,
        reason or {404: "NotFound", 409: "Conflict", 410: "Gone"}.get(status, "Error"),
        message,
        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
    )
