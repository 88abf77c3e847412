"""The benchmark runners work end to end (a smoke-sized run; real figures come from `python -m benchmarks`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", *args], cwd=PROJECT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_check_benchmark_prints_ratios_to_the_parse_floor() -> None:
    out = run("check", "--sizes", "60,120", "--repetitions", "1", "--own-generator")
    assert "| parse floor, bytes to the C loader |" in out and "| pomgate check, 2 workers |" in out
    assert "scaling 60 -> 120" in out


def test_controller_benchmark_times_changes_to_the_written_config() -> None:
    out = run("controller", "--ingresses", "30", "--changes", "3")
    rows = {}
    for line in out.splitlines():
        if line.startswith("| 30 |"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[1]] = cells
    assert set(rows) == {"file", "databroker"}  # both outputs, side by side in one run
    assert all(float(cells[6]) > 0 for cells in rows.values())  # p95 ms of change -> written config
    assert "30 Ingresses: databroker p95 / file p95 = " in out


def test_peers_benchmark_lists_what_it_ran() -> None:
    out = run("peers", "--ingresses", "15", "--repetitions", "1")
    assert "| pomgate check, 2 workers |" in out
    assert "kubernetes-validate" in out  # run (a test dependency) or listed as not installed
