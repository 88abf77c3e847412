"""The fast paths change only the time: cache and second process leave `check --format json` as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import write_corpus

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Above the thresholds where the second process is used (400 objects, 400 Ingresses).
    return write_corpus(tmp_path_factory.mktemp("corpus"), 450, bad_fraction=0.1)


def check_json(corpus: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pomgate", "check", ".", "--format", "json", *args],
        cwd=corpus,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT)},
    )
    assert done.returncode == 1, done.stderr  # the seeded mistakes are errors
    return done.stdout


def test_json_output_is_identical_with_and_without_cache_and_with_one_or_two_workers(
    corpus: Path, tmp_path: Path
) -> None:
    cache = str(tmp_path / "cache")
    reference = check_json(corpus, "--no-cache", "--workers", "1")
    assert '"rule": "policy/' in reference and '"rule": "routing/duplicate-tcp-host"' in reference
    assert check_json(corpus, "--no-cache", "--workers", "2") == reference
    assert check_json(corpus, "--cache-dir", cache, "--workers", "2") == reference  # cold cache, filled
    assert check_json(corpus, "--cache-dir", cache, "--workers", "2") == reference  # warm cache
    assert check_json(corpus, "--cache-dir", cache, "--workers", "1") == reference
