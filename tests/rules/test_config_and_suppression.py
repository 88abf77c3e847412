"""Configuration files and per-object suppressions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pomgate.config import ConfigError, find_config, load_config
from tests.helpers import analyze, docs, ingress, service, simple_rule

P = "ingress.pomerium.io"


def tcp(name: str, extra: dict[str, str] | None = None) -> str:
    rule = simple_rule(host="db.example.com", path=None, path_type="ImplementationSpecific", port="number: 5432")
    return ingress(name=name, annotations={f"{P}/tcp_upstream": "true", **(extra or {})}, rules=rule)


def test_suppression_with_reason_hides_the_finding() -> None:
    text = docs(tcp("a", {"pomgate.io/ignore": "routing/duplicate-tcp-host: shared bastion"}), tcp("b"), service())
    rules = [(f.rule, f.obj.name if f.obj else "") for f in analyze(text).findings]
    assert ("routing/duplicate-tcp-host", "a") not in rules
    assert ("routing/duplicate-tcp-host", "b") in rules


def test_suppression_without_reason_is_reported_and_suppresses_nothing() -> None:
    text = docs(tcp("a", {"pomgate.io/ignore": "routing/duplicate-tcp-host"}), tcp("b"), service())
    rules = [(f.rule, f.obj.name if f.obj else "") for f in analyze(text).findings]
    assert ("suppression/invalid", "a") in rules
    assert ("routing/duplicate-tcp-host", "a") in rules


def test_unused_suppression_is_reported_on_its_line() -> None:
    text = docs(ingress(annotations={"pomgate.io/ignore": "routing/empty-host: legacy"}), service())
    (finding,) = [f for f in analyze(text).findings if f.rule == "suppression/unused"]
    assert "pomgate.io/ignore" in text.splitlines()[(finding.line or 0) - 1]


def test_config_file_select_ignore_severity_and_exclude(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".pomgate.yaml").write_text(
        "ignore: [reference]\nseverity: {policy/invalid: warning}\nexclude: ['*/skip/*']\nnamespace: team\n"
    )
    assert find_config(tmp_path) == tmp_path / ".pomgate.yaml"
    config = load_config(tmp_path / ".pomgate.yaml")
    text = docs(ingress(annotations={f"{P}/policy": "allow: {maybe: []}"}))
    findings = config.apply(analyze(text).findings)
    assert [(f.rule, f.severity.value) for f in findings] == [("policy/invalid", "warning")]
    assert config.setting("namespace", None, "default") == "team"
    assert config.setting("namespace", "cli", "default") == "cli"
    assert not config.wants_path("apps/skip/x.yaml")


def test_pyproject_tool_section_and_bad_configs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pomgate]\nselect = ["routing"]\n')
    assert load_config(tmp_path / "pyproject.toml").select == ["routing"]
    (tmp_path / "bad.yaml").write_text("selct: [x]\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(tmp_path / "bad.yaml")


def test_cli_uses_config_and_reports_bad_config_as_usage_error(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "x.yaml").write_text(docs(ingress(annotations={f"{P}/policy": "allow: {maybe: []}"}), service()))
    (tmp_path / ".pomgate.yaml").write_text("fail-on: never\n")
    run = [sys.executable, "-m", "pomgate", "check", "--format", "json", str(tmp_path)]
    env_cwd = tmp_path
    result = subprocess.run(
        run,
        capture_output=True,
        text=True,
        cwd=env_cwd,
        check=False,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["errors"] == 1
    (tmp_path / ".pomgate.yaml").write_text("fail-on: [x]\n")
    result = subprocess.run(
        run,
        capture_output=True,
        text=True,
        cwd=env_cwd,
        check=False,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2 and ".pomgate.yaml" in result.stderr and "Traceback" not in result.stderr
