"""build/outside-repository: a kustomization refers to a path outside the repository, so it is not built."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="build/outside-repository",
    severity=Severity.ERROR,
    summary="A kustomization refers to a path outside the repository, so its environment is not built",
    explanation=(
        "Builds read the repository and nothing else: the files a build needs are copied into a sandbox, "
        "and an entry that climbs out of the repository (`../../../shared` from a folder two levels deep) "
        "or is an absolute path (`/home/ci/platform`) is not followed, so the environment that includes it "
        "is not built and its Ingresses are not checked. Following it would let a pull request make the CI "
        "machine read, and print in findings, any file it can reach (the runner's kubeconfig or cloud "
        "credentials), and the result would depend on the machine it runs on. It is an error because Argo "
        "CD and Flux build from a clone of the repository too: the path is not there, or is something else. "
        "Move the shared files into the repository and refer to them by a relative path that stays inside "
        "it, or refer to the other repository by a pinned remote URL (then reported as "
        "build/remote-reference)."
    ),
    bad=(
        "# overlays/prod/kustomization.yaml\n"
        "resources:\n"
        "  - ../../../shared/ingress    # one level above the repository\n"
        "  - /home/ci/platform/base     # an absolute path"
    ),
    good=(
        "# overlays/prod/kustomization.yaml\n"
        "resources:\n"
        "  - ../../shared/ingress       # shared/ingress/ in this repository\n"
        "  - ../../base"
    ),
)
