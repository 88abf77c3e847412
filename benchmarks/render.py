"""`python -m benchmarks render`: `pomgate render` as YAML next to render as JSON, on one corpus.

Both commands run alternately on the same generated tree (no scan cache, so each one reads and
translates everything); the table gives each one's median and the YAML/JSON ratio, which the
project keeps under 1.5.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.runner import Case, side_by_side, table

JSON_CASE = "pomgate render -f json"
YAML_CASE = "pomgate render -f yaml"


def render_cases(corpus: Path) -> list[Case]:
    """The two commands timed: the same render, as JSON (the baseline) and as YAML."""
    common = ["render", str(corpus), "--no-cache", "--no-build", "--allow-empty"]
    return [
        Case(JSON_CASE, [sys.executable, "-m", "pomgate", *common, "-f", "json"]),
        Case(YAML_CASE, [sys.executable, "-m", "pomgate", *common, "-f", "yaml"]),
    ]


def bench_render(args: argparse.Namespace) -> None:
    """Time both renders side by side and print the table and the YAML/JSON ratio."""
    from benchmarks.__main__ import corpus_dir

    with tempfile.TemporaryDirectory(prefix="pomgate-bench-") as scratch_name:
        corpus = corpus_dir(args, Path(scratch_name))
        cases = render_cases(corpus)
        timings = side_by_side(cases, args.repetitions)
        by_name = {timing.name: timing.median for timing in timings}
        print(f"\n{args.ingresses:,} Ingresses ({corpus})" if not args.corpus else f"\n{corpus}")
        print(table(timings, JSON_CASE))
        print(f"\nYAML / JSON: {by_name[YAML_CASE] / by_name[JSON_CASE]:.2f}")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"{args.repetitions} alternating repetitions after a warm-up, {time.strftime('%Y-%m-%d')}"
        )
