"""`pomgate diff --format markdown`: the pull-request comment and job summary (filled in below)."""

from __future__ import annotations

from pomgate.diff.compare import DiffResult
from pomgate.diff.report import headline


def diff_markdown(result: DiffResult, label: str) -> str:
    """Placeholder until the safe Markdown builders land: the headline only."""
    return headline(result, label) + "\n"
