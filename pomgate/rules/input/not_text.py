"""input/not-text: a file is not UTF-8 or UTF-16 text."""

from __future__ import annotations

from pomgate.findings import Severity
from pomgate.rules.base import Rule

RULE = Rule(
    id="input/not-text",
    severity=Severity.ERROR,
    summary="A file is binary or not valid UTF-8 / UTF-16 text",
    explanation=(
        "kubectl reads manifests as UTF-8 (a UTF-8 byte-order mark is dropped, UTF-16 needs a byte-order "
        "mark). A file with NUL bytes, invalid UTF-8 sequences or text that is not valid Unicode cannot be a "
        "manifest kubectl applies, so pomgate reports it and reads nothing from it. This usually means a "
        "binary or archive ended up in a manifest directory, or an editor saved the file as Latin-1 or "
        "UTF-16 without a byte-order mark."
    ),
    bad=(
        "# deploy/ingress.yaml saved as Latin-1: the byte 0xE9 of 'café' is not valid UTF-8\n"
        "metadata:\n"
        "  annotations:\n"
        '    ingress.pomerium.io/description: "caf\\xe9 menu"'
    ),
    good=(
        '# the same file saved as UTF-8\nmetadata:\n  annotations:\n    ingress.pomerium.io/description: "café menu"'
    ),
)
