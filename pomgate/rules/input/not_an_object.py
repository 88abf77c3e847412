"""input/not-an-object: a document next to Kubernetes objects is not an object itself."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
---
- apiVersion: v1
  kind: Service
  metadata:
    name: api
"""

GOOD = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports:
    - port: 8080
"""

RULE = Rule(
    id="input/not-an-object",
    severity=Severity.WARNING,
    summary="A document in a manifest file is a list, a scalar, or lacks apiVersion or kind",
    explanation=(
        "In a file that holds Kubernetes objects, a document that is a bare list or scalar, a mapping with "
        "`apiVersion` but no `kind` (or the reverse), or a `...List` item that is not an object is most "
        "likely a mistake: kubectl refuses it, and whatever it was meant to create is missing from the "
        "cluster and from pomgate's analysis. Files without any Kubernetes object (Helm values, CI "
        "configuration) and mappings with neither `apiVersion` nor `kind` are not reported."
    ),
    bad=BAD,
    good=GOOD,
)
