"""k8s/object-name: metadata.name is not a valid name for the kind."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/object-name",
    severity=Severity.ERROR,
    summary="`metadata.name` breaks the kind's name format",
    explanation=(
        "Ingress, IngressClass and Secret names must be lowercase RFC 1123 subdomains (letters, digits, `-` "
        "and `.`, at most 253 characters, starting and ending with a letter or digit). Service names are "
        "stricter DNS-1035 labels: at most 63 characters, no dots, and the first character must be a letter "
        "(`1api` is rejected; only clusters with RelaxedServiceNameValidation accept it). Uppercase letters "
        "and `_` are the usual mistakes."
    ),
    bad=ingress("  name: web\n", "  name: Web_App\n"),
    good=ingress("  name: web\n", "  name: web-app\n"),
)
