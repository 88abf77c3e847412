"""input/yaml-duplicate-key: a mapping holds the same key twice."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
  labels:
    tier: frontend
spec:
  ports:
    - port: 80
"""

GOOD = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
    tier: frontend
spec:
  ports:
    - port: 80
"""

RULE = Rule(
    id="input/yaml-duplicate-key",
    severity=Severity.WARNING,
    summary="A YAML mapping repeats a key; only the last value is kept",
    explanation=(
        "When a mapping holds the same key twice, kubectl's YAML reading keeps the last value and silently "
        "drops the earlier one. With keys such as `annotations:` or `labels:` this loses whole blocks: a "
        "second `annotations:` map under `metadata` throws away every Pomerium annotation of the first, so "
        "the route may end up public or without its policy. pomgate reads the file the same way (last value "
        "wins) and points at the repeated key. It is only reported inside documents that are Kubernetes "
        "objects."
    ),
    bad=BAD,
    good=GOOD,
)
