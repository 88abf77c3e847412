"""Certificates as the controller keeps them: SANs, host coverage, pruning and key pairs (real keys)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from pomgate.translation.certificates import (
    CertificateError,
    KeyPair,
    covers,
    dns_names,
    is_placeholder,
    key_pair_problem,
    prune_unused,
)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@cache
def ec_key(label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key per label (cached: generating keys is what costs time here)."""
    del label
    return ec.generate_private_key(ec.SECP256R1())


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_pem(key: PrivateKey, *names: str, common_name: str = "example", days: int = 365) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(START + dt.timedelta(days=days))
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM)


def pair(name: str, key: PrivateKey, *hosts: str, days: int = 365, signing_key: PrivateKey | None = None) -> KeyPair:
    """A pair whose certificate is for ``signing_key or key`` and whose key is ``key``."""
    return KeyPair(f"default/{name}", certificate_pem(signing_key or key, *hosts, days=days), key_pem(key))


# --------------------------------------------------------------------------- names and coverage


def test_dns_names_are_the_san_dns_entries() -> None:
    pem = certificate_pem(ec_key("a"), "a.example.com", "*.b.example.com")
    assert dns_names(pem) == ("a.example.com", "*.b.example.com")


def test_a_common_name_only_certificate_has_no_dns_names() -> None:
    assert dns_names(certificate_pem(ec_key("a"), common_name="a.example.com")) == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"not pem at all", "failed to decode cert block"),
        (key_pem(ec_key("a")), 'expected CERTIFICATE PEM block, got "PRIVATE KEY"'),
        (b"-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n", "x509: malformed certificate"),
    ],
)
def test_certificates_that_do_not_parse_say_why_in_upstreams_words(text: bytes, reason: str) -> None:
    with pytest.raises(CertificateError, match=reason):
        dns_names(text)


def test_a_block_that_is_not_der_is_a_placeholder_but_a_real_certificate_is_not() -> None:
    assert is_placeholder(b"-----BEGIN CERTIFICATE-----\ncGxhY2Vob2xkZXI=\n-----END CERTIFICATE-----\n")
    assert not is_placeholder(certificate_pem(ec_key("a"), "a.example.com"))


@pytest.mark.parametrize(
    ("names", "host", "expected"),
    [
        (["a.example.com"], "a.example.com", True),
        (["a.example.com"], "b.example.com", False),
        (["*.example.com"], "a.example.com", True),
        (["*.example.com"], "example.com", False),  # one level only
        (["*.example.com"], "x.a.example.com", False),
        (["*"], "localhost", True),  # upstream's split: a dot-less host is all first label
        ([], "a.example.com", False),
    ],
)
def test_covers_is_an_exact_name_or_a_one_level_wildcard(names: list[str], host: str, expected: bool) -> None:
    assert covers(names, host) is expected


# --------------------------------------------------------------------------- pruning


def test_pruning_keeps_only_certificates_covering_a_route_host() -> None:
    used = pair("used", ec_key("a"), "a.example.com")
    wildcard = pair("wildcard", ec_key("b"), "*.b.example.com")
    unused = pair("unused", ec_key("c"), "c.example.com")
    kept = prune_unused([used, wildcard, unused], ["a.example.com", "x.b.example.com"])
    assert set(kept) == {used, wildcard}
    assert kept == sorted(kept, key=lambda item: item.certificate)


def test_an_exact_name_wins_over_a_wildcard() -> None:
    exact = pair("exact", ec_key("a"), "a.example.com")
    wildcard = pair("wildcard", ec_key("b"), "*.example.com")
    assert prune_unused([wildcard, exact], ["a.example.com"]) == [exact]


def test_the_latest_expiring_certificate_of_a_name_wins() -> None:
    older = pair("older", ec_key("a"), "a.example.com", days=30)
    newer = pair("newer", ec_key("b"), "a.example.com", days=300)
    assert prune_unused([older, newer], ["a.example.com"]) == [newer]
    assert prune_unused([newer, older], ["a.example.com"]) == [newer]


def test_a_certificate_without_dns_names_is_never_in_use() -> None:
    cn_only = KeyPair("default/cn", certificate_pem(ec_key("a"), common_name="a.example.com"), key_pem(ec_key("a")))
    assert prune_unused([cn_only], ["a.example.com"]) == []


def test_pruning_fails_on_a_certificate_that_does_not_parse_even_if_unused() -> None:
    broken = KeyPair("default/broken", b"-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n", b"")
    with pytest.raises(CertificateError):
        prune_unused([pair("ok", ec_key("a"), "a.example.com"), broken], ["a.example.com"])


# --------------------------------------------------------------------------- key pairs


@pytest.mark.parametrize("kind", ["ec", "rsa", "ed25519"])
def test_a_certificate_with_its_own_key_is_a_valid_pair(kind: str) -> None:
    key: PrivateKey = {"ec": ec_key("a"), "rsa": rsa_key(), "ed25519": ed25519.Ed25519PrivateKey.generate()}[kind]
    assert key_pair_problem(pair("ok", key, "a.example.com")) is None


def test_another_key_of_the_same_type_does_not_match() -> None:
    mismatched = pair("bad", ec_key("b"), "a.example.com", signing_key=ec_key("a"))
    assert key_pair_problem(mismatched) == "tls: private key does not match public key"


def test_a_key_of_another_type_does_not_match_the_type() -> None:
    mismatched = pair("bad", rsa_key(), "a.example.com", signing_key=ec_key("a"))
    assert key_pair_problem(mismatched) == "tls: private key type does not match public key type"


@pytest.mark.parametrize(
    ("certificate", "key", "reason"),
    [
        (b"", b"", "tls: failed to find any PEM data in certificate input"),
        ("key", b"", "did find a private key; PEM inputs may have been switched"),
        ("certificate", b"", "tls: failed to find any PEM data in key input"),
        ("certificate", "certificate", "tls: found a certificate rather than a key in the PEM for the private key"),
        (
            "certificate",
            b"-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n",
            "tls: failed to parse private key",
        ),
    ],
)
def test_what_x509_key_pair_says_about_missing_or_swapped_blocks(
    certificate: bytes | str, key: bytes | str, reason: str
) -> None:
    real = {"certificate": certificate_pem(ec_key("a"), "a.example.com"), "key": key_pem(ec_key("a"))}
    given_certificate = real[certificate] if isinstance(certificate, str) else certificate
    given_key = real[key] if isinstance(key, str) else key
    problem = key_pair_problem(KeyPair("default/x", given_certificate, given_key))
    assert problem is not None and reason in problem
