"""certmanager/http01-solver-class: HTTP-01 challenges for Pomerium hosts sent to another controller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.translation.classes import ClassSelector

#: Per-Ingress override of the solver's ingress class (cert-manager ingress-shim).
CLASS_OVERRIDE_ANNOTATION = "acme.cert-manager.io/http01-ingress-class"
ISSUER_ANNOTATION = "cert-manager.io/issuer"
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"


def pomerium_classes(context: RuleContext) -> set[str]:
    """Names of the IngressClasses served by this controller (from the input, plus the assumed one)."""
    selector = ClassSelector(context.inventory, context.options)
    return {name for name, controller in selector.controllers.items() if controller == context.options.controller_name}


def _solver_classes(raw: dict[str, Any]) -> Iterator[tuple[int, str, str]]:
    """(solver index, field name, class) of each HTTP-01 ingress solver that names a class."""
    spec = raw.get("spec")
    acme = spec.get("acme") if isinstance(spec, dict) else None
    solvers = acme.get("solvers") if isinstance(acme, dict) else None
    if not isinstance(solvers, list):
        return
    for index, solver in enumerate(solvers):
        http01 = solver.get("http01") if isinstance(solver, dict) else None
        ingress = http01.get("ingress") if isinstance(http01, dict) else None
        if not isinstance(ingress, dict):
            continue
        for field_name in ("ingressClassName", "class"):
            value = ingress.get(field_name)
            if isinstance(value, str) and value:
                yield index, field_name, value
                break


def check(context: RuleContext) -> Iterator[Finding]:
    """Warn where an HTTP-01 challenge for a Pomerium Ingress would be served by another ingress class."""
    classes = pomerium_classes(context)
    shown = ", ".join(sorted(classes)) or "pomerium"
    managed = {outcome.ingress for outcome in context.translation.outcomes if outcome.managed}
    users: dict[ObjectRef, list[ObjectRef]] = {}
    for typed in context.inventory.ingresses:
        if typed.ref not in managed:
            continue
        annotations = typed.model.metadata.annotation_map
        override = annotations.get(CLASS_OVERRIDE_ANNOTATION)
        if override and override not in classes:
            yield Finding(
                rule=RULE.id,
                severity=RULE.severity,
                message=f"{CLASS_OVERRIDE_ANNOTATION} is {override!r}, but this Ingress is served by Pomerium "
                f"(class {shown}): the HTTP-01 challenge would be answered by another controller and the "
                "certificate never issued",
                obj=typed.ref,
                field=("metadata", "annotations", CLASS_OVERRIDE_ANNOTATION),
                hint=f"{CLASS_OVERRIDE_ANNOTATION}: {sorted(classes)[0] if classes else 'pomerium'}",
            )
        if annotations.get(ISSUER_ANNOTATION):
            issuer = ObjectRef("Issuer", typed.ref.namespace, annotations[ISSUER_ANNOTATION])
            users.setdefault(issuer, []).append(typed.ref)
        if annotations.get(CLUSTER_ISSUER_ANNOTATION):
            issuer = ObjectRef("ClusterIssuer", "", annotations[CLUSTER_ISSUER_ANNOTATION])
            users.setdefault(issuer, []).append(typed.ref)
    for issuer_ref, ingresses in sorted(users.items()):
        obj = _find_issuer(context, issuer_ref)
        if obj is None:
            continue
        for index, field_name, value in _solver_classes(obj.raw):
            if value in classes:
                continue
            names = ", ".join(f"{ref.namespace}/{ref.name}" for ref in sorted(ingresses))
            yield Finding(
                rule=RULE.id,
                severity=RULE.severity,
                message=f"HTTP-01 solver {index} uses ingress {field_name} {value!r}, but Pomerium Ingresses use this "
                f"issuer ({names}): their challenges would be served by another controller, not Pomerium "
                f"(class {shown})",
                obj=obj.ref,
                field=("spec", "acme", "solvers", index, "http01", "ingress", field_name),
                hint=f"{field_name}: {sorted(classes)[0] if classes else 'pomerium'}",
            )


def _find_issuer(context: RuleContext, ref: ObjectRef) -> Any:
    for candidate, obj in context.inventory.objects.items():
        if (
            candidate.kind == ref.kind
            and candidate.name == ref.name
            and (ref.kind == "ClusterIssuer" or candidate.namespace == ref.namespace)
            and obj.api_version.startswith("cert-manager.io/")
        ):
            return obj
    return None


RULE = Rule(
    id="certmanager/http01-solver-class",
    severity=Severity.WARNING,
    summary="HTTP-01 challenges for a Pomerium host go to another ingress class",
    explanation=(
        "For an ACME HTTP-01 challenge cert-manager creates a temporary Ingress with the solver's ingress "
        "class. Pomerium serves the challenge path for its own hosts (the controller makes solver routes "
        "public), so the solver class of an Issuer used by Pomerium Ingresses, and any "
        "acme.cert-manager.io/http01-ingress-class override on such an Ingress, must name Pomerium's "
        "IngressClass; otherwise the challenge is answered by a controller that does not own the host "
        "and the certificate is never issued."
    ),
    bad=(
        "kind: Issuer\n"
        "spec:\n"
        "  acme:\n"
        "    solvers:\n"
        "    - http01:\n"
        "        ingress:\n"
        "          class: nginx        # Ingresses using this issuer are Pomerium's"
    ),
    good=("kind: Issuer\nspec:\n  acme:\n    solvers:\n    - http01:\n        ingress:\n          class: pomerium"),
    check=check,
)
