"""build/helm-failed: `helm template` fails on a chart (helm's message)."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="build/helm-failed",
    severity=Severity.ERROR,
    summary="`helm template` fails on a chart",
    explanation=(
        "pomgate renders each Helm chart in the repository with `helm template`, with the release name, "
        "namespace, values files and inline values of the Argo CD Application or Flux HelmRelease that "
        "deploys it (if any), and checks the Ingresses it produces. It renders in a sandbox holding only "
        "the chart's files, without network and without a cluster. When helm fails, the finding carries "
        "helm's message at the chart's `Chart.yaml` and nothing of the chart is checked; deploying it with "
        "the same values would fail the same way. Common causes are a template error, a `required` value "
        "that the values do not set, a values file the application names that is not in the chart, and "
        "dependencies listed in `Chart.yaml` that are not vendored under `charts/`: they are never "
        "downloaded (run `helm dependency build` and commit the archives). Fix the chart or the values "
        "helm names."
    ),
    bad=(
        "# charts/web/templates/ingress.yaml\n"
        '    - host: {{ required "host is required" .Values.host | quote }}\n'
        "# charts/web/values.yaml (host is not set)\n"
        "service:\n"
        "  port: 80"
    ),
    good=(
        "# charts/web/templates/ingress.yaml\n"
        '    - host: {{ required "host is required" .Values.host | quote }}\n'
        "# charts/web/values.yaml\n"
        "host: web.example.com\n"
        "service:\n"
        "  port: 80"
    ),
)
