"""Runs the fidelity cases (*.yaml beside this file): what the controller refuses after translation."""

from __future__ import annotations

import base64
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pomgate.findings import Finding, Severity
from pomgate.reports.routes import route_config
from tests.helpers import analyze, docs, endpoints, ingress, service, simple_rule

HERE = Path(__file__).parent
PREFIX = "ingress.pomerium.io"
PLACEHOLDER = (
    b"-----BEGIN CERTIFICATE-----\ncGxhY2Vob2xkZXIgZm9yIGEgcmVhbCBjZXJ0aWZpY2F0ZQ==\n-----END CERTIFICATE-----\n"
)


def _cases() -> list[Any]:
    cases = []
    for path in sorted(HERE.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


@cache
def _key(label: str) -> ec.EllipticCurvePrivateKey:
    del label
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(names: tuple[str, ...], signer: str) -> bytes:
    key = _key(signer)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fidelity")])
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _secret(name: str, secret_type: str, data: dict[str, bytes], annotations: dict[str, str] | None = None) -> str:
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}", "  namespace: default"]
    if annotations:
        lines += ["  annotations:", *(f"    {key}: {value}" for key, value in annotations.items())]
    lines += [f"type: {secret_type}", "data:"]
    lines += [f"  {key}: {base64.b64encode(value).decode()}" for key, value in data.items()]
    return "\n".join(lines) + "\n"


def _manifests(case: dict[str, Any]) -> str:
    host = case.get("host", "app.example.com")
    annotations = {f"{PREFIX}/{name}": value for name, value in (case.get("annotations") or {}).items()}
    parts: list[str] = []
    extra_spec = ""
    tls = case.get("tls")
    if tls is not None:
        if tls.get("issuer"):
            annotations["cert-manager.io/cluster-issuer"] = "letsencrypt"
        extra_spec = f"tls:\n  - hosts: [{host}]\n    secretName: app-tls\n"
        if tls.get("placeholder"):
            certificate, key = PLACEHOLDER, b"-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n"
        else:
            certificate = _certificate(tuple(tls["certificate_for"]), tls["signed_by"])
            key = _key(tls["key"]).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        parts.append(_secret("app-tls", "kubernetes.io/tls", {"tls.crt": certificate, "tls.key": key}))
    for extra in case.get("secrets") or []:
        data = {key: str(value).encode() for key, value in extra["data"].items()}
        parts.append(_secret(extra["name"], extra["type"], data, extra.get("annotations")))
    parts.append(service())
    if case.get("live"):
        parts.append(endpoints())
    parts.insert(0, ingress(annotations=annotations, rules=simple_rule(host=host), extra_spec=extra_spec))
    return docs(*parts)


def _place(finding: Finding) -> str:
    fld = finding.field
    if fld[:2] == ("metadata", "annotations") and len(fld) == 3:
        return str(fld[2]).removeprefix(f"{PREFIX}/")
    if fld[:2] == ("spec", "tls"):
        return "spec.tls"
    return ".".join(map(str, fld))


@pytest.mark.parametrize("case", _cases())
def test_fidelity_case(case: dict[str, Any]) -> None:
    analysis = analyze(_manifests(case), live=bool(case.get("live")))
    outcome = analysis.translation.outcomes[0]
    errors = [f for f in analysis.findings if f.severity is Severity.ERROR]
    expect = case["expect"]
    if "fails" in expect:
        wanted = expect["fails"]
        assert outcome.error is not None, f"expected the Ingress to fail; findings: {analysis.findings}"
        first = next(f for f in errors if f.extra.get("chain") == outcome.error)
        assert first.rule == wanted["rule"], first.message
        assert _place(first) == wanted["at"]
        assert first.line is not None, "the finding has no line"
        for text in wanted.get("contains", []):
            assert text in outcome.error, f"{text!r} not in {outcome.error!r}"
        assert not analysis.translation.routes, "a failing Ingress renders no routes"
    else:
        assert expect["accepted"] is True
        assert outcome.error is None, outcome.error
        assert not errors, [f.message for f in errors]
        rendered = route_config(analysis.translation.routes[0], show_secrets=True)
        for key, value in (expect.get("route") or {}).items():
            assert rendered.get(key) == value, (key, rendered.get(key))
    present = {(f.rule, f.severity.value) for f in analysis.findings}
    for rule, severity in expect.get("findings", []):
        assert (rule, severity) in present, present
