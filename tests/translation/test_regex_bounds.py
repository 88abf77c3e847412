"""Regex compilation has bounded cost: a cost cap per regex, RE2's max_mem, a time budget per Ingress."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from pomgate.findings import Finding, Severity
from pomgate.translation.budget import IngressBudget
from pomgate.translation.validation import MAX_REGEX_COST, check_regex, regex_cost, regex_problem
from tests.helpers import analyze, docs, service

P = "ingress.pomerium.io"
#: RE2 takes ~3 s to parse this (20,000 case-folded negated Unicode classes): the shape of the report.
SLOW_TO_PARSE = "(?i)[" + "\\PL" * 20_000 + "]"


def slow_valid(index: int) -> str:
    """A short path regex RE2 compiles in ~0.1-0.2 s (a large program, under RE2's 8 MiB); distinct per index."""
    return f"/v{index}/\\pL{{1,250}}"


def regex_ingress(name: str, patterns: list[str], annotations: dict[str, str] | None = None) -> str:
    """An Ingress with one ImplementationSpecific regex path per pattern (JSON is YAML)."""
    paths = [
        {
            "path": pattern,
            "pathType": "ImplementationSpecific",
            "backend": {"service": {"name": "svc", "port": {"number": 80}}},
        }
        for pattern in patterns
    ]
    document: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {
                f"{P}/path_regex": "true",
                f"{P}/allow_any_authenticated_user": "true",
                **(annotations or {}),
            },
        },
        "spec": {"ingressClassName": "pomerium", "rules": [{"host": f"{name}.example.com", "http": {"paths": paths}}]},
    }
    return json.dumps(document) + "\n"


def costly(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.rule == "regex/too-costly"]


def test_a_regex_over_the_cost_cap_is_refused_without_compiling() -> None:
    assert regex_cost(SLOW_TO_PARSE) > MAX_REGEX_COST
    started = time.perf_counter()
    analysis = analyze(docs(regex_ingress("web", [f"/p{i}/{SLOW_TO_PARSE}" for i in range(10)]), service()))
    seconds = time.perf_counter() - started
    found = costly(analysis.findings)
    assert len(found) == 10 and all(f.severity is Severity.ERROR for f in found)
    assert "is too costly to compile" in found[0].message
    assert "20,000 Unicode classes" in found[0].message
    assert len(found[0].message) < 400  # the 60 KB pattern is abbreviated, not echoed
    assert found[0].field == ("spec", "rules", 0, "http", "paths", 0, "path")
    assert analysis.translation.routes == []  # the Ingress fails
    assert seconds < 2.0, seconds  # unbounded, RE2 needs ~3 s for each of the ten


def test_a_program_over_re2s_memory_limit_is_too_costly_not_invalid() -> None:
    verdict = check_regex("/\\pL{1000}", "path regex")
    assert verdict is not None
    rule, reason = verdict
    assert rule == "regex/too-costly"
    assert "pattern too large" in reason and "8 MiB" in reason
    assert check_regex("/(?!x)", "path regex") is not None
    assert check_regex("/(?!x)", "path regex")[0] == "regex/re2"  # type: ignore[index]
    assert regex_problem("/\\pL{1,20}", "path") is None


def test_an_ingress_over_its_budget_fails_and_the_others_are_translated() -> None:
    patterns = [slow_valid(i) for i in range(100, 130)]  # ~5 s of compiling without a budget
    text = docs(regex_ingress("costly", patterns), regex_ingress("cheap", ["/api/[a-z]+"]), service())
    started = time.perf_counter()
    analysis = analyze(text, ingress_budget=0.3)
    seconds = time.perf_counter() - started
    [finding] = costly(analysis.findings)
    assert finding.obj is not None and finding.obj.name == "costly"
    assert "used up its translation budget of 0.3 s" in finding.message
    assert "was not compiled" in finding.message
    assert {route.key.ingress for route in analysis.translation.routes} == {"cheap"}
    assert seconds < 0.3 + 1.5, seconds


def test_compiled_regexes_cached_by_re2_still_count_against_the_budget() -> None:
    """google-re2 caches compiled patterns: a translation must not pass only because an earlier one paid."""
    text = docs(regex_ingress("costly", [slow_valid(i) for i in range(200, 206)]), service())
    assert not costly(analyze(text, ingress_budget=None).findings)  # compiles (and RE2 caches) all six
    started = time.perf_counter()
    again = costly(analyze(text, ingress_budget=0.2).findings)
    assert time.perf_counter() - started < 0.2  # every compile came from RE2's cache...
    assert len(again) == 1 and "used up its translation budget" in again[0].message  # ...and was charged


def test_an_annotation_pattern_shared_by_every_route_is_compiled_and_charged_once() -> None:
    rewrite = "^/(\\pL{1,250})$"  # ~0.15 s, in each of the 20 routes
    paths = [f"/r{i}/.*" for i in range(20)]
    text = docs(regex_ingress("web", paths, {f"{P}/regex_rewrite_pattern": rewrite}), service())
    analysis = analyze(text, ingress_budget=0.8)
    assert not costly(analysis.findings)
    assert len(analysis.translation.routes) == 20


def test_without_a_budget_every_regex_is_compiled() -> None:
    text = docs(regex_ingress("web", [slow_valid(i) for i in range(300, 304)]), service())
    assert not costly(analyze(text, ingress_budget=None).findings)
    assert costly(analyze(docs(regex_ingress("web2", ["/a", "/b"]), service()), ingress_budget=0.0).findings)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_budget_deadline_and_charges() -> None:
    clock = FakeClock()
    budget = IngressBudget(1.0, clock)
    assert not budget.exceeded()
    clock.now += 0.6
    assert not budget.exceeded()
    budget.charge(0.4)  # cached work counts as done
    assert budget.exceeded()
    unlimited = IngressBudget(None, clock)
    clock.now += 1e9
    assert not unlimited.exceeded()


@pytest.mark.parametrize("pattern", ["/api/.*", "^/[\\pL\\pN_-]{1,64}/.*$", "/(?i)caf\\x{e9}"])
def test_ordinary_regexes_are_untouched(pattern: str) -> None:
    assert check_regex(pattern, "path regex", IngressBudget(1.0)) is None
