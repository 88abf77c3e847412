"""Kubernetes objects as the API server serves them, for the controller tests."""

from __future__ import annotations

import base64
from typing import Any


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


def tls_secret(name: str, namespace: str = "default") -> dict[str, Any]:
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": base64.b64encode(pem.encode()).decode(), "tls.key": base64.b64encode(b"KEY").decode()},
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
