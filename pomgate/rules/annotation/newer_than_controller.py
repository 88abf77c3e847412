"""annotation/newer-than-controller: an annotation the configured controller version does not know yet."""

from __future__ import annotations

from collections.abc import Iterator

from pomgate.findings import Finding, Severity
from pomgate.rules.base import Rule, RuleContext
from pomgate.rules.review_helpers import is_http01_solver
from pomgate.translation.annotation_table import added_after, version_text

BAD = """\
# .pomgate.yaml: controller-version: "0.32.9"
metadata:
  annotations:
    ingress.pomerium.io/allow_upgrades: '["CONNECT-UDP"]'
"""

GOOD = """\
# .pomgate.yaml: controller-version: "0.32.9"
metadata:
  annotations:
    ingress.pomerium.io/allow_websockets: "true"
"""


def check(context: RuleContext) -> Iterator[Finding]:
    """One error per annotation of a managed Ingress that is newer than ``controller-version``."""
    version = context.controller_version
    if version is None:
        return
    prefix = context.options.prefix + "/"
    deployed = version_text(version)
    for outcome in context.translation.outcomes:
        typed = context.ingresses_by_ref.get(outcome.ingress)
        if not outcome.managed or typed is None or is_http01_solver(typed.model):
            continue  # (the controller applies no annotation of an HTTP-01 solver Ingress)
        for key in typed.model.metadata.annotation_map:
            if not key.startswith(prefix):
                continue
            added = added_after(key[len(prefix) :], version)
            if added is None:
                continue
            yield Finding(
                rule=RULE.id,
                severity=RULE.severity,
                message=f"{key} is unknown to the controller version this cluster runs ({deployed}, "
                f"`controller-version` in the configuration): it was added in {added}, and until then the "
                f"controller fails the whole Ingress with `unknown {key}` and applies none of its routes",
                obj=outcome.ingress,
                field=("metadata", "annotations", key),
                hint=f"upgrade the controller to {added} or later (then raise controller-version), or drop {key}",
            )


RULE = Rule(
    id="annotation/newer-than-controller",
    severity=Severity.ERROR,
    summary="An annotation is newer than the controller version set by `controller-version`",
    explanation=(
        "pomgate knows the annotations of the newest upstream controller release. A cluster may run an "
        "older one, which rejects every annotation it does not know: the whole Ingress fails (`unknown "
        "ingress.pomerium.io/<name>`, an `UpdateError` event) and none of its routes are applied. Set "
        "`controller-version:` in the configuration to the release the cluster runs (for example "
        '"0.32.9"; the default is the newest release pomgate knows) and every annotation added after it '
        "is reported with the release that added it. The table of releases was derived from the upstream "
        "repository's history and tags (see pomgate/translation/annotation_table.py); annotations that an "
        "older controller still accepted but the newest one removed (`lb_policy`) are not judged by version."
    ),
    bad=BAD,
    good=GOOD,
    check=check,
)
