"""input/object-invalid-namespace: metadata.namespace is not a string."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: 2024
spec:
  ports:
    - port: 80
"""

GOOD = BAD.replace("namespace: 2024", 'namespace: "2024"')

RULE = Rule(
    id="input/object-invalid-namespace",
    severity=Severity.ERROR,
    summary="metadata.namespace is a number, boolean, list or map instead of a string",
    explanation=(
        "YAML reads an unquoted `2024`, `true` or `on` as a number or boolean. Kubernetes expects "
        "`metadata.namespace` to be a string and kubectl refuses the object. Because the Ingress Controller "
        "looks up Services and Secrets in the Ingress' own namespace, pomgate cannot place the object "
        "either: it is left out of the analysis. Quote the value."
    ),
    bad=BAD,
    good=GOOD,
)
