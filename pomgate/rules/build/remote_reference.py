"""build/remote-reference: a kustomization refers to a remote base or resource, so it is not built."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="build/remote-reference",
    severity=Severity.INFO,
    summary="A kustomization refers to a remote base or resource, so its environment is not built",
    explanation=(
        "A kustomization entry that is a URL or a remote git base (`https://...`, `git@...`, "
        "`github.com/org/repo//path?ref=v1`) is never fetched: builds run without network, so what a pull "
        "request is checked against cannot change with what a remote serves at the moment, and a "
        "kustomization cannot make the CI machine reach other hosts (internal ones included). The root "
        "kustomization that includes the entry, directly or through its bases, is then not built and its "
        "Ingresses are not checked; its files are not read as plain manifests either. It is info, since "
        "nothing is wrong with the kustomization itself, but that environment is unchecked. To have it "
        "checked, vendor the remote base into the repository (a copied folder or git subtree pinned to a "
        "release) and refer to it by a relative path, and check the remote repository in its own CI."
    ),
    bad=(
        "# overlays/prod/kustomization.yaml\n"
        "resources:\n"
        "  - https://github.com/example-org/platform//ingress/base?ref=v1.4.0\n"
        "  - service.yaml"
    ),
    good=(
        "# overlays/prod/kustomization.yaml\n"
        "resources:\n"
        "  - ../../vendor/platform/ingress/base   # platform v1.4.0, vendored into this repository\n"
        "  - service.yaml"
    ),
)
