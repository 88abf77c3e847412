"""k8s/annotations-too-large: the annotations of an object exceed 256 KiB."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="k8s/annotations-too-large",
    severity=Severity.ERROR,
    summary="All annotations of an object together exceed 262144 bytes (256 KiB)",
    explanation=(
        "Kubernetes limits the sum of the lengths of all annotation keys and values of one object to "
        "262144 bytes (`metadata.annotations: Too long: may not be more than 262144 bytes`). Large embedded "
        "policies or certificates are the usual cause; move them to a Secret or ConfigMap. Client-side "
        "`kubectl apply` also stores the whole manifest in the `kubectl.kubernetes.io/last-applied-"
        "configuration` annotation, so with it the practical limit is about half of that."
    ),
    bad=("metadata:\n  annotations:\n    ingress.pomerium.io/policy: |\n      # ... 300 KiB of generated rules ..."),
    good=(
        "metadata:\n  annotations:\n    ingress.pomerium.io/policy: |\n"
        "      - allow:\n          or:\n            - groups: {has: admins}"
    ),
)
