"""routing/ingress-not-managed: an Ingress with Pomerium annotations that no IngressClass gives to Pomerium."""

from __future__ import annotations

from collections.abc import Iterator

from pomgate.findings import FieldPath, Finding, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.translation.classes import ClassSelector

BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    ingress.pomerium.io/allowed_domains: '["example.com"]'
spec:
  rules:
    - host: app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
"""

GOOD = BAD.replace("spec:\n  rules:", "spec:\n  ingressClassName: pomerium\n  rules:")


def check(context: RuleContext) -> Iterator[Finding]:
    """One info per unmanaged Ingress that carries annotations under the controller's prefix."""
    options = context.options
    marker = options.prefix + "/"
    selector = ClassSelector(context.inventory, options)
    classes = sorted(name for name, owner in selector.controllers.items() if owner == options.controller_name)
    wanted = options.assumed_ingress_class if options.assumed_ingress_class in classes else None
    wanted = wanted or (classes[0] if classes else "pomerium")
    for outcome in context.translation.outcomes:
        if outcome.managed:
            continue
        typed = context.ingresses_by_ref.get(outcome.ingress)
        if typed is None:
            continue
        meta = typed.model.metadata
        if options.namespaces and meta.namespace not in options.namespaces:
            continue  # left out on purpose (--namespaces)
        ours = sorted(key for key in meta.annotation_map if key.startswith(marker))
        if not ours:
            continue
        class_name = selector.class_name(typed.model)
        field: FieldPath
        if not class_name:
            why = (
                f"it names no IngressClass, and no IngressClass of {options.controller_name} in the input is "
                f"marked default ({_DEFAULT_MARK})"
            )
            field = ("metadata", "annotations", ours[0])
        else:
            owner = selector.controllers.get(class_name)
            why = (
                f"its IngressClass {class_name} belongs to controller {owner}"
                if owner
                else f"IngressClass {class_name} is not in the input (pomgate assumes only {wanted}; set "
                f"`ingress-class: {class_name}` in the configuration if that is the cluster's Pomerium class)"
            )
            spec = typed.model.spec
            field = (
                ("spec", "ingressClassName")
                if spec is not None and spec.ingressClassName
                else ("metadata", "annotations", "kubernetes.io/ingress.class")
            )
        yield Finding(
            rule=RULE.id,
            severity=RULE.severity,
            message=f"Ingress {outcome.ingress.namespace}/{outcome.ingress.name} carries {len(ours)} {marker} "
            f"annotation(s) ({_listed(ours)}), but the Pomerium controller ignores it: {why}; it gets no routes",
            obj=outcome.ingress,
            field=field,
            hint=f"spec.ingressClassName: {wanted}",
        )


_DEFAULT_MARK = "ingressclass.kubernetes.io/is-default-class: 'true'"


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:3])
    return shown + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


RULE = Rule(
    id="routing/ingress-not-managed",
    severity=Severity.INFO,
    summary="An Ingress carries Pomerium annotations, but no IngressClass makes it Pomerium's",
    explanation=(
        "The controller only translates Ingresses whose class is one of its IngressClasses "
        "(`spec.ingressClassName`, or the older `kubernetes.io/ingress.class` annotation), or that name no "
        "class while one of its IngressClasses is marked default (`ingressclass.kubernetes.io/is-default-class`). "
        "Any other Ingress is skipped without an event, so an Ingress written for Pomerium but missing its "
        "class, or naming a class the cluster gives to another controller, silently gets no routes: 0 "
        "routes and, before this rule, 0 findings. pomgate reports it when the Ingress carries annotations "
        "under the controller's prefix (`ingress.pomerium.io/`), which shows it was meant for Pomerium. It is "
        "information, not a warning: a default IngressClass may exist in the cluster even if the repository "
        "does not hold it."
    ),
    bad=BAD,
    good=GOOD,
    check=check,
)
