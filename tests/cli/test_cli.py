"""The `pomgate` command as users run it (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def pomgate(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=cwd or ROOT,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    from pomgate import __version__

    result = pomgate("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"pomgate {__version__}"


def test_help_teaches_the_commands() -> None:
    result = pomgate("--help")
    assert result.returncode == 0
    assert "render" in result.stdout and "check" in result.stdout
    assert (
        "pomgate render" in pomgate("render", "--help").stdout
        or "Print the Pomerium routes" in pomgate("render", "--help").stdout
    )


def test_render_examples_yaml_round_trips_and_reports_the_deliberate_mistake() -> None:
    result = pomgate("render", "--environment", "examples/apps", str(EXAMPLES))
    assert result.returncode == 1
    document = YAML(typ="safe").load(result.stdout)
    froms = [r["from"] for r in document["routes"]]
    assert "https://grafana.example.com" in froms
    assert "tcp+https://pg.example.com:5432" in froms
    assert not any("admin.example.com" in f for f in froms)
    assert 'unsupported conditional "maybe"' in result.stderr
    assert "admin.yaml:" in result.stderr
    assert "example-not-a-real-key" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_render_without_an_environment_prints_each_environments_routes() -> None:
    result = pomgate("render", str(EXAMPLES))
    assert result.returncode == 1
    documents = list(YAML(typ="safe").load_all(result.stdout))
    names = [line.removeprefix("# environment: ") for line in result.stdout.splitlines() if line.startswith("#")]
    assert '"examples/apps"' in names and '"examples/gitops/overlays/prod"' in names
    assert len(documents) == len(names) and all(list(document) == ["routes"] for document in documents)
    listed = json.loads(pomgate("render", "--format", "json", str(EXAMPLES)).stdout)
    assert [item["name"] for item in listed["environments"]] == [name.strip('"') for name in names]
    unknown = pomgate("render", "--environment", "nope", str(EXAMPLES))
    assert unknown.returncode == 2 and "no environment 'nope'" in unknown.stderr
    assert "examples/gitops/overlays/dev" in unknown.stderr


def test_render_json_contract_and_show_secrets() -> None:
    result = pomgate("render", "--format", "json", str(EXAMPLES / "apps" / "billing-api"))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["version", "routes"]
    api = next(r for r in document["routes"] if r.get("prefix") == "/api")
    assert api["to"] == ["http://billing-api.billing.svc.cluster.local:8080"]
    assert api["set_request_headers"]["X-Team"] == "billing"
    assert api["set_request_headers"]["X-Api-Key"].startswith("<redacted")
    shown = json.loads(
        pomgate("render", "--format", "json", "--show-secrets", str(EXAMPLES / "apps" / "billing-api")).stdout
    )
    assert shown["routes"][0]["set_request_headers"]["X-Api-Key"] == "example-not-a-real-key"


def test_render_from_stdin() -> None:
    text = (EXAMPLES / "apps" / "postgres" / "postgres.yaml").read_text()
    result = pomgate("render", "--format", "json", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["routes"][0]["from"] == "tcp+https://pg.example.com:5432"


def test_check_json_contract_points_at_file_and_line() -> None:
    result = pomgate("check", "--format", "json", str(EXAMPLES))
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert set(document) == {"version", "findings", "summary"}
    errors = [f for f in document["findings"] if f["severity"] == "error"]
    # The raw-file example's mistake, and the GitOps example's prod-only one.
    assert {f["rule"] for f in errors} == {"policy/invalid", "annotation/allowed-groups"}
    (error,) = [f for f in errors if f["rule"] == "policy/invalid"]
    assert {"rule", "severity", "message", "path", "line", "object"} <= set(error)
    assert error["object"] == {"kind": "Ingress", "namespace": "backoffice", "name": "admin"}
    assert error["path"].endswith("admin.yaml")
    lines = (EXAMPLES / "apps" / "admin" / "admin.yaml").read_text().splitlines()
    assert "ingress.pomerium.io/policy" in lines[error["line"] - 1]


def test_check_clean_input_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text((EXAMPLES / "apps" / "postgres" / "postgres.yaml").read_text())
    result = pomgate("check", str(tmp_path))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", "xml", "examples"],
        ["render", "does-not-exist"],
        ["check", "--color", "sometimes", "examples"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2_without_traceback(args: list[str]) -> None:
    result = pomgate(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


def test_broken_yaml_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: [unclosed\n")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02\xff")
    (tmp_path / "ok.yaml").write_text((EXAMPLES / "apps" / "postgres" / "postgres.yaml").read_text())
    result = pomgate("check", "--format", "json", str(tmp_path))
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    paths = {Path(f["path"]).name for f in findings if f["severity"] == "error"}
    assert paths == {"bad.yaml", "binary.yaml"}
    assert all(f["line"] for f in findings if Path(f["path"]).name == "bad.yaml")
    assert json.loads(pomgate("check", "--format", "json", str(tmp_path)).stdout)["summary"]["routes"] == 1
