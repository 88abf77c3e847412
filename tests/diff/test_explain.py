"""`pomgate explain URL`: the route that serves a URL, in Pomerium's order."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pomgate.cli.app import app
from pomgate.diff.explain import ExplainError, explain
from tests.helpers import analyze, docs, ingress, service, simple_rule

P = "ingress.pomerium.io"
USERS = {f"{P}/allowed_users": '["alice@example.com"]'}


def manifests() -> str:
    regex = {**USERS, f"{P}/path_regex": "true"}
    return docs(
        ingress(name="api", annotations=USERS, rules=simple_rule(host="app.example.com", path="/api", service="api")),
        ingress(
            name="catchall",
            annotations=regex,
            rules=simple_rule(host="app.example.com", path="/.*", path_type="ImplementationSpecific"),
        ),
        ingress(
            name="wild",
            annotations={f"{P}/allow_public_unauthenticated_access": "true"},
            rules=simple_rule(host="'*.example.com'"),
        ),
        service(),
        service(name="api"),
    )


def test_a_regex_route_sorted_first_takes_the_request_from_a_more_specific_prefix() -> None:
    analysis = analyze(manifests())
    found = explain(analysis.translation.routes, "https://app.example.com/api/users")
    assert found.group_host == "app.example.com"
    assert found.winner is not None and found.winner.ingress.name == "catchall"
    assert [route.ingress.name for route in found.shadowed] == ["api"]


def test_exact_host_group_beats_wildcard_and_wildcard_serves_other_hosts() -> None:
    analysis = analyze(manifests())
    other = explain(analysis.translation.routes, "https://status.example.com/")
    assert other.group_host == "*.example.com" and other.winner is not None
    assert other.winner.ingress.name == "wild"
    none = explain(analysis.translation.routes, "https://example.org/")
    assert none.winner is None and none.group == []
    with pytest.raises(ExplainError):
        explain(analysis.translation.routes, "ftp://app.example.com/")


def test_cli_text_and_json(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "m.yaml"  # type: ignore[operator]
    path.write_text(manifests())
    runner = CliRunner()
    text = runner.invoke(app, ["explain", "https://app.example.com/api/x", str(path), "--no-cache"])
    assert text.exit_code == 0, text.output
    assert "Served by Ingress default/catchall" in text.output
    assert "Shadows Ingress default/api" in text.output
    assert "Who gets in: allowed_users" in text.output
    result = runner.invoke(app, ["explain", "https://app.example.com/api/x", str(path), "-f", "json", "--no-cache"])
    document = json.loads(result.output)
    assert document["winner"]["ingress"] == {"namespace": "default", "name": "catchall"}
    assert document["winner"]["source"]["line"] is not None
    missing = runner.invoke(app, ["explain", "https://nowhere.test/", str(path), "--no-cache"])
    assert missing.exit_code == 1 and "Pomerium answers 404" in missing.output
