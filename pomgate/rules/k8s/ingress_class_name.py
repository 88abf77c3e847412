"""k8s/ingress-class-name: spec.ingressClassName is not a valid IngressClass name."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/ingress-class-name",
    severity=Severity.ERROR,
    summary="`spec.ingressClassName` is not a lowercase RFC 1123 subdomain",
    explanation=(
        "`spec.ingressClassName` names an IngressClass, so it must be a valid IngressClass name: lowercase "
        "letters, digits, `-` and `.`. `Pomerium` or `pomerium_ingress` make Kubernetes reject the Ingress "
        '(`spec.ingressClassName: Invalid value: "Pomerium": a lowercase RFC 1123 subdomain ...`); an empty '
        'string (`ingressClassName: ""`) is rejected too.'
    ),
    bad=ingress("  ingressClassName: pomerium\n", "  ingressClassName: Pomerium\n"),
    good=ingress(),
)
