"""Shared test helpers: translate manifests given as YAML text."""

from __future__ import annotations

import base64
import json
import textwrap
from typing import Any

from pomgate.findings import Finding, Severity
from pomgate.pipeline import Analysis, analyze_objects
from pomgate.reports.routes import route_config
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions


def analyze(text: str, **options: Any) -> Analysis:
    """Scan ``text`` as one file and translate it."""
    text = textwrap.dedent(text)
    objects, findings = scan_text(text, "test.yaml", "default")
    return analyze_objects(
        objects, TranslateOptions(**options), scan_findings=findings, files=["test.yaml"], sources={"test.yaml": text}
    )


def routes(text: str, *, show_secrets: bool = True, **options: Any) -> list[dict[str, Any]]:
    """Rendered routes (config.yaml form) of ``text``."""
    analysis = analyze(text, **options)
    return [route_config(r, show_secrets=show_secrets) for r in analysis.translation.routes]


def errors(analysis: Analysis) -> list[Finding]:
    return [f for f in analysis.findings if f.severity is Severity.ERROR]


def rules_of(analysis: Analysis, severity: Severity | None = None) -> list[str]:
    return [f.rule for f in analysis.findings if severity is None or f.severity is severity]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def ingress(
    *,
    name: str = "web",
    namespace: str = "default",
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    rules: str | None = None,
    extra_spec: str = "",
    class_name: str | None = "pomerium",
) -> str:
    """An Ingress manifest; ``rules`` is the YAML of spec.rules (indented by the caller with 2 spaces)."""
    meta = [f"  name: {name}", f"  namespace: {namespace}"]
    if annotations:
        meta.append("  annotations:")
        for key, value in annotations.items():
            meta.append(f"    {key}: {_quote(value)}")
    if labels:
        meta.append("  labels:")
        for key, value in labels.items():
            meta.append(f"    {key}: {_quote(value)}")
    if rules is None:
        rules = simple_rule()
    spec = []
    if class_name is not None:
        spec.append(f"  ingressClassName: {class_name}")
    if extra_spec:
        spec.append(textwrap.indent(textwrap.dedent(extra_spec).strip("\n"), "  "))
    if rules:
        spec.append("  rules:")
        spec.append(textwrap.indent(textwrap.dedent(rules).strip("\n"), "  "))
    return (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n"
        + "\n".join(meta)
        + "\nspec:\n"
        + "\n".join(spec)
        + "\n"
    )


def simple_rule(
    host: str = "app.example.com",
    path: str = "/",
    path_type: str = "Prefix",
    service: str = "svc",
    port: str = "number: 80",
) -> str:
    path_line = f"path: {_quote(path)}\n        " if path is not None else ""
    return f"""\
- host: {host}
  http:
    paths:
      - {path_line}pathType: {path_type}
        backend:
          service:
            name: {service}
            port:
              {port}
"""


def service(
    name: str = "svc",
    namespace: str = "default",
    ports: list[tuple[str, int, int | str]] | None = None,
    *,
    service_type: str | None = None,
    external_name: str | None = None,
) -> str:
    """A Service; ``ports`` are (name, port, targetPort) — an empty name omits the field."""
    if ports is None:
        ports = [("http", 80, 8080)]
    lines = ["apiVersion: v1", "kind: Service", "metadata:", f"  name: {name}", f"  namespace: {namespace}", "spec:"]
    if service_type:
        lines.append(f"  type: {service_type}")
    if external_name:
        lines.append(f"  externalName: {external_name}")
    lines.append("  ports:")
    for port_name, port, target in ports:
        lines.append(f"    - port: {port}")
        if port_name:
            lines.append(f"      name: {port_name}")
        lines.append(f"      targetPort: {target}")
    return "\n".join(lines) + "\n"


def endpoints(
    name: str = "svc",
    namespace: str = "default",
    addresses: list[str] | None = None,
    ports: list[tuple[str, int]] | None = None,
    not_ready: list[str] | None = None,
) -> str:
    """An Endpoints object with one subset."""
    lines = [
        "apiVersion: v1",
        "kind: Endpoints",
        "metadata:",
        f"  name: {name}",
        f"  namespace: {namespace}",
        "subsets:",
        "  - addresses:",
    ]
    lines.extend(f"      - ip: {ip}" for ip in addresses or ["10.0.0.1"])
    if not_ready:
        lines.append("    notReadyAddresses:")
        lines.extend(f"      - ip: {ip}" for ip in not_ready)
    lines.append("    ports:")
    for port_name, port in ports or [("http", 8080)]:
        lines.append(f"      - port: {port}")
        if port_name:
            lines.append(f"        name: {port_name}")
    return "\n".join(lines) + "\n"


def secret(
    name: str,
    data: dict[str, str],
    *,
    namespace: str = "default",
    secret_type: str | None = "Opaque",
    annotations: dict[str, str] | None = None,
) -> str:
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}", f"  namespace: {namespace}"]
    if annotations:
        lines.append("  annotations:")
        lines.extend(f"    {k}: {_quote(v)}" for k, v in annotations.items())
    if secret_type:
        lines.append(f"type: {secret_type}")
    if data:
        lines.append("data:")
        lines.extend(f"  {k}: {b64(v)}" for k, v in data.items())
    return "\n".join(lines) + "\n"


def docs(*parts: str) -> str:
    return "---\n".join(part if part.endswith("\n") else part + "\n" for part in parts)


def _quote(value: str) -> str:
    return json.dumps(value)
