"""secret/bad-certificate: a kubernetes.io/tls Secret whose tls.crt is not a PEM certificate."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.secret._examples import CERTIFICATE, ITS_KEY, tls_manifests

#: tls.crt and tls.key swapped: the certificate's block is a private key.
BAD = tls_manifests(ITS_KEY, CERTIFICATE)

#: The same Ingress with a real certificate and its key.
GOOD = tls_manifests(CERTIFICATE, ITS_KEY)

RULE = Rule(
    id="secret/bad-certificate",
    severity=Severity.ERROR,
    summary="A kubernetes.io/tls Secret the Ingress uses has no PEM certificate in tls.crt",
    explanation=(
        "Every Secret of type `kubernetes.io/tls` the controller fetches for an Ingress (from `spec.tls` or "
        "from any `*_secret` annotation) is also offered to Pomerium as a server certificate. If its "
        "`tls.crt` holds no decodable PEM block, or the first block is not a `CERTIFICATE` (for example "
        "`tls.crt` and `tls.key` swapped), the whole configuration update fails (`removing unused certs: "
        'failed to decode cert block` / `expected CERTIFICATE PEM block, got "PRIVATE KEY"`): the '
        "Ingress gets an `UpdateError` event and none of its routes are applied. A `CERTIFICATE` block that "
        "x509 cannot parse fails it the same way (`removing unused certs: x509: ...`); offline, a block "
        "that is not even DER is taken for a placeholder (`secret/certificate-unparsed`)."
    ),
    bad=BAD,
    good=GOOD,
)
