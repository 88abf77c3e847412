"""input/file-too-large: a file is far larger than any manifest Kubernetes would accept."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="input/file-too-large",
    severity=Severity.ERROR,
    summary="A file is over 32 MiB: not read",
    explanation=(
        "The API server refuses any request body over 3 MiB and etcd stores objects of at most 1.5 MiB, so "
        "a manifest file of more than 32 MiB cannot be applied as it stands; reading it would only cost "
        "time and memory (a YAML file expands to several times its size in memory). pomgate skips such a "
        "file and reports it. This usually means a data dump, a log or a generated bundle ended up in a "
        "manifest directory; split real manifests into files of reasonable size."
    ),
    bad="# deploy/all.yaml: 200 MiB of generated objects",
    good="# deploy/apps/*.yaml: one file per app, each a few KiB",
)
