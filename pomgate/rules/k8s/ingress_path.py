"""k8s/ingress-path: a path or pathType Kubernetes rejects."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule
from pomgate.rules.k8s._examples import ingress

_REGEX = (
    "  name: web\n",
    '  name: web\n  annotations:\n    ingress.pomerium.io/path_regex: "true"\n',
)

RULE = Rule(
    id="k8s/ingress-path",
    severity=Severity.ERROR,
    summary="A path without pathType, an unknown pathType, or a path Kubernetes does not accept",
    explanation=(
        "In networking.k8s.io/v1 every path needs a `pathType` (no default) of exactly `Exact`, `Prefix` or "
        "`ImplementationSpecific` (case-sensitive). `Exact` and `Prefix` paths must start with `/` and must "
        "not contain `//`, `/./`, `/../` or `%2F`, nor end with `/.` or `/..`. A non-empty "
        "`ImplementationSpecific` path must start with `/` as well, which rejects regexes written as "
        "`^/admin/.*$`: Pomerium anchors `path_regex` paths itself, so write `/admin/.*`. An `http:` "
        "section without `paths` is rejected too."
    ),
    bad=ingress(*_REGEX)
    .replace("          - path: /\n", "          - path: '^/(admin|superuser)/.*$'\n")
    .replace("pathType: Prefix", "pathType: ImplementationSpecific"),
    good=ingress(*_REGEX)
    .replace("          - path: /\n", "          - path: /(admin|superuser)/.*\n")
    .replace("pathType: Prefix", "pathType: ImplementationSpecific"),
)
