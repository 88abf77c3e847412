"""k8s/unknown-field: a field the API version does not have (strict decoding)."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

RULE = Rule(
    id="k8s/unknown-field",
    severity=Severity.ERROR,
    summary="A field the networking.k8s.io/v1 Ingress (or the object's kind) does not have",
    explanation=(
        "kubectl 1.24+ validates strictly by default, and the API server rejects unknown fields: "
        '`strict decoding error: unknown field "spec.rules[0].http.paths[0].backend.serviceName"`. The '
        "usual causes are v1beta1 spellings in a v1 Ingress (`serviceName`/`servicePort` instead of "
        "`service.name`/`service.port`, `spec.backend` instead of `spec.defaultBackend`), field names in "
        "the wrong case (`pathtype`), and fields indented under the wrong parent. With validation turned "
        "off the field is silently dropped, which usually breaks the object in another way."
    ),
    bad=ingress(
        "              service:\n                name: web\n                port:\n                  number: 80\n",
        "              serviceName: web\n              servicePort: 80\n",
    ),
    good=ingress(),
)
