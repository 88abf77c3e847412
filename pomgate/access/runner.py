"""Run access tests against translated routes: which route serves the URL, and what its policy decides.

The route is the one Pomerium would pick (`pomgate.diff.explain.RouteTable`); its policy is evaluated
for the test's identity and request (`pomgate.translation.evaluation`). A test passes when the
decision is the expected one; it is *unresolved* when no route serves the URL (unless it expects
``not-found``) or when the decision depends on something pomgate cannot know offline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from pomgate.access.testfile import AccessTest, TestFileProblem
from pomgate.diff.explain import Explanation, RouteTable
from pomgate.findings import Finding, Severity
from pomgate.translation.evaluation import Outcome, evaluate_route
from pomgate.translation.ppl import PolicyError
from pomgate.translation.route import Route

Actual = Literal["allow", "deny", "depends", "not-found"]

FAILED: Final = "access/test-failed"
UNRESOLVED: Final = "access/test-unresolved"
INVALID: Final = "access/test-invalid"


@dataclass(frozen=True)
class TestResult:
    """What one test found."""

    test: AccessTest
    actual: Actual
    route: Route | None = None
    outcome: Outcome | None = None
    #: Ingresses for the URL's host that fail translation (their error), when no route serves it.
    failing: tuple[tuple[str, str], ...] = ()

    @property
    def passed(self) -> bool:
        return self.actual == self.test.expect

    @property
    def unresolved(self) -> bool:
        """Neither pass nor fail can be said: the verdict depends on unknown inputs, or nothing serves it."""
        return self.actual == "depends" or (self.actual == "not-found" and self.test.expect != "not-found")

    def because(self) -> str:
        """Which route and rule decided, in words."""
        if self.actual == "not-found":
            text = f"no route serves {self.test.url} (Pomerium answers 404)"
            for ingress, error in self.failing:
                text += f"; Ingress {ingress} would serve this host but fails translation: {error}"
            return text
        assert self.route is not None and self.outcome is not None
        where = (
            f"route {describe_route(self.route)} of Ingress {self.route.ingress.namespace}/{self.route.ingress.name}"
        )
        return f"{where}: {self.outcome.deciding}"


def describe_route(route: Route) -> str:
    """`https://host prefix /x`."""
    return f"{route.from_url} {route.match_text()}".rstrip()


def run_test(test: AccessTest, table: RouteTable) -> TestResult:
    """Resolve the test's URL and evaluate the serving route's policy."""
    found: Explanation = table.resolve(test.url)
    if found.winner is None:
        failing = tuple((f"{ref.namespace}/{ref.name}", error) for ref, error in found.failing)
        return TestResult(test, "not-found", failing=failing)
    try:
        outcome = evaluate_route(found.winner.fields, test.identity, test.request)
    except PolicyError:  # a route with an unreadable policy is never rendered; judge it as Pomerium can't
        return TestResult(test, "not-found")
    return TestResult(test, outcome.decision, found.winner, outcome)


def run_tests(tests: Iterable[AccessTest], table: RouteTable, environment: str | None = None) -> list[TestResult]:
    """Every test (of ``environment``, when the tests name environments) against one route table."""
    return [
        run_test(test, table)
        for test in tests
        if test.environment is None or environment is None or test.environment == environment
    ]


def result_findings(results: Sequence[TestResult], path: str) -> list[Finding]:
    """A finding at the test's line for each test that fails or cannot be judged."""
    found = []
    for result in results:
        if result.passed:
            continue
        test = result.test
        if result.unresolved:
            rule, severity = UNRESOLVED, Severity.WARNING
            message = f"access test {test.title!r} cannot be judged: {result.because()}"
        else:
            rule, severity = FAILED, Severity.ERROR
            message = f"access test {test.title!r} expects {test.expect}, got {result.actual}: {result.because()}"
        found.append(Finding(rule=rule, severity=severity, message=message, path=path, line=test.line))
    return found


def problem_findings(problems: Sequence[TestFileProblem], path: str) -> list[Finding]:
    """A finding for each item of the file that is not a valid test."""
    return [
        Finding(
            rule=INVALID, severity=Severity.ERROR, message=f"invalid access test: {p.message}", path=path, line=p.line
        )
        for p in problems
    ]
