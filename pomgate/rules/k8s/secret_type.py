"""k8s/secret-type: a typed Secret lacks the keys its type requires."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

GOOD = """\
apiVersion: v1
kind: Secret
metadata:
  name: registry
type: kubernetes.io/basic-auth
stringData:
  username: deploy
  password: change-me
"""

RULE = Rule(
    id="k8s/secret-type",
    severity=Severity.ERROR,
    summary="A `kubernetes.io/...` Secret type without the keys that type requires",
    explanation=(
        "Built-in Secret types require keys: `kubernetes.io/tls` needs both `tls.crt` and `tls.key` (their "
        "content is not checked), `kubernetes.io/basic-auth` needs `username` or `password`, "
        "`kubernetes.io/ssh-auth` a non-empty `ssh-privatekey`, `kubernetes.io/dockerconfigjson` a "
        "`.dockerconfigjson` JSON object, and `kubernetes.io/service-account-token` the annotation "
        "`kubernetes.io/service-account.name` (e.g. `data[tls.key]: Required value`). `Opaque` and custom "
        "types accept any keys."
    ),
    bad=GOOD.replace("  username: deploy\n  password: change-me\n", "  user: deploy\n  pass: change-me\n"),
    good=GOOD,
)
