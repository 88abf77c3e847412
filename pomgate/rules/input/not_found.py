"""input/not-found: a path given on the command line does not exist."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="input/not-found",
    severity=Severity.ERROR,
    summary="A file or directory named on the command line does not exist",
    explanation=(
        "Every path passed to pomgate must be an existing file, a directory or `-` for standard input. A "
        "missing path usually means a typo or a manifest directory that moved, and silently checking less "
        "than asked would let broken Ingresses through CI. The other inputs are still read, but `pomgate "
        "render` and `pomgate check` print the error and exit with status 2, as for any other usage error."
    ),
    bad="$ pomgate check deploy/ingres.yaml     # typo: the file is deploy/ingress.yaml",
    good="$ pomgate check deploy/ingress.yaml",
)
