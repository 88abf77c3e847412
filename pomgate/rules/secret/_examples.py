"""TLS material and the Ingress + Secret manifest shared by the secret rules' examples (not a rule module)."""

from __future__ import annotations

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

_MANIFESTS = """\
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


def _indented(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines()).rstrip("\n")


def tls_manifests(certificate: str, key: str) -> str:
    """An Ingress for app.example.com whose spec.tls Secret holds ``certificate`` and ``key`` (PEM text)."""
    return _MANIFESTS % (_indented(certificate), _indented(key))
