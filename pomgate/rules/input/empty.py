"""input/empty: no Kubernetes object was found in the input, so nothing was checked."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="input/empty",
    severity=Severity.ERROR,
    summary="No Kubernetes object was found in the input: nothing was checked",
    explanation=(
        "`pomgate check`, `pomgate render` and `pomgate hook` without files read their input and found no "
        "document with an apiVersion and a kind: standard input was empty, the folders hold no manifest, or "
        "every file is something else (a CI workflow, a values file). A green run would then hide a broken "
        "pipeline, such as a `kubectl kustomize` of a mistyped overlay piped into pomgate, or a job run from "
        "the wrong folder, so this is an error (exit status 1). Pass `--allow-empty` where an empty input is "
        "expected (a repository that has no manifests yet), or list `input/empty` under `ignore:` in the "
        "configuration. `pomgate hook` with files (as pre-commit runs it) never reports it: a commit that "
        "changes no manifest is normal."
    ),
    bad="$ kubectl kustomize overlays/prdo | pomgate check -     # a typo: kustomize fails, pomgate reads nothing",
    good="$ kubectl kustomize overlays/prod | pomgate check -",
)
