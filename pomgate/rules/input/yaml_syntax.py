"""input/yaml-syntax: a YAML document cannot be parsed."""

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
     targetPort: 8080
"""

GOOD = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
      targetPort: 8080
"""

RULE = Rule(
    id="input/yaml-syntax",
    severity=Severity.ERROR,
    summary="A YAML document has a syntax error and is skipped",
    explanation=(
        "The document is not valid YAML (bad indentation, an unclosed quote or bracket, a tab used for "
        "indentation, a control character). kubectl refuses the whole file in that case. pomgate reports the "
        "line and column of the error, skips to the next `---` separator and keeps reading, so the objects "
        "of the broken document are absent from the analysis: Ingresses that refer to them may show "
        "`reference/...` warnings, and an Ingress inside it is not checked at all."
    ),
    bad=BAD,
    good=GOOD,
)
