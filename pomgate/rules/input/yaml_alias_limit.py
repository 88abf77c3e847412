"""input/yaml-alias-limit: YAML aliases expand too far or refer to themselves."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

BAD = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: loop
data: &data
  self: *data
"""

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels
    app: web
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""

RULE = Rule(
    id="input/yaml-alias-limit",
    severity=Severity.ERROR,
    summary="A document's YAML aliases refer to themselves or expand excessively",
    explanation=(
        "YAML anchors (`&x`) and aliases (`*x`) let a document reuse a node. An alias inside the node it "
        "refers to makes the document infinitely deep, and nested aliases can expand a small file into "
        "millions of nodes (the 'billion laughs' attack). kubectl refuses such documents (go-yaml reports "
        "excessive aliasing), so pomgate skips the document: more than 100,000 nodes added through aliases, "
        "or go-yaml's alias-to-size ratio exceeded, or a self-referencing alias."
    ),
    bad=BAD,
    good=GOOD,
)
