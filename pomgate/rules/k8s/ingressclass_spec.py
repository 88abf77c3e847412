"""k8s/ingressclass-spec: an IngressClass spec Kubernetes rejects."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

GOOD = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: pomerium
spec:
  controller: pomerium.io/ingress-controller
"""

RULE = Rule(
    id="k8s/ingressclass-spec",
    severity=Severity.ERROR,
    summary="An IngressClass `controller` or `parameters` Kubernetes rejects",
    explanation=(
        "`spec.controller` is required, at most 250 characters, and a domain-prefixed path: a lowercase DNS "
        "name, `/`, and a path (`pomerium.io/ingress-controller`; `pomerium` alone is rejected). "
        "`spec.parameters` needs `kind` and `name`; `scope` is `Cluster` (the default) or `Namespace` "
        "(case-sensitive), `namespace` is required with `Namespace` and forbidden with `Cluster`."
    ),
    bad=GOOD.replace("pomerium.io/ingress-controller", "pomerium"),
    good=GOOD,
)
