"""input/unreadable: a file or directory exists but cannot be read."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="input/unreadable",
    severity=Severity.ERROR,
    summary="A manifest file cannot be read, or a directory cannot be listed",
    explanation=(
        "The operating system refused to read an input (for example a permission error). "
        "A file that cannot be read is an error: its objects are missing from the analysis, so "
        "references to them may be reported as missing and its Ingresses are not checked at all. A "
        "subdirectory that cannot be listed while walking a directory is reported as a warning and skipped; "
        "the rest of the tree is still read."
    ),
    bad="$ ls -l deploy/ingress.yaml\n--w------- 1 ci ci 812 deploy/ingress.yaml   # not readable by the CI user",
    good="$ ls -l deploy/ingress.yaml\n-rw-r--r-- 1 ci ci 812 deploy/ingress.yaml",
)
