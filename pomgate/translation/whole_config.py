"""What the controller checks after translating an Ingress, before it accepts the result.

Pure: routes and Secrets in, `Problem`s out. Upstream's order (ingress-controller
``sync_databroker.go`` ``Upsert``/``saveConfig``, ``validate.go``): translate -> add the fetched
``kubernetes.io/tls`` Secrets as certificates -> prune certificates by SAN (a certificate that does
not parse fails the update) -> validate each route (`validation.py`) -> validate the options: the
certificates still in use must be key pairs, ``bearer_token_format=jwt`` needs identity providers
an Ingress-built config never has -> build the Envoy config and validate it (release builds):
Envoy's field rules (`envoy_constraints.py`).

Each problem is attributed to the Ingress being translated and to the annotation or ``spec.tls``
entry that caused it; texts are upstream's (``config validation: ...``, ``removing unused certs:
...``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pomgate.findings import FieldPath, Severity
from pomgate.translation.certificates import (
    BAD_PAIR_PREFIX,
    PRUNE_PREFIX,
    CertificateError,
    KeyPair,
    is_placeholder,
    key_pair_problem,
    parse_certificate,
    prune_unused,
)
from pomgate.translation.envoy_constraints import envoy_violations
from pomgate.translation.errors import Problem
from pomgate.translation.references import SecretEntry

CHAIN = "config validation: "
TLS_SECRET_TYPE = "kubernetes.io/tls"

__all__ = [
    "CertificateSource",
    "certificate_sources",
    "envoy_problems",
    "key_pair_problems",
    "options_problems",
    "prune_problems",
]


@dataclass(frozen=True)
class CertificateSource:
    """A certificate the controller adds for an Ingress, and where the Ingress names its Secret."""

    pair: KeyPair
    field: FieldPath


def certificate_sources(
    secrets: Mapping[str, SecretEntry | None], field_of: Callable[[str], FieldPath]
) -> list[CertificateSource]:
    """The fetched ``kubernetes.io/tls`` Secrets with data, as certificates (by Secret name)."""
    sources: list[CertificateSource] = []
    for name, entry in sorted(secrets.items()):
        if entry is None or entry.data is None or entry.secret_type != TLS_SECRET_TYPE:
            continue
        pair = KeyPair(entry.ref, entry.data.get("tls.crt", b""), entry.data.get("tls.key", b""))
        sources.append(CertificateSource(pair, field_of(name)))
    return sources


def prune_problems(
    sources: Sequence[CertificateSource], *, live: bool, issued: Collection[str] = ()
) -> tuple[list[Problem], list[CertificateSource]]:
    """Certificates that do not parse (the update fails at pruning), and those that do.

    Offline, a ``CERTIFICATE`` block that is not even DER is taken for a stand-in for the real
    certificate (a sealed secret, a placeholder) and reported as an info, and not at all for the
    Secrets in ``issued`` (cert-manager writes them in the cluster); live it fails like upstream.
    """
    problems: list[Problem] = []
    parsed: list[CertificateSource] = []
    for source in sources:
        try:
            parse_certificate(source.pair.certificate)
        except CertificateError as err:
            if not live and is_placeholder(source.pair.certificate):
                if source.pair.name in issued:
                    continue
                problems.append(
                    Problem(
                        rule="secret/certificate-unparsed",
                        chain=f"tls.crt of Secret {source.pair.name} is not an X.509 certificate (a placeholder?): "
                        f"unless the cluster's Secret holds a real one, the controller fails this Ingress with "
                        f"`{PRUNE_PREFIX}{err}`",
                        field=source.field,
                        severity=Severity.INFO,
                    )
                )
                continue
            problems.append(
                Problem(
                    rule="secret/bad-certificate",
                    chain=f"{PRUNE_PREFIX}{err}",
                    field=source.field,
                    detail=f"in tls.crt of Secret {source.pair.name}",
                )
            )
            continue
        parsed.append(source)
    return problems, parsed


def key_pair_problems(sources: Sequence[CertificateSource], hosts: Iterable[str]) -> list[Problem]:
    """The certificates still in use for ``hosts`` that are not key pairs (unused ones are dropped silently)."""
    kept = {source.pair for source in sources}
    used = set(prune_unused([source.pair for source in sources], hosts)) & kept
    problems: list[Problem] = []
    for source in sources:
        if source.pair not in used:
            continue
        reason = key_pair_problem(source.pair)
        if reason is not None:
            problems.append(
                Problem(
                    rule="secret/key-pair-mismatch",
                    chain=f"{CHAIN}{BAD_PAIR_PREFIX}{reason}",
                    field=source.field,
                    detail=f"tls.crt and tls.key of Secret {source.pair.name}, the certificate of a route host",
                )
            )
    return problems


def _policy_text(fields: Mapping[str, Any]) -> str:
    """Pomerium's ``Policy.String``: ``<from> → <to,to>``."""
    targets = [str(url) for url in fields.get("to") or []]
    return f"{fields.get('from', '')} → {','.join(targets) if targets else '?'}"


def options_problems(
    routes: Sequence[Mapping[str, Any]], annotation_field: Callable[[str], FieldPath]
) -> list[Problem]:
    """Whole-options checks an Ingress can fail: a JWT bearer token format needs identity providers."""
    for fields in routes:
        if fields.get("bearer_token_format") == "jwt":
            return [
                Problem(
                    rule="route/options-validation",
                    chain=f"{CHAIN}config: bearer_token_format=jwt requires at least one identity_providers entry "
                    f'(route "{_policy_text(fields)}")',
                    field=annotation_field("bearer_token_format"),
                    detail="identity_providers are global settings; the controller's Ingress configuration never "
                    "has them",
                )
            ]
    return []


def envoy_problems(routes: Sequence[Mapping[str, Any]], annotation_field: Callable[[str], FieldPath]) -> list[Problem]:
    """Envoy's rules broken by route options: the first violation of each annotation, once per Ingress."""
    problems: list[Problem] = []
    reported: set[str] = set()
    for fields in routes:
        for violation in envoy_violations(fields):
            if violation.annotation in reported:
                continue
            reported.add(violation.annotation)
            problems.append(
                Problem(
                    rule="route/envoy-constraint",
                    chain=f"{CHAIN}{violation.envoy_message}",
                    field=annotation_field(violation.annotation),
                    detail=f"{violation.path} must be {violation.limit} (Envoy's rule; release builds of the "
                    "controller validate the Envoy config)",
                )
            )
    return problems
