"""secret/key-pair-mismatch: a certificate a route uses whose tls.key is not its private key."""

from __future__ import annotations

from collections.abc import Iterator

from pomgate.findings import Finding, Severity
from pomgate.kube.inventory import Typed
from pomgate.kube.models import Ingress
from pomgate.rules.base import Rule, RuleContext
from pomgate.rules.review_helpers import ingress_routes
from pomgate.rules.secret._examples import CERTIFICATE, ITS_KEY, OTHER_KEY, tls_manifests
from pomgate.translation.certificates import (
    BAD_PAIR_PREFIX,
    CertificateError,
    KeyPair,
    key_pair_problem,
    parse_certificate,
    prune_unused,
)
from pomgate.translation.whole_config import CHAIN, TLS_SECRET_TYPE

BAD = tls_manifests(CERTIFICATE, OTHER_KEY)
GOOD = tls_manifests(CERTIFICATE, ITS_KEY)


def _tls_pairs(context: RuleContext, typed: Typed[Ingress]) -> list[tuple[int, KeyPair]]:
    """(spec.tls index, key pair) of the Ingress's TLS Secrets that hold a parseable certificate and a key."""
    spec = typed.model.spec
    namespace = typed.ref.namespace
    found = []
    for index, tls in enumerate(spec.tls if spec is not None else []):
        secret = context.inventory.secrets.get((namespace, tls.secretName))
        if secret is None or secret.model.effective_type != TLS_SECRET_TYPE:
            continue
        data, _bad = secret.model.decoded_data()
        cert, key = data.get("tls.crt"), data.get("tls.key")
        if not cert or not key:
            continue
        try:
            parse_certificate(cert)
        except CertificateError:
            continue  # the translator reports it (secret/bad-certificate, secret/certificate-unparsed)
        found.append((index, KeyPair(f"{namespace}/{tls.secretName}", cert, key)))
    return found


def check(context: RuleContext) -> Iterator[Finding]:
    """A certificate that only other Ingresses' routes use: the merged config keeps it, so it must be a pair.

    The translator checks the certificates an Ingress's own routes use. The controller prunes and
    validates the certificates of the whole configuration, though, so a certificate that one Ingress
    brings for a host another Ingress routes is kept and validated too; a bad pair fails the update
    of the Ingress that brought it.
    """
    ingresses = list(ingress_routes(context))
    pairs = {typed.ref: _tls_pairs(context, typed) for typed, _routes in ingresses}
    everything = [pair for found in pairs.values() for _index, pair in found]
    all_hosts = {route.url_host for _typed, routes in ingresses for route in routes}
    kept = set(prune_unused(everything, all_hosts))
    for typed, routes in ingresses:
        own = {route.url_host for route in routes}
        locally = set(prune_unused([pair for _index, pair in pairs[typed.ref]], own))
        for index, pair in pairs[typed.ref]:
            if pair not in kept or pair in locally:
                continue
            reason = key_pair_problem(pair)
            if reason is None:
                continue
            yield Finding(
                rule=RULE.id,
                severity=RULE.severity,
                message=f"{CHAIN}{BAD_PAIR_PREFIX}{reason}",
                obj=typed.ref,
                field=("spec", "tls", index, "secretName"),
                hint=f"tls.crt and tls.key of Secret {pair.name}: another Ingress routes a host this certificate "
                "covers, so the controller keeps and validates it",
            )


RULE = Rule(
    id="secret/key-pair-mismatch",
    severity=Severity.ERROR,
    summary="A certificate a route uses is not a valid key pair with its tls.key",
    explanation=(
        "The controller adds every fetched `kubernetes.io/tls` Secret as a server certificate, drops those "
        "whose SAN DNS names cover no route host (a name equal to the host, or `*.` and the host's parent "
        "domain), and then validates the whole configuration: each certificate still in use must load as a "
        "key pair (Go's `tls.X509KeyPair`). A `tls.key` that is not the certificate's private key, is of "
        "another key type, or holds no `PRIVATE KEY` block fails the update with `config validation: config: "
        "bad cert entry, cert is invalid: tls: private key does not match public key` (or the matching "
        "reason): an `UpdateError` event, and none of the Ingress' routes applied. The same Secret on a "
        "host no route uses is dropped silently, so pomgate reports only certificates in use."
    ),
    bad=BAD,
    good=GOOD,
    check=check,
)
