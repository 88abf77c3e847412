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
    rss_mb: list[float] = field(default_factory=list)

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


def run_once(case: Case, repetition: int) -> tuple[float, float]:
    """Time one run of ``case`` (output discarded): wall seconds and peak RSS in MiB (wait4)."""
    import os
    import tempfile

    if case.before is not None:
        case.before(repetition)
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(case.argv, stdout=subprocess.DEVNULL, stderr=errors)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in case.ok_codes:
            errors.seek(0)
            tail = errors.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"{case.name}: exit {process.returncode}: {tail}")
    return elapsed, usage.ru_maxrss / 1024


def side_by_side(cases: Sequence[Case], repetitions: int, *, warmup: bool = True) -> list[Timing]:
    """Alternate the cases ``repetitions`` times (after one untimed warm-up round)."""
    timings = [Timing(case.name) for case in cases]
    if warmup:
        for case in cases:
            run_once(case, -1)
    for repetition in range(repetitions):
        for case, timing in zip(cases, timings, strict=True):
            elapsed, rss = run_once(case, repetition)
            timing.samples.append(elapsed)
            timing.rss_mb.append(rss)
    return timings


def table(timings: Sequence[Timing], baseline: str) -> str:
    """A Markdown table: median, spread and ratio to ``baseline`` for each timing."""
    base = next(t for t in timings if t.name == baseline).median
    rows = ["| command | median s | spread s | peak RSS MiB | vs baseline |", "| --- | --- | --- | --- | --- |"]
    for timing in timings:
        rss = statistics.median(timing.rss_mb) if timing.rss_mb else 0.0
        rows.append(
            f"| {timing.name} | {timing.median:.2f} | {timing.spread:.2f} | {rss:.0f} | {timing.median / base:.3f}× |"
        )
    return "\n".join(rows)
