"""k8s/ingress-class-conflict: the kubernetes.io/ingress.class annotation next to spec.ingressClassName."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/ingress-class-conflict",
    severity=Severity.ERROR,
    summary="Both the `kubernetes.io/ingress.class` annotation and `spec.ingressClassName` are set",
    explanation=(
        "Kubernetes refuses to create an Ingress whose deprecated `kubernetes.io/ingress.class` annotation "
        "differs from `spec.ingressClassName` (``annotations.kubernetes.io/ingress.class: Invalid value: "
        '"nginx": must match `ingressClassName` when both are specified``). Up to 1.26 it rejected the pair '
        "even when both were equal; pomgate reports that case as a warning. Remove the annotation: the "
        "field replaces it."
    ),
    bad=ingress("  name: web\n", "  name: web\n  annotations:\n    kubernetes.io/ingress.class: nginx\n"),
    good=ingress(),
)
