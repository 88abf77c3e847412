"""certmanager/tls-secret-without-issuer: a TLS Secret nothing in the repository provides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pomgate.findings import Finding, Severity
from pomgate.kube.inventory import Inventory
from pomgate.rules.base import Rule, RuleContext
from pomgate.translation.references import find_secret

#: Ingress annotations that make cert-manager's ingress-shim issue the TLS Secrets of the Ingress.
ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
#: The legacy kube-lego annotation cert-manager still honours (with a default issuer configured).
TLS_ACME_ANNOTATION = "kubernetes.io/tls-acme"


def certificate_secrets(inventory: Inventory) -> set[tuple[str, str]]:
    """(namespace, secretName) of every cert-manager Certificate in the input."""
    out: set[tuple[str, str]] = set()
    for ref, obj in inventory.objects.items():
        if ref.kind != "Certificate" or not obj.api_version.startswith("cert-manager.io/"):
            continue
        spec: Any = obj.raw.get("spec")
        name = spec.get("secretName") if isinstance(spec, dict) else None
        if isinstance(name, str) and name:
            out.add((ref.namespace, name))
    return out


def check(context: RuleContext) -> Iterator[Finding]:
    """Warn on spec.tls Secrets that are neither in the input nor issued by cert-manager."""
    if context.options.live:
        return  # in the cluster a missing Secret is the translator's error
    inventory = context.inventory
    managed = {outcome.ingress for outcome in context.translation.outcomes if outcome.managed}
    certificates: set[tuple[str, str]] | None = None
    for typed in inventory.ingresses:
        if typed.ref not in managed or typed.model.spec is None:
            continue
        meta = typed.model.metadata
        annotations = meta.annotation_map
        if any(annotations.get(key) for key in ISSUER_ANNOTATIONS):
            continue
        if annotations.get(TLS_ACME_ANNOTATION, "").lower() == "true":
            continue
        for index, tls in enumerate(typed.model.spec.tls):
            name = tls.secretName
            if not name or find_secret(inventory, meta.namespace, name) is not None:
                continue
            if certificates is None:
                certificates = certificate_secrets(inventory)
            if (meta.namespace, name) in certificates:
                continue
            elsewhere = sorted(ns for (ns, other) in inventory.secrets if other == name and ns != meta.namespace)
            also = f"; a Secret of that name exists in namespace {', '.join(elsewhere)}" if elsewhere else ""
            yield Finding(
                rule=RULE.id,
                severity=RULE.severity,
                message=f"TLS Secret {meta.namespace}/{name} is not in the input and nothing here issues it (no "
                f"cert-manager.io/issuer or cluster-issuer annotation, no Certificate with this secretName){also}; "
                "if it does not exist in the cluster the controller fails this Ingress",
                obj=typed.ref,
                field=("spec", "tls", index, "secretName"),
                hint="cert-manager.io/cluster-issuer: <issuer>   (or commit the Secret's producer, e.g. a "
                "Certificate or SealedSecret)",
            )


RULE = Rule(
    id="certmanager/tls-secret-without-issuer",
    severity=Severity.WARNING,
    summary="A TLS Secret that nothing in the repository provides",
    explanation=(
        "The controller reads every spec.tls secretName when it translates an Ingress; if the Secret does "
        "not exist the whole Ingress fails (tls: get secret ...: not found). With cert-manager the Secret "
        "is created by the ingress-shim when the Ingress carries cert-manager.io/issuer or "
        "cert-manager.io/cluster-issuer, or by a Certificate object. When the input has none of these and "
        "no Secret (or SealedSecret/ExternalSecret) of that name, the Secret must come from somewhere "
        "outside the repository; this warning asks the reviewer to make sure it does."
    ),
    bad=(
        "metadata:\n"
        "  name: grafana\n"
        "spec:\n"
        "  tls:\n"
        "  - hosts: [grafana.example.com]\n"
        "    secretName: grafana-tls      # no issuer annotation, no Secret"
    ),
    good=(
        "metadata:\n"
        "  name: grafana\n"
        "  annotations:\n"
        "    cert-manager.io/cluster-issuer: letsencrypt-prod\n"
        "spec:\n"
        "  tls:\n"
        "  - hosts: [grafana.example.com]\n"
        "    secretName: grafana-tls"
    ),
    check=check,
)
