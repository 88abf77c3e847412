"""policy/invalid: the policy annotation is not a policy the open-source compiler accepts."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/policy: '{"allow":{"or":[{"group":"admins"},{"day_of_week":"mon-fri"}]}}'
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/policy: '{"allow":{"or":[{"claim/groups":"admins"}]}}'
"""

RULE = Rule(
    id="policy/invalid",
    severity=Severity.ERROR,
    summary="The ingress.pomerium.io/policy annotation is not valid Pomerium Policy Language",
    explanation=(
        "The controller compiles the `policy` annotation with the open-source PPL compiler when it translates "
        "the Ingress. Text that is not YAML or JSON, an empty value (`EOF`), a wrong structure (an action "
        "other than `allow`/`deny`, a conditional other than `and`/`or`/`not`/`nor`, a criterion object with "
        "several keys), an unknown criterion name, criterion data the compiler rejects, and the criteria that "
        "exist only in Pomerium Enterprise/Zero (`date`, `day_of_week`, `time_of_day`, `record`, "
        "`pomerium_routes`) all fail the Ingress with `couldn't parse policy: ...`: it gets an "
        "`UpdateError` event and none of its routes are applied. pomgate suggests the closest valid name "
        "for a misspelt criterion, conditional or operator."
    ),
    bad=BAD,
    good=GOOD,
)
