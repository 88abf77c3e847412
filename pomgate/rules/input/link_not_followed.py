"""input/link-not-followed: a symbolic link in a scanned folder is not followed."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="input/link-not-followed",
    severity=Severity.WARNING,
    summary="A symbolic link is not followed (it leaves the scanned folder, loops, or points nowhere)",
    explanation=(
        "When pomgate walks a folder it reads a linked manifest only when the link points at a regular file "
        "inside that folder, and it never enters linked directories: a link can point at files of the "
        "machine running the check (a pull request controls the links in its tree), loop back to a parent, "
        "or lead to a file read twice. A link out of the folder or to nothing is a warning; a link to a "
        "directory inside the folder is only noted (info), since that directory is read where it lies. Name "
        "a file or directory explicitly on the command line to read it wherever it points."
    ),
    bad="k8s/\n  prod.yaml -> /etc/kubernetes/admin.conf   # a link out of the repository\n  loop -> ..",
    good="k8s/\n  prod.yaml                                 # a regular file",
)
