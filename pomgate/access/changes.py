"""Access tests in a diff: the tests whose outcome a change flips, and the failures it introduces or fixes.

The tests are those of the head's file plus those of the base's that the head no longer has (a pull
request cannot hide a flipped expectation by deleting its test). Each is judged on both sides, in
the plain manifests and in every changed environment; a test whose result differs is listed, and a
test that passes on one side and not on the other becomes a finding introduced or fixed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pomgate.access.runner import TestResult, result_findings, run_test
from pomgate.access.suite import AccessSuite, parse_suite
from pomgate.access.testfile import DEFAULT_PATH, AccessTest
from pomgate.config import Config, repository_folders_up
from pomgate.diff.explain import table_of
from pomgate.pipeline import Analysis

if TYPE_CHECKING:
    import git

    from pomgate.diff.compare import DiffResult


@dataclass(frozen=True)
class AccessTestChange:
    """A test whose result differs between the two sides (in one environment, "" for the plain manifests)."""

    test: AccessTest
    path: str
    environment: str
    before: TestResult
    after: TestResult

    def as_dict(self) -> dict[str, Any]:
        """The diff contract's form."""
        out: dict[str, Any] = {
            "test": self.test.title,
            "path": self.path,
            "line": self.test.line,
            "expect": self.test.expect,
            "before": self.before.actual,
            "after": self.after.actual,
            "because": self.after.because(),
        }
        if self.environment:
            out["environment"] = self.environment
        return out


def suite_candidates(config: Config, prefixes: Sequence[str]) -> list[str]:
    """Repository paths where a revision's access tests may be, nearest first."""
    if config.access_tests is not None:
        config_path = (config.path or "").split(":", 1)[-1]
        return [posixpath.normpath(posixpath.join(posixpath.dirname(config_path), config.access_tests))]
    found = [
        posixpath.join(folder, DEFAULT_PATH) if folder else DEFAULT_PATH
        for prefix in prefixes or [""]
        for folder in repository_folders_up(prefix)
    ]
    return list(dict.fromkeys(found))


def revision_suite(repo: git.Repo, rev: str | None, candidates: Sequence[str]) -> AccessSuite | None:
    """The first candidate file of revision ``rev`` (the working tree when None), parsed."""
    from pomgate.diff.gitread import revision_paths

    if rev is None:
        root = Path(str(repo.working_tree_dir))
        for path in candidates:
            file = root / path
            if file.is_file() and not file.is_symlink():
                return parse_suite(file.read_bytes().decode("utf-8-sig", "replace"), path)
        return None
    files = revision_paths(repo, rev, candidates)
    for path in candidates:
        if path in files:
            return parse_suite(files[path].decode("utf-8-sig", "replace"), path)
    return None


def record_access_changes(result: DiffResult, base: AccessSuite | None, head: AccessSuite | None) -> None:
    """Fill ``result.access_tests`` and add the test failures the change introduces or fixes."""
    if base is None and head is None:
        return
    path = (head or base).path  # type: ignore[union-attr]
    tests = list(head.tests) if head is not None else []
    kept = {test.key() for test in tests}
    tests += [test for test in (base.tests if base is not None else []) if test.key() not in kept]
    sides: list[tuple[str, Analysis, Analysis]] = [("", result.base, result.head), *result.environment_sides]
    for environment, before_analysis, after_analysis in sides:
        before_table = table_of(before_analysis.translation, before_analysis.inventory)
        after_table = table_of(after_analysis.translation, after_analysis.inventory)
        for test in tests:
            if test.environment is not None and environment and test.environment != environment:
                continue
            before, after = run_test(test, before_table), run_test(test, after_table)
            if before.actual == after.actual:
                continue
            result.access_tests.append(AccessTestChange(test, path, environment, before, after))
            named = (environment,) if environment else ()
            if before.passed and not after.passed:
                for finding in result_findings([after], path):
                    finding.environments = named
                    result.introduced.append(finding)
            elif after.passed and not before.passed:
                for finding in result_findings([before], path):
                    finding.environments = named
                    result.fixed.append(finding)
