"""build/application-path-missing: an Argo CD or Flux application deploys a path this repository lacks."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="build/application-path-missing",
    severity=Severity.ERROR,
    summary="An Argo CD or Flux application deploys a path that does not exist in this repository",
    explanation=(
        "An Argo CD Application (`spec.source.path`, or a path of `spec.sources`), an application an "
        "ApplicationSet generates, a Flux Kustomization (`spec.path`) or a Flux HelmRelease whose chart "
        "comes from a GitRepository names a folder that this repository does not have: usually a folder "
        "renamed or moved without updating the application, or a typo. Argo CD would fail to generate the "
        "application's manifests (app path does not exist) and Flux would fail to reconcile it, so nothing "
        "of it is deployed, and pomgate has nothing to build and check. Paths are relative to the top of "
        "the repository; when a folder inside it is checked on its own, they are tried relative to that "
        "folder as well. It is an error when the application's `repoURL` matches one of the repository's "
        "git remotes; when nothing confirms that the application deploys from this repository (the "
        "checkout has no git remote to compare with) it is info, since the application may deploy from "
        "another repository that has the folder. Fix the path, or restore the folder."
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
        "    repoURL: https://github.com/example-org/platform.git\n"
        "    targetRevision: main\n"
        "    path: overlays/production   # the folder is overlays/prod\n"
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
        "    repoURL: https://github.com/example-org/platform.git\n"
        "    targetRevision: main\n"
        "    path: overlays/prod\n"
        "  destination:\n"
        "    server: https://kubernetes.default.svc\n"
        "    namespace: web"
    ),
)
