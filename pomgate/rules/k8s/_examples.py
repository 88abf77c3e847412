"""Manifests shared by the k8s rule examples (not a rule module)."""

from __future__ import annotations

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: pomerium
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
"""

SERVICE = """\
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""


def ingress(old: str = "", new: str = "") -> str:
    """The example Ingress (with ``old`` replaced by ``new``) and its Service."""
    text = INGRESS.replace(old, new, 1) if old else INGRESS
    assert not old or text != INGRESS, f"{old!r} is not in the example Ingress"
    return text + SERVICE


def service(old: str, new: str) -> str:
    """The example Ingress and its Service with ``old`` replaced by ``new`` in the Service."""
    text = SERVICE.replace(old, new, 1)
    assert text != SERVICE, f"{old!r} is not in the example Service"
    return INGRESS + text
