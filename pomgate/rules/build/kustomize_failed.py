"""build/kustomize-failed: a kustomization cannot be built (kustomize's message), or cannot be read as one."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="build/kustomize-failed",
    severity=Severity.ERROR,
    summary="kustomize cannot build a kustomization, or the kustomization cannot be read",
    explanation=(
        "pomgate builds every root kustomization (one that no other kustomization includes) with `kustomize "
        "build`, or `kubectl kustomize` when kustomize is not on PATH, and checks the Ingresses the build "
        "produces. When the build fails, nothing of that environment is checked, and Argo CD or Flux would "
        "usually fail to deploy it the same way. The finding carries kustomize's own message, at the entry "
        "of the kustomization that the message names, else at the root kustomization file. It is also "
        "reported before any build for a kustomization file that is not valid YAML or not a mapping, for a "
        "list field (`resources`, `components`, `patches`, ...) that is not a list or has an entry of the "
        "wrong shape, and for kustomizations that include each other in a cycle; and when neither kustomize "
        "nor kubectl is installed. Builds trust nothing from the repository: they run in a sandbox holding "
        "only the files the kustomizations "
        "name, without network, and never run plugins, exec or container KRM functions, or Helm from "
        "kustomize (no `--enable-helm`, `--enable-alpha-plugins` or `--enable-exec`). A kustomization that "
        "needs them (`helmCharts`, a SOPS or other exec generator) therefore fails here with kustomize's "
        'message ("must specify --enable-helm", "external plugins disabled"). Fix the path or field that '
        "the message names; deploy a chart through an Argo CD or Flux Helm source, which pomgate renders "
        "with helm itself."
    ),
    bad=(
        "# overlays/prod/kustomization.yaml\n"
        "resources:\n"
        "  - ../../base\n"
        "  - ingress.yaml        # overlays/prod/ingress.yaml does not exist"
    ),
    good=(
        "# overlays/prod/kustomization.yaml\n"
        "resources:\n"
        "  - ../../base\n"
        "  - ingress.yaml        # next to this kustomization"
    ),
)
