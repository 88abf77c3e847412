"""Cross-object routing rules."""

from __future__ import annotations

import subprocess
import sys

from pomgate.findings import Severity
from pomgate.rules import all_rules
from tests.helpers import analyze, docs, ingress, service, simple_rule

P = "ingress.pomerium.io"


def tcp_ingress(name: str, host: str, port: int) -> str:
    rule = simple_rule(host=host, path=None, path_type="ImplementationSpecific", port=f"number: {port}")
    return ingress(name=name, annotations={f"{P}/tcp_upstream": "true"}, rules=rule)


def test_tcp_host_used_by_two_ingresses_is_reported_on_both_at_the_host_line() -> None:
    text = docs(tcp_ingress("a", "db.example.com", 5432), tcp_ingress("b", "db.example.com", 6379), service())
    analysis = analyze(text)
    found = [f for f in analysis.findings if f.rule == "routing/duplicate-tcp-host"]
    assert sorted(f.obj.name for f in found if f.obj) == ["a", "b"]
    assert all(f.severity is Severity.ERROR for f in found)
    lines = text.splitlines()
    assert all(f.line and "host: db.example.com" in lines[f.line - 1] for f in found)


def test_distinct_tcp_hosts_and_http_routes_on_one_host_are_fine() -> None:
    text = docs(
        tcp_ingress("a", "pg.example.com", 5432),
        tcp_ingress("b", "redis.example.com", 6379),
        ingress(name="c", rules=simple_rule(host="pg.example.com")),
        service(),
    )
    assert not [f for f in analyze(text).findings if f.rule == "routing/duplicate-tcp-host"]


def test_every_rule_has_id_severity_explanation_and_example() -> None:
    rules = all_rules()
    assert "routing/duplicate-tcp-host" in rules
    for rule_id, rule in rules.items():
        assert rule_id == rule.id and "/" in rule_id
        assert rule.summary and len(rule.explanation) > 80 and rule.bad and rule.good


def test_rules_command_lists_and_explains() -> None:
    run = [sys.executable, "-m", "pomgate", "rules"]
    listing = subprocess.run(run, capture_output=True, text=True, check=False)
    assert listing.returncode == 0 and "routing/duplicate-tcp-host" in listing.stdout
    one = subprocess.run([*run, "routing/duplicate-tcp-host"], capture_output=True, text=True, check=False)
    assert one.returncode == 0 and "Bad:" in one.stdout and "Good:" in one.stdout
    unknown = subprocess.run([*run, "nope/nope"], capture_output=True, text=True, check=False)
    assert unknown.returncode == 2 and "no rule or family 'nope/nope'" in unknown.stderr
    assert "routing" in unknown.stderr.split("Families:", 1)[1]  # the families to choose from
