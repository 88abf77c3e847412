"""A repository shaped like most GitOps repositories: a base, dev and prod overlays, a chart, plain files."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

needs_kustomize = pytest.mark.skipif(
    shutil.which("kustomize") is None and shutil.which("kubectl") is None,
    reason="neither kustomize nor kubectl is on PATH (pomgate builds with the real tool)",
)

FILES = {
    "base/kustomization.yaml": """\
        resources:
          - ingress.yaml
          - service.yaml
          - api.yaml
        """,
    "base/api.yaml": """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: api
          annotations:
            ingress.pomerium.io/allowed_users: '["alice@example.com"]'
        spec:
          ingressClassName: pomerium
          rules:
            - host: api.example.com
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: api
                        port:
                          number: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: api
        spec:
          ports:
            - name: http
              port: 8080
        """,
    # The unquoted true is fine through kustomize (it arrives as "true"); "yes" is not.
    "base/ingress.yaml": """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: app
          annotations:
            ingress.pomerium.io/allow_any_authenticated_user: true
            ingress.pomerium.io/pass_identity_headers: yes
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
                        name: app
                        port:
                          number: 80
        """,
    "base/service.yaml": """\
        apiVersion: v1
        kind: Service
        metadata:
          name: app
        spec:
          ports:
            - name: http
              port: 80
        """,
    "overlays/dev/kustomization.yaml": """\
        namespace: dev
        resources:
          - ../../base
        patches:
          - target:
              kind: Ingress
              name: app
            patch: |-
              - op: replace
                path: /spec/rules/0/host
                value: app.dev.example.com
        """,
    "overlays/prod/kustomization.yaml": """\
        namespace: prod
        nameSuffix: -v2
        resources:
          - ../../base
        patches:
          - path: policy.yaml
          - path: headers.json.yaml
            target:
              kind: Ingress
              name: api
        configMapGenerator:
          - name: settings
            literals:
              - mode=prod
        """,
    # A mistake that exists only in prod: a policy with an unknown conditional.
    "overlays/prod/policy.yaml": """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: app
          annotations:
            ingress.pomerium.io/policy: |
              allow:
                maybe:
                  email:
                    is: ops@example.com
        """,
    "overlays/prod/headers.json.yaml": """\
        - op: add
          path: /metadata/annotations/ingress.pomerium.io~1set_request_headers
          value: '{"X-Env": "prod"}'
        - op: add
          path: /metadata/annotations/ingress.pomerium.io~1tls_skip_verify
          value: "true"
        """,
    "overlays/broken/kustomization.yaml": """\
        resources:
          - ../../base
          - missing.yaml
        """,
    "charts/web/Chart.yaml": """\
        apiVersion: v2
        name: web
        version: 0.1.0
        """,
    "charts/web/values.yaml": """\
        host: web.example.com
        """,
    "charts/web/templates/ingress.yaml": """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: {{ .Release.Name }}
          annotations:
            ingress.pomerium.io/allow_public_unauthenticated_access: "true"
        spec:
          ingressClassName: pomerium
          rules:
            - host: {{ .Values.host }}
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: {{ .Release.Name }}
                        port:
                          number: 80
        """,
    "plain/ingress.yaml": """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: docs
          namespace: tools
          annotations:
            ingress.pomerium.io/allow_public_unauthenticated_access: "true"
        spec:
          ingressClassName: pomerium
          rules:
            - host: docs.example.com
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: docs
                        port:
                          number: 80
        """,
}


def write_gitops_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    """Write the repository's files under ``root`` (with a .git folder, so root is the repository's top)."""
    for relative, text in (files or FILES).items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / ".git").mkdir(exist_ok=True)
    return root


def line_of(root: Path, relative: str, needle: str) -> int:
    """The 1-based line of the first line of ``relative`` that contains ``needle``."""
    for number, line in enumerate((root / relative).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in {relative}")
