"""k8s/secret-data: Secret data keys, values or size Kubernetes rejects."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

GOOD = """\
apiVersion: v1
kind: Secret
metadata:
  name: idp
type: Opaque
stringData:
  client_secret: change-me
"""

RULE = Rule(
    id="k8s/secret-data",
    severity=Severity.ERROR,
    summary="A Secret data key is not a valid key, a `data` value is not base64, or the data exceeds 1 MiB",
    explanation=(
        "Secret keys (under `data` and `stringData`) may hold only letters, digits, `-`, `_` and `.`, at "
        "most 253 characters, and must not be `.`, `..` or start with `..`; so `client secret` or "
        "`certs/tls.crt` are rejected (`data[client secret]: Invalid value: ...`). Values under `data` must "
        "be standard base64 (`illegal base64 data at input byte N`; plain text belongs under `stringData`), "
        "and all values together may not exceed 1048576 bytes."
    ),
    bad=GOOD.replace("client_secret:", "client secret:"),
    good=GOOD,
)
