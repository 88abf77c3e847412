"""Kubernetes objects as the API server serves them, for the controller tests."""

from __future__ import annotations

import base64
import datetime
import functools
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def ingress_class(name: str = "pomerium", controller: str = "pomerium.io/ingress-controller") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": name},
        "spec": {"controller": controller},
    }


def service(name: str, namespace: str = "default", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": "1"},
        "spec": {"ports": [{"port": 80, "name": "http"}], **spec},
    }


def endpoints(name: str, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": name, "namespace": namespace},
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 8080, "name": "http"}]}],
    }


def key_pair(dns_names: tuple[str, ...] = ("*.example.com",), days: int = 90) -> tuple[bytes, bytes]:
    """(certificate, key) PEM of a self-signed certificate with these SAN DNS names (none: CN-only)."""
    return _key_pair(tuple(dns_names), days)


@functools.cache
def _key_pair(dns_names: tuple[str, ...], days: int) -> tuple[bytes, bytes]:
    common_name = dns_names[0] if dns_names else "cn-only.example.com"
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
    )
    if dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), False)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM), private


def tls_secret(
    name: str, namespace: str = "default", dns_names: tuple[str, ...] = ("*.example.com",), days: int = 90
) -> dict[str, Any]:
    """A kubernetes.io/tls Secret whose certificate names ``dns_names`` (self-signed, with its key)."""
    cert, key = key_pair(dns_names, days)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": base64.b64encode(cert).decode(),
            "tls.key": base64.b64encode(key).decode(),
        },
    }


def ingress(
    name: str,
    host: str,
    backend: str,
    namespace: str = "default",
    annotations: dict[str, str] | None = None,
    tls: str | None = None,
    uid: str = "uid-1",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ingressClassName": "pomerium",
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": backend, "port": {"name": "http"}}},
                        }
                    ]
                },
            }
        ],
    }
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": tls}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid,
            "resourceVersion": "7",
            "annotations": annotations or {"ingress.pomerium.io/allow_any_authenticated_user": "true"},
        },
        "spec": spec,
    }
