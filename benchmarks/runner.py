"""Run commands side by side (alternating), several times, and report medians, spread and ratios."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Timing:
    """Wall-clock samples of one command."""

    name: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        return max(self.samples) - min(self.samples)


@dataclass
class Case:
    """One command to time; ``before`` runs (untimed) before every repetition."""

    name: str
    argv: Sequence[str]
    before: Callable[[int], None] | None = None
    ok_codes: tuple[int, ...] = (0, 1)


def run_once(case: Case, repetition: int) -> float:
    """Time one run of ``case`` (output discarded); fail loudly on an unexpected exit code."""
    if case.before is not None:
        case.before(repetition)
    start = time.perf_counter()
    done = subprocess.run(case.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in case.ok_codes:
        raise SystemExit(f"{case.name}: exit {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def side_by_side(cases: Sequence[Case], repetitions: int, *, warmup: bool = True) -> list[Timing]:
    """Alternate the cases ``repetitions`` times (after one untimed warm-up round)."""
    timings = [Timing(case.name) for case in cases]
    if warmup:
        for case in cases:
            run_once(case, -1)
    for repetition in range(repetitions):
        for case, timing in zip(cases, timings, strict=True):
            timing.samples.append(run_once(case, repetition))
    return timings


def table(timings: Sequence[Timing], baseline: str) -> str:
    """A Markdown table: median, spread and ratio to ``baseline`` for each timing."""
    base = next(t for t in timings if t.name == baseline).median
    rows = ["| command | median s | spread s | vs baseline |", "| --- | --- | --- | --- |"]
    for timing in timings:
        rows.append(f"| {timing.name} | {timing.median:.2f} | {timing.spread:.2f} | {timing.median / base:.3f}× |")
    return "\n".join(rows)
