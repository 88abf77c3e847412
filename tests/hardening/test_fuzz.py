"""Fuzzing at a smoke budget, and every input that ever failed, replayed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from pomgate.pipeline import analyze_objects
from pomgate.reports.check_output import write_check
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from tests.hardening.fuzz import REGRESSIONS, TARGETS, load_regression, regex, time_limit

SMOKE = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_never_raises_or_hangs(name: str) -> None:
    target, strategy = TARGETS[name]

    @SMOKE
    @given(strategy)
    def run(values: tuple[Any, ...]) -> None:
        target(*values)

    run()


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.json")), ids=lambda p: p.stem)
def test_regression_corpus(path: Path) -> None:
    name, args = load_regression(path)
    TARGETS[name][0](*args)


def test_the_regression_that_leaked_a_secret_stays_fixed() -> None:
    _name, (data,) = load_regression(REGRESSIONS / "manifest-bytes-control-char-line-shift.json")
    objects, findings = scan_text(data, "f.yaml", "default")
    analysis = analyze_objects(objects, TranslateOptions(), scan_findings=findings, sources={"f.yaml": data})
    out = io.StringIO()
    write_check(analysis, "text", out, color=False)
    assert "very-secret-value" not in out.getvalue()


def test_catastrophic_backtracking_is_instant_with_re2() -> None:
    # Python's backtracking `re` takes exponential time on this pattern against 'aaaa...!'; manifests'
    # regexes are only ever compiled by RE2 (linear time), which answers at once.
    import re
    import time

    pattern = "^(a+)+$"
    subject = "a" * 26 + "!"
    started = time.perf_counter()
    with time_limit(5):
        regex(pattern)
        import re2

        assert re2.search(pattern, subject) is None
    assert time.perf_counter() - started < 0.5
    started = time.perf_counter()
    assert re.search(pattern, "a" * 20 + "!") is None  # 2**20 steps already: measurably slow
    assert time.perf_counter() - started > 0.01
