"""secret/certificate-unparsed: a TLS Secret's certificate block is not X.509 (a placeholder?)."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.secret._examples import CERTIFICATE, ITS_KEY, tls_manifests

PLACEHOLDER = """\
-----BEGIN CERTIFICATE-----
cmVwbGFjZWQgYnkgY2VydC1tYW5hZ2VyIGluIHRoZSBjbHVzdGVy
-----END CERTIFICATE-----
"""


BAD = tls_manifests(PLACEHOLDER, ITS_KEY)
GOOD = tls_manifests(CERTIFICATE, ITS_KEY)

RULE = Rule(
    id="secret/certificate-unparsed",
    severity=Severity.INFO,
    summary="A TLS Secret's tls.crt holds a CERTIFICATE block that is not an X.509 certificate",
    explanation=(
        "Before it saves a configuration the controller parses every certificate it was given as X.509; "
        "one that does not parse fails the whole update (`removing unused certs: x509: malformed "
        "certificate`). Repositories often hold stand-ins instead of real certificates (the cluster's "
        "Secret is written by cert-manager or decrypted from a sealed secret), so offline pomgate only "
        "notes (info) when the block's content is not even DER: fine if the cluster's Secret holds a real certificate, "
        "otherwise the Ingress fails. In the controller, where the Secret is the cluster's, it is an error "
        "(`secret/bad-certificate`)."
    ),
    bad=BAD,
    good=GOOD,
)
