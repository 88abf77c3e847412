"""build/application-elsewhere: an Argo CD or Flux application deploys something not in this repository."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="build/application-elsewhere",
    severity=Severity.INFO,
    summary="An Argo CD or Flux application deploys something that is not in this repository",
    explanation=(
        "pomgate reads the Argo CD Applications and ApplicationSets (git directory generators) and the Flux "
        "Kustomizations and HelmReleases of the repository, and builds what each one deploys from it with "
        "the application's namespace, name prefix and suffix, and Helm values. An application whose source "
        "is elsewhere is noted and not checked: a `repoURL` that is none of this repository's git remotes, "
        "a chart from a chart repository (Argo CD `chart:`, a Flux HelmRepository or OCIRepository), a "
        "Flux GitRepository with another URL, or a path that climbs out of the repository. Builds never "
        "fetch anything (no network, no credentials), and what they would fetch is not what the pull "
        "request changes. It is info: nothing is wrong, but those Ingresses are checked only where they "
        "live, so run pomgate in that repository's CI. If the source really is this repository, make "
        "`repoURL` match one of its remotes (`git remote -v`); https, ssh and scp-like forms of one URL "
        "and a trailing `.git` compare equal."
    ),
    bad=(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: Application\n"
        "metadata:\n"
        "  name: web-prod\n"
        "  namespace: argocd\n"
        "spec:\n"
        "  project: default\n"
        "  source:\n"
        "    repoURL: https://github.com/example-org/web-deploy.git   # not a remote of this repository\n"
        "    targetRevision: main\n"
        "    path: overlays/prod\n"
        "  destination:\n"
        "    server: https://kubernetes.default.svc\n"
        "    namespace: web"
    ),
    good=(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: Application\n"
        "metadata:\n"
        "  name: web-prod\n"
        "  namespace: argocd\n"
        "spec:\n"
        "  project: default\n"
        "  source:\n"
        "    repoURL: git@github.com:example-org/platform.git   # origin of this repository\n"
        "    targetRevision: main\n"
        "    path: overlays/prod\n"
        "  destination:\n"
        "    server: https://kubernetes.default.svc\n"
        "    namespace: web"
    ),
)
