"""The repository's access-test file as a whole: where it is, and its results in each environment.

A test is judged in every environment whose routes serve its URL (or only in the one it names);
one that no environment serves is reported once, as not found.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pomgate.access.runner import TestResult, problem_findings, result_findings, run_test
from pomgate.access.testfile import DEFAULT_PATH, AccessTest, TestFileProblem, parse_access_tests
from pomgate.config import folders_up
from pomgate.diff.explain import RouteTable, table_of
from pomgate.findings import Finding
from pomgate.pipeline import Analysis


@dataclass
class AccessSuite:
    """The tests of one file, and the items of it that are not tests."""

    path: str
    tests: list[AccessTest] = field(default_factory=list)
    problems: list[TestFileProblem] = field(default_factory=list)


@dataclass(frozen=True)
class JudgedTest:
    """A test's result in one environment ("" when the input has no builds or nothing serves the URL)."""

    environment: str
    result: TestResult


def parse_suite(text: str, path: str) -> AccessSuite:
    """The suite in ``text`` (the file at display path ``path``)."""
    tests, problems = parse_access_tests(text)
    return AccessSuite(path, tests, problems)


def read_suite(path: str, display: str | None = None) -> AccessSuite:
    """The suite of a file on disk; a file that cannot be read is one problem."""
    shown = display or path
    try:
        data = Path(path).read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        return AccessSuite(shown, problems=[TestFileProblem(1, f"cannot read the access-test file: {err}")])
    return parse_suite(text, shown)


def find_suite(config_path: str | None, configured: str | None, paths: Sequence[str]) -> str | None:
    """Where the access tests are: the configuration's ``access-tests`` (relative to its file), else the
    nearest ``.pomgate/access.yaml`` above the first folder given (up to the repository root), else None.
    """
    if configured is not None:
        base = os.path.dirname(config_path) if config_path else "."
        return _display(Path(os.path.normpath(os.path.join(base, configured))).resolve())
    starts = [p if os.path.isdir(p) else os.path.dirname(p) or "." for p in paths if p != "-"] or ["."]
    for start in starts:
        for folder in folders_up(Path(start)):
            found = folder / DEFAULT_PATH
            if found.is_file():
                return _display(found)
    return None


def _display(path: Path) -> str:
    """``path`` relative to the working directory when under it (as the scanner shows manifests)."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def judge(suite: AccessSuite, environments: Sequence[tuple[str, Analysis]]) -> list[JudgedTest]:
    """Every test against the environments' routes: once per environment that serves its URL."""
    tables = [(name, table_of(analysis.translation, analysis.inventory)) for name, analysis in environments]
    return [judged for test in suite.tests for judged in judge_test(test, tables)]


def judge_test(test: AccessTest, tables: Sequence[tuple[str, RouteTable]]) -> list[JudgedTest]:
    """One test in each environment serving its URL; else one not-found result (naming failing Ingresses)."""
    chosen = [(name, table) for name, table in tables if test.environment is None or name == test.environment]
    results = [(name, run_test(test, table)) for name, table in chosen]
    served = [JudgedTest(name, result) for name, result in results if result.actual != "not-found"]
    if served:
        return served
    failing = tuple(dict.fromkeys(item for _name, result in results for item in result.failing))
    return [JudgedTest("", TestResult(test, "not-found", failing=failing))]


def suite_findings(suite: AccessSuite, judged: Sequence[JudgedTest], *, named: bool) -> list[Finding]:
    """Findings for invalid items and for tests that fail or cannot be judged (``named``: say the environment)."""
    found = problem_findings(suite.problems, suite.path)
    for item in judged:
        for finding in result_findings([item.result], suite.path):
            if named and item.environment:
                finding.environments = (item.environment,)
            found.append(finding)
    return found
