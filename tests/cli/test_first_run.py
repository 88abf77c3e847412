"""A new user's first runs: no silent pass on an empty input, render failing on errors, readable help,
the hook's summary, and the README's first command explained as it runs (issue 19, part A)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest

from pomgate.cli import options
from pomgate.reports.check_output import FAIL_ON, FORMATS
from tests.helpers import docs, ingress, service, simple_rule

ROOT = Path(__file__).resolve().parents[2]
P = "ingress.pomerium.io"
WORKFLOW = "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: []\n"


def pomgate(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def json_findings(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def rules_in(findings: list[dict[str, Any]]) -> list[str]:
    return [finding["rule"] for finding in findings]


def web_app(name: str = "web", host: str = "app.example.com") -> str:
    """An Ingress that translates cleanly, with its Service."""
    annotations = {f"{P}/allowed_domains": '["example.com"]'}
    return docs(ingress(name=name, annotations=annotations, rules=simple_rule(host=host)), service())


def tcp_ingress(name: str, port: int) -> str:
    rule = simple_rule(host="db.example.com", path=None, path_type="ImplementationSpecific", port=f"number: {port}")
    annotations = {f"{P}/tcp_upstream": "true", f"{P}/allowed_domains": '["example.com"]'}
    return ingress(name=name, annotations=annotations, rules=rule)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder outside any git repository or configuration (pomgate looks for both from the cwd)."""
    (tmp_path / ".git").mkdir()  # stops the configuration search here
    return tmp_path


# ---------------------------------------------------------------- 1. no silent pass on an empty input


@pytest.mark.parametrize("where", ["empty folder", "only a CI workflow", "empty file"])
def test_check_of_a_folder_without_manifests_is_an_input_empty_error(workspace: Path, where: str) -> None:
    folder = workspace / "k8s"
    folder.mkdir()
    if where == "only a CI workflow":
        (folder / "ci.yml").write_text(WORKFLOW)
    elif where == "empty file":
        (folder / "app.yaml").write_text("")
    result = pomgate("check", "--format", "json", "k8s", cwd=workspace)
    assert result.returncode == 1, result.stderr
    (empty,) = [f for f in json_findings(result) if f["rule"] == "input/empty"]
    assert empty["severity"] == "error"
    assert "k8s" in empty["message"]


def test_an_empty_pipe_fails_check_and_render(workspace: Path) -> None:
    checked = pomgate("check", "--format", "json", "-", cwd=workspace, stdin="")
    assert checked.returncode == 1
    assert rules_in(json_findings(checked)) == ["input/empty"]
    assert "standard input" in json_findings(checked)[0]["message"]
    rendered = pomgate("render", "-", cwd=workspace, stdin="")
    assert rendered.returncode == 1
    assert "[input/empty]" in rendered.stderr


def test_allow_empty_accepts_an_empty_input(workspace: Path) -> None:
    checked = pomgate("check", "--format", "json", "--allow-empty", "-", cwd=workspace, stdin="")
    assert checked.returncode == 0, checked.stderr
    assert rules_in(json_findings(checked)) == []
    rendered = pomgate("render", "--format", "json", "--allow-empty", "-", cwd=workspace, stdin="")
    assert rendered.returncode == 0, rendered.stderr
    assert json.loads(rendered.stdout) == {"version": 1, "routes": []}
    assert "input/empty" not in rendered.stderr
    (workspace / "k8s").mkdir()
    hooked = pomgate("hook", "--format", "json", "--allow-empty", "--root", "k8s", cwd=workspace)
    assert hooked.returncode == 0, hooked.stderr
    assert rules_in(json_findings(hooked)) == []


def test_the_configuration_can_ignore_input_empty(workspace: Path) -> None:
    (workspace / ".pomgate.yaml").write_text("ignore: [input/empty]\n")
    result = pomgate("check", "--format", "json", "-", cwd=workspace, stdin="")
    assert result.returncode == 0, result.stderr
    assert rules_in(json_findings(result)) == []


def test_an_input_with_objects_is_not_empty(workspace: Path) -> None:
    result = pomgate("check", "--format", "json", "-", cwd=workspace, stdin=web_app())
    assert result.returncode == 0, result.stdout
    assert "input/empty" not in rules_in(json_findings(result))


def test_an_input_that_fails_already_gets_no_second_error(workspace: Path) -> None:
    result = pomgate("check", "--format", "json", "-", cwd=workspace, stdin="kind: [unclosed\n")
    assert result.returncode == 1
    rules = rules_in(json_findings(result))
    assert rules and "input/empty" not in rules


def test_the_hook_stays_quiet_when_none_of_its_files_is_a_manifest(workspace: Path) -> None:
    (workspace / ".github").mkdir()
    (workspace / ".github" / "ci.yml").write_text(WORKFLOW)
    (workspace / ".pre-commit-config.yaml").write_text("repos: []\n")
    files = [".github/ci.yml", ".pre-commit-config.yaml"]
    result = pomgate("hook", "--format", "json", *files, cwd=workspace)
    assert result.returncode == 0, result.stdout + result.stderr
    assert rules_in(json_findings(result)) == []
    whole = pomgate("hook", "--format", "json", cwd=workspace)  # no FILES: the root is the input
    assert whole.returncode == 1
    assert rules_in(json_findings(whole)) == ["input/empty"]


# ---------------------------------------------------------------- 2. render fails on any error


def test_render_exits_1_on_an_error_that_fails_no_ingress_and_still_prints_the_routes(workspace: Path) -> None:
    manifests = docs(tcp_ingress("pg", 5432), tcp_ingress("redis", 6379), service(ports=[("", 5432, 5432)]))
    result = pomgate("render", "--format", "json", "-", cwd=workspace, stdin=manifests)
    assert result.returncode == 1
    assert "[routing/duplicate-tcp-host]" in result.stderr
    assert "failed translation" not in result.stderr  # both Ingresses translate: only the finding fails the run
    froms = [route["from"] for route in json.loads(result.stdout)["routes"]]
    assert froms.count("tcp+https://db.example.com:5432") == 1
    assert froms.count("tcp+https://db.example.com:6379") == 1


def test_render_with_only_warnings_exits_0(workspace: Path) -> None:
    lone = ingress(annotations={f"{P}/allowed_domains": '["example.com"]'})  # its Service is not in the input
    result = pomgate("render", "-", cwd=workspace, stdin=lone)
    assert result.returncode == 0, result.stderr
    assert ": warning: " in result.stderr


def test_render_and_check_of_nothing_read_the_current_folder(workspace: Path) -> None:
    (workspace / "app.yaml").write_text(web_app())
    rendered = pomgate("render", "--format", "json", cwd=workspace)
    assert rendered.returncode == 0, rendered.stderr
    assert [route["from"] for route in json.loads(rendered.stdout)["routes"]] == ["https://app.example.com"]
    (workspace / "app.yaml").write_text(ingress(annotations={f"{P}/allowed_domains": '["example.com"]'}))
    checked = pomgate("check", "--format", "json", cwd=workspace)
    assert [(f["rule"], f["path"]) for f in json_findings(checked)] == [("reference/service-missing", "app.yaml")]


# ---------------------------------------------------------------- 3. help names values and choices


HELP_COMMANDS = ["check", "render", "hook", "diff", "explain", "rules", "comment", "controller"]


@pytest.fixture(scope="module")
def help_pages() -> dict[str, str]:
    """Each command's --help, at a fixed width."""
    pages: dict[str, str] = {}
    for command in HELP_COMMANDS:
        result = subprocess.run(
            [sys.executable, "-m", "pomgate", command, "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=True,
            env={**os.environ, "COLUMNS": "100"},
        )
        pages[command] = result.stdout
    return pages


@pytest.mark.parametrize("command", HELP_COMMANDS)
def test_help_shows_no_python_types_or_braces(help_pages: dict[str, str], command: str) -> None:
    page = help_pages[command]
    usage = page.splitlines()[0]
    assert re.match(rf"Usage: .*pomgate {command} \[OPTIONS\]", usage), usage
    assert "{" not in usage and "<" not in usage
    options_part = page[page.index("Options:") :]
    assert not re.search(r"<(str|int|list\[str\]|[a-z]+ range)>", page), page
    assert not re.search(r"^\s+(-\w, )?--[\w-]+ <", options_part, re.MULTILINE)


@pytest.mark.parametrize(
    ("command", "option", "choices"),
    [
        ("check", "--format", FORMATS),
        ("hook", "--format", FORMATS),
        ("check", "--fail-on", FAIL_ON),
        ("diff", "--fail-on", FAIL_ON),
        ("check", "--color", get_args(options.ColorChoice)),
        ("render", "--format", get_args(options.RenderFormat)),
        ("diff", "--format", get_args(options.DiffFormat)),
        ("explain", "--format", get_args(options.ExplainFormat)),
        ("diff", "--comment-mode", options.COMMENT_MODES),
    ],
)
def test_help_lists_each_choice(
    help_pages: dict[str, str], command: str, option: str, choices: tuple[str, ...]
) -> None:
    assert len(choices) >= 2
    assert f"{option} [{'|'.join(choices)}]" in help_pages[command]


def test_choices_on_the_command_line_match_what_the_reports_accept() -> None:
    assert get_args(options.CheckFormat) == FORMATS
    assert get_args(options.FailOn) == FAIL_ON


@pytest.mark.parametrize("command", ["check", "render", "diff", "explain", "hook"])
def test_path_arguments_are_optional_and_say_their_default(help_pages: dict[str, str], command: str) -> None:
    usage = help_pages[command].splitlines()[0]
    assert re.search(r"\[(PATH|FILE)\]\.\.\.$", usage), usage


def test_an_unknown_choice_is_a_usage_error_naming_the_choices(workspace: Path) -> None:
    result = pomgate("render", "--format", "toml", "-", cwd=workspace, stdin=web_app())
    assert result.returncode == 2
    assert "'yaml'" in result.stderr and "'json'" in result.stderr


# ---------------------------------------------------------------- 4. the hook counts the files it reports on


def test_the_hook_summary_counts_its_files_not_the_repository(workspace: Path) -> None:
    for index in range(4):
        (workspace / f"app{index}.yaml").write_text(web_app(f"web{index}", f"app{index}.example.com"))
    (workspace / "app0.yaml").write_text(ingress(name="web0", annotations={f"{P}/allow_any_authenticated_user": "1"}))
    reported = pomgate("hook", "--format", "json", "app0.yaml", cwd=workspace)
    document = json.loads(reported.stdout)
    assert document["summary"]["files"] == 1
    assert {finding["path"] for finding in document["findings"]} == {"app0.yaml"}
    text = pomgate("hook", "--color", "never", "app0.yaml", "app1.yaml", "app1.yaml", cwd=workspace)
    assert " in 2 file(s)" in text.stdout.splitlines()[-1]
    whole = pomgate("hook", "--format", "json", cwd=workspace)  # no FILES: everything is reported on
    assert json.loads(whole.stdout)["summary"]["files"] == 4


# ---------------------------------------------------------------- 5. the README's first command, explained


def readme_first_command() -> tuple[str, str]:
    """The README's first shell command and the text that explains it (up to the first section)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"```sh\n(.*?)\n```", readme, re.DOTALL)
    assert command is not None
    intro = readme[command.end() : readme.index("\n## ")]
    return command.group(1), intro


def test_the_readme_explains_each_problem_its_first_command_prints() -> None:
    command, intro = readme_first_command()
    shown = command.rsplit("&& ", 1)[-1].split()
    assert shown[:2] == ["pomgate", "render"]
    result = pomgate(*shown[1:], cwd=ROOT)
    assert result.returncode == 1
    assert "exit status is 1" in " ".join(intro.split())
    problems = re.findall(r"^(\S+:\d+: (?:error|warning):) ", result.stderr, re.MULTILINE)
    assert problems
    for problem in problems:
        assert f"`{problem}`" in intro, f"the README does not explain {problem}"
    failed = re.search(r"^pomgate: (\d+) Ingress\(es\) failed translation", result.stderr, re.MULTILINE)
    assert failed is not None
    assert "Ingresses that fail translation" in " ".join(intro.split())


def test_the_policy_error_says_plainly_where_the_older_wording_comes_from(workspace: Path) -> None:
    policy = "allow:\n  maybe:\n    - email: a@example.com\n"
    manifests = docs(ingress(annotations={f"{P}/policy": policy}), service())
    result = pomgate("check", "--format", "json", "-", cwd=workspace, stdin=manifests)
    (finding,) = [f for f in json_findings(result) if f["rule"] == "policy/invalid"]
    message = finding["message"]
    current = message.index('couldn\'t parse policy: invalid rules in policy: unsupported conditional "maybe"')
    older = message.index("`parsing policy: invalid rules in policy: ...`")
    assert current < older
    assert "older controller versions" in message and "documentation" in message
    assert "public documentation shows" not in message
