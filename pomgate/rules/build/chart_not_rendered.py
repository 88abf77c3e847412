"""build/chart-not-rendered: a Helm chart is not rendered because helm is not on PATH."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="build/chart-not-rendered",
    severity=Severity.INFO,
    summary="A Helm chart is not rendered because helm is not on PATH",
    explanation=(
        "A folder with `Chart.yaml` is a Helm chart: the files under its `templates/` are Go templates, not "
        "manifests, so pomgate never reads them as plain YAML. It renders the chart with `helm template` "
        "(with the release name, namespace and values of the Argo CD Application or Flux HelmRelease that "
        "deploys it, if any) and checks the Ingresses the chart produces. When helm is not installed on the "
        "machine running pomgate, the chart is skipped and its Ingresses are not checked. It is info "
        "because the chart may well be fine; install helm 3 where pomgate runs (the CI image) to have it "
        "checked. Rendering runs in a sandbox with the chart's files only, without network: dependencies "
        "are never downloaded, so a chart whose dependencies are not vendored under `charts/` then fails "
        "with build/helm-failed."
    ),
    bad=(
        "$ ls charts/web\n"
        "Chart.yaml  templates  values.yaml\n"
        "$ command -v helm || echo 'helm: not found'\n"
        "helm: not found"
    ),
    good=("$ ls charts/web\nChart.yaml  templates  values.yaml\n$ command -v helm\n/usr/local/bin/helm"),
)
