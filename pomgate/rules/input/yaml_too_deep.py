"""input/yaml-too-deep: a document is nested too deeply to read."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="input/yaml-too-deep",
    severity=Severity.ERROR,
    summary="A document is nested more than 256 levels deep and is skipped",
    explanation=(
        "pomgate refuses documents whose mappings and sequences nest more than 256 levels (directly or "
        "through aliases), or so deeply that the YAML parser gives up. No real manifest comes close (large "
        "CRD schemas stay under about 100 levels); such input is generated garbage or an attempt to exhaust "
        "the tools that read it. The document is skipped and the rest of the file is still read."
    ),
    bad="a:\n  a:\n    a:\n      # ... 300 levels of nested mappings\n        a: 1",
    good="# a manifest nested a few levels deep, as Kubernetes objects are",
)
