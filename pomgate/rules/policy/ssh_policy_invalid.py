"""policy/ssh-policy-invalid: upstream_tunnel_ssh_policy is not structurally valid PPL."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
metadata:
  annotations:
    ingress.pomerium.io/upstream_tunnel_ssh_policy: '{"allow":[{"ssh_username":"deploy"}]}'
"""

GOOD = """\
metadata:
  annotations:
    ingress.pomerium.io/upstream_tunnel_ssh_policy: '{"allow":{"and":[{"ssh_username":"deploy"}]}}'
"""

RULE = Rule(
    id="policy/ssh-policy-invalid",
    severity=Severity.ERROR,
    summary="The upstream_tunnel_ssh_policy annotation is not structurally valid PPL",
    explanation=(
        "The controller stores `upstream_tunnel_ssh_policy` as raw text; Pomerium core parses it when it "
        "validates the route, and rejects text that is not YAML/JSON or not shaped like a policy (actions "
        "must map to objects of `and`/`or`/`not`/`nor` lists of one-key criteria). Criterion names are not "
        "checked at that point. The update fails with `config validation: error converting upstream "
        "tunnel: ...`, so the Ingress gets an `UpdateError` event and none of its routes are applied."
    ),
    bad=BAD,
    good=GOOD,
)
