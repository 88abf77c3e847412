"""Server certificates as the controller keeps them: X.509 parsing, SAN coverage, pruning, key pairs.

Pure: PEM bytes in, names and verdicts out. Used by the translator (``check``/``render``) and by the
controller's config writer, so both keep and refuse the same certificates.

Upstream (ingress-controller ``pomerium/certs.go``, ``cert_map.go``; Pomerium ``Options.Validate``):

1. every fetched ``kubernetes.io/tls`` Secret of an Ingress becomes a certificate (``tls.crt``/``tls.key``);
2. before saving, each certificate is parsed (the first PEM block must be a ``CERTIFICATE`` that
   x509 parses, otherwise the whole update fails with ``removing unused certs: ...``); its SAN DNS
   names are indexed, the latest-expiring certificate winning each name; a route host marks the
   certificate of its exact name in use, else that of ``*.<host minus its first label>``; the others
   are dropped;
3. the whole config is validated: each remaining certificate must be a key pair Go's
   ``tls.X509KeyPair`` accepts (``config: bad cert entry, cert is invalid: <reason>``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

__all__ = [
    "BAD_PAIR_PREFIX",
    "PRUNE_PREFIX",
    "CertificateError",
    "KeyPair",
    "ParsedCertificate",
    "covers",
    "dns_names",
    "is_placeholder",
    "key_pair_problem",
    "parse_certificate",
    "prune_unused",
]

#: What the controller's error chain puts before a certificate that does not parse (pruning stage).
PRUNE_PREFIX = "removing unused certs: "
#: What Pomerium's options validation puts before a certificate that is not a key pair.
BAD_PAIR_PREFIX = "config: bad cert entry, cert is invalid: "


@dataclass(frozen=True)
class KeyPair:
    """One server certificate as the controller stores it."""

    name: str  # "namespace/secret"
    certificate: bytes  # PEM
    key: bytes  # PEM


@dataclass(frozen=True)
class ParsedCertificate:
    """What pruning needs from a certificate: its SAN DNS names and when it expires."""

    dns_names: tuple[str, ...]
    not_after: dt.datetime


class CertificateError(ValueError):
    """A certificate the controller cannot parse; the message is upstream's (without the stage prefix)."""


# --------------------------------------------------------------------------- PEM, as Go's encoding/pem reads it

_PEM_BLOCK = re.compile(rb"-----BEGIN ([^\r\n-]*)-----\r?\n(.*?)-----END \1-----", re.S)


def _pem_blocks(data: bytes) -> list[tuple[str, bytes | None]]:
    """(type, DER) of each PEM block in order; DER is None when the body is not base64 (Go skips it)."""
    blocks: list[tuple[str, bytes | None]] = []
    for match in _PEM_BLOCK.finditer(data):
        lines = match.group(2).split(b"\n")
        body = b"".join(line.strip() for line in lines if b":" not in line)
        try:
            der: bytes | None = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            der = None
        blocks.append((match.group(1).decode("latin-1"), der))
    return blocks


def _decoded_blocks(data: bytes) -> list[tuple[str, bytes]]:
    return [(kind, der) for kind, der in _pem_blocks(data) if der is not None]


# --------------------------------------------------------------------------- parsing


@functools.lru_cache(maxsize=512)
def parse_certificate(certificate_pem: bytes) -> ParsedCertificate:
    """The first PEM block of ``certificate_pem`` as X.509, or `CertificateError` in upstream's words."""
    blocks = _decoded_blocks(certificate_pem)
    if not blocks:
        raise CertificateError("failed to decode cert block")
    kind, der = blocks[0]
    if kind != "CERTIFICATE":
        raise CertificateError(f'expected CERTIFICATE PEM block, got "{kind}"')
    certificate = _load_x509(der)
    return ParsedCertificate(_san_dns_names(certificate), certificate.not_valid_after_utc)


def _load_x509(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise CertificateError("x509: malformed certificate") from None


def _san_dns_names(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    except ValueError as err:  # a malformed extension: Go's parser refuses the certificate as well
        raise CertificateError(f"x509: {err}") from None
    return tuple(extension.value.get_values_for_type(x509.DNSName))


def dns_names(certificate_pem: bytes) -> tuple[str, ...]:
    """SAN DNS names of a PEM certificate (empty for a CN-only one); `CertificateError` if it does not parse."""
    return parse_certificate(certificate_pem).dns_names


def is_placeholder(certificate_pem: bytes) -> bool:
    """Whether the first PEM block is a ``CERTIFICATE`` whose DER is not even one ASN.1 SEQUENCE.

    Real certificates always are; repositories hold such blocks as stand-ins for a
    certificate the cluster gets elsewhere (cert-manager, a sealed secret).
    """
    blocks = _decoded_blocks(certificate_pem)
    return bool(blocks) and blocks[0][0] == "CERTIFICATE" and not _is_der_sequence(blocks[0][1])


def _is_der_sequence(der: bytes) -> bool:
    """Whether ``der`` is one DER SEQUENCE whose length field accounts for all of it."""
    if len(der) < 2 or der[0] != 0x30:
        return False
    first = der[1]
    if first < 0x80:
        return 2 + first == len(der)
    size = first & 0x7F
    if size == 0 or size > 4 or len(der) < 2 + size:
        return False
    return 2 + size + int.from_bytes(der[2 : 2 + size], "big") == len(der)


# --------------------------------------------------------------------------- hosts


def _domain_key(name: str) -> tuple[str, str]:
    """Upstream's (first label, rest) of a DNS name; a name without a dot is all first label."""
    first, dot, rest = name.partition(".")
    return (first, rest) if dot else (name, "")


def covers(names: Iterable[str], host: str) -> bool:
    """Whether a certificate with SAN DNS ``names`` serves ``host``: the same name, or ``*.`` + its parent."""
    wanted = _domain_key(host)
    wildcard = ("*", wanted[1])
    return any(_domain_key(name) in (wanted, wildcard) for name in names)


# --------------------------------------------------------------------------- pruning


def prune_unused(pairs: Sequence[KeyPair], hosts: Iterable[str]) -> list[KeyPair]:
    """The pairs upstream keeps for route ``hosts``, in its order (by certificate bytes).

    Each SAN DNS name goes to the latest-expiring certificate that has it (the first one given on a
    tie); a host marks the certificate of its own name in use, or else that of its one-level
    wildcard. Raises `CertificateError` when any certificate does not parse (the update fails).
    """
    owner: dict[tuple[str, str], int] = {}
    expiry: dict[int, dt.datetime] = {}
    for index, pair in enumerate(pairs):
        parsed = parse_certificate(pair.certificate)
        expiry[index] = parsed.not_after
        for name in parsed.dns_names:
            key = _domain_key(name)
            current = owner.get(key)
            if current is None or expiry[current] < parsed.not_after:
                owner[key] = index
    used: set[int] = set()
    for host in hosts:
        wanted = _domain_key(host)
        found = owner.get(wanted)
        if found is None:
            found = owner.get(("*", wanted[1]))
        if found is not None:
            used.add(found)
    return sorted((pairs[position] for position in used), key=lambda pair: pair.certificate)


# --------------------------------------------------------------------------- key pairs


def key_pair_problem(pair: KeyPair) -> str | None:
    """Why Go's ``tls.X509KeyPair`` refuses ``pair`` (its words), or None when it is a valid pair."""
    certificates: list[bytes] = []
    skipped: list[str] = []
    for kind, der in _decoded_blocks(pair.certificate):
        if kind == "CERTIFICATE":
            certificates.append(der)
        else:
            skipped.append(kind)
    if not certificates:
        if not skipped:
            return "tls: failed to find any PEM data in certificate input"
        if len(skipped) == 1 and skipped[0].endswith("PRIVATE KEY"):
            return (
                "tls: failed to find certificate PEM data in certificate input, but did find a private key; "
                "PEM inputs may have been switched"
            )
        return (
            'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of '
            f"the following types: [{' '.join(skipped)}]"
        )
    key_der = _key_block(pair.key)
    if isinstance(key_der, str):
        return key_der
    try:
        public_key = _load_x509(certificates[0]).public_key()
    except CertificateError as err:
        return str(err)
    try:
        private_key = serialization.load_der_private_key(key_der, password=None)
    except (ValueError, TypeError):
        return "tls: failed to parse private key"
    return _match_problem(public_key, private_key)


def _key_block(data: bytes) -> bytes | str:
    """The DER of the first ``PRIVATE KEY`` block, or Go's reason when there is none."""
    skipped: list[str] = []
    for kind, der in _decoded_blocks(data):
        if kind == "PRIVATE KEY" or kind.endswith(" PRIVATE KEY"):
            return der
        skipped.append(kind)
    if not skipped:
        return "tls: failed to find any PEM data in key input"
    if skipped == ["CERTIFICATE"]:
        return "tls: found a certificate rather than a key in the PEM for the private key"
    return (
        'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM '
        f"blocks of the following types: [{' '.join(skipped)}]"
    )


_TYPE_MISMATCH = "tls: private key type does not match public key type"
_KEY_MISMATCH = "tls: private key does not match public key"


def _match_problem(public_key: object, private_key: object) -> str | None:
    if isinstance(public_key, rsa.RSAPublicKey):
        if not isinstance(private_key, rsa.RSAPrivateKey):
            return _TYPE_MISMATCH
        same = public_key.public_numbers().n == private_key.public_key().public_numbers().n
        return None if same else _KEY_MISMATCH
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            return _TYPE_MISMATCH
        mine, theirs = public_key.public_numbers(), private_key.public_key().public_numbers()
        return None if (mine.x, mine.y) == (theirs.x, theirs.y) else _KEY_MISMATCH
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        if not isinstance(private_key, ed25519.Ed25519PrivateKey):
            return _TYPE_MISMATCH
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        same = public_key.public_bytes(*raw) == private_key.public_key().public_bytes(*raw)
        return None if same else _KEY_MISMATCH
    return "tls: unknown public key algorithm"
