"""The project's own corpus generator: a repository of N Ingresses with what sits beside them.

Each app folder holds an Ingress (with Pomerium annotations), its Service, a Deployment and
sometimes a TLS Secret or a ConfigMap; about ``bad_fraction`` of the apps carry a seeded mistake
of the kinds users make (an unquoted boolean, an unknown policy operator, a regex RE2 refuses, a
missing Service, two TCP routes on one host). Deterministic for a given seed.
"""

from __future__ import annotations

import random
from pathlib import Path

MISTAKES = ("unquoted-bool", "bad-policy", "bad-regex", "missing-service", "tcp-clash")


def app_files(index: int, rng: random.Random, bad: str | None) -> dict[str, str]:
    """The manifests of one app, by file name."""
    namespace = f"team-{index % 25:02d}"
    name = f"app-{index:05d}"
    host = f"{name}.{namespace}.example.com"
    annotations = [
        "    ingress.pomerium.io/policy: |\n      allow:\n        or:\n        - domain:\n            is: example.com",
        '    ingress.pomerium.io/pass_identity_headers: "true"',
        "    cert-manager.io/cluster-issuer: letsencrypt",
    ]
    backend = name
    path_type = "Prefix"
    if bad == "unquoted-bool":
        annotations[1] = "    ingress.pomerium.io/pass_identity_headers: true"
    elif bad == "bad-policy":
        annotations[0] = (
            "    ingress.pomerium.io/policy: |\n      allow:\n        maybe:\n        - email:\n            is: a@b.c"
        )
    elif bad == "bad-regex":
        annotations.append('    ingress.pomerium.io/path_regex: "true"')
        path_type = "ImplementationSpecific"
    elif bad == "missing-service":
        backend = f"{name}-gone"
    elif bad == "tcp-clash":
        annotations.append('    ingress.pomerium.io/tcp_upstream: "true"')
        host = f"shared-tcp.{namespace}.example.com"
        path_type = "ImplementationSpecific"
    path = "/(?=a)" if bad == "bad-regex" else "/"
    ingress = f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {namespace}
  annotations:
{chr(10).join(annotations)}
spec:
  ingressClassName: pomerium
  tls:
  - hosts: [{host}]
    secretName: {name}-tls
  rules:
  - host: {host}
    http:
      paths:
      - {"" if bad == "tcp-clash" else f"path: {path}{chr(10)}        "}pathType: {path_type}
        backend:
          service:
            name: {backend}
            port:
              number: {8080 if bad == "tcp-clash" else 80}
"""
    service = f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  selector:
    app: {name}
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: tcp
    port: 8080
"""
    deployment = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
spec:
  replicas: {rng.randint(1, 4)}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: app
        image: registry.example.com/{name}:{rng.randint(1, 99)}.{rng.randint(0, 9)}
        ports:
        - containerPort: 8080
        env:
        - name: LOG_LEVEL
          value: info
"""
    files = {"ingress.yaml": ingress, "workload.yaml": service + "---\n" + deployment}
    if rng.random() < 0.3:
        files["config.yaml"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
            f"data:\n  settings.json: '{{\"feature\": {rng.randint(0, 1)}}}'\n"
        )
    return files


def write_corpus(root: Path, ingresses: int, *, seed: int = 1, bad_fraction: float = 0.02) -> Path:
    """Write the repository under ``root`` (created); returns ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text(f"# generated: {ingresses} apps\n")
    for index in range(ingresses):
        bad = rng.choice(MISTAKES) if rng.random() < bad_fraction else None
        folder = root / "apps" / f"team-{index % 25:02d}" / f"app-{index:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in app_files(index, rng, bad).items():
            (folder / name).write_text(text)
    return root
