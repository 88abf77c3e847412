"""Run the shared conformance yardstick (../shared/conformance/run) against this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "run"


@pytest.mark.skipif(not RUNNER.exists(), reason=f"conformance runner not found at {RUNNER}")
def test_conformance_cases_all_pass() -> None:
    pomgate = shutil.which("pomgate", path=os.path.dirname(sys.executable)) or f"{sys.executable} -m pomgate"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--pomgate", pomgate],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert last.endswith(" 0 failed"), last
