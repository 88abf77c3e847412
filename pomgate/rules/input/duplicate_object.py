"""input/duplicate-object: the same object is defined twice in the input."""

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
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 8080
"""

GOOD = BAD.replace("name: web\nspec:\n  ports:\n    - port: 8080", "name: web-admin\nspec:\n  ports:\n    - port: 8080")

RULE = Rule(
    id="input/duplicate-object",
    severity=Severity.WARNING,
    summary="Two documents define the same kind, namespace and name",
    explanation=(
        "Two documents in the input (in one file or in different files) have the same kind, namespace and "
        "name. Applied together, the later one silently replaces the earlier one, which is rarely intended: "
        "often a copied manifest whose name was not changed. pomgate uses the later definition, as a later "
        "`kubectl apply` would, and reports it so the Ingress routes you review are not built from an "
        "object you did not expect."
    ),
    bad=BAD,
    good=GOOD,
)
