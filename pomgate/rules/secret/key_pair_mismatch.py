"""secret/key-pair-mismatch: a certificate a route uses whose tls.key is not its private key."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

#: A self-signed certificate for app.example.com (EC P-256, valid until 2124) and keys for the examples.
CERTIFICATE = """\
-----BEGIN CERTIFICATE-----
MIIBQzCB6qADAgECAgID6DAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9hcHAuZXhh
bXBsZS5jb20wIBcNMjUwMTAxMDAwMDAwWhgPMjEyNDEyMDgwMDAwMDBaMBoxGDAW
BgNVBAMMD2FwcC5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA
BO32KQh9jWtc9g+CgOsLDNC3gHsldAgAq6WU+7zREvEOZnqUXmcXKb/0C5cF2R8P
gE+ZsjpEVu82ZOF256K58LCjHjAcMBoGA1UdEQQTMBGCD2FwcC5leGFtcGxlLmNv
bTAKBggqhkjOPQQDAgNIADBFAiEAk24pLxO7ZOhK8CkFoJhvl4hpLHplogJZ28ji
ZCl4WUYCIGjMuqw7zqFf0tLfoNwbQXRMG2IGa+Ic3XmFeL1vdnXb
-----END CERTIFICATE-----
"""
ITS_KEY = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1lxf/bZMSffOh4dk
rNg5EcaAjoIoyJdzi5oocZviUKehRANCAATt9ikIfY1rXPYPgoDrCwzQt4B7JXQI
AKullPu80RLxDmZ6lF5nFym/9AuXBdkfD4BPmbI6RFbvNmThdueiufCw
-----END PRIVATE KEY-----
"""
OTHER_KEY = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgM8ZH+0SNfvQmWqgw
jRr5AcgRPRBrK+qv0rHV9uoIQwChRANCAAQDLgits3g8wp2WEbneeElqXOY0lsK/
jbOTmLM3P1C8T7io8PrkQEqAbzpKg5PoR3l5tg1mNEP5fGDECXD89ff1
-----END PRIVATE KEY-----
"""


def _indented(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


MANIFESTS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: pomerium
  tls:
    - hosts:
        - app.example.com
      secretName: app-tls
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
---
apiVersion: v1
kind: Secret
metadata:
  name: app-tls
type: kubernetes.io/tls
stringData:
  tls.crt: |
%s
  tls.key: |
%s
"""

BAD = MANIFESTS % (_indented(CERTIFICATE).rstrip("\n"), _indented(OTHER_KEY).rstrip("\n"))
GOOD = MANIFESTS % (_indented(CERTIFICATE).rstrip("\n"), _indented(ITS_KEY).rstrip("\n"))

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
)
