"""annotation/allowed-groups: the removed allowed_groups annotation."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/allowed_groups: '["admins"]'
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/policy: '[{"allow":{"or":[{"claim/groups":"admins"}]}}]'
"""

RULE = Rule(
    id="annotation/allowed-groups",
    severity=Severity.ERROR,
    summary="ingress.pomerium.io/allowed_groups is no longer supported",
    explanation=(
        "Older Pomerium documentation still lists `allowed_groups`, but the controller rejects it with "
        "`allowed_groups no longer supported` (directory sync was removed from open-source Pomerium). The "
        "whole Ingress fails: the controller records an `UpdateError` event on it and applies none of its "
        "routes (an Ingress that worked before keeps its previous routes). Express group membership in a "
        "`policy` annotation with the `claim/groups` criterion (groups from the identity token) or `groups`."
    ),
    bad=BAD,
    good=GOOD,
)
