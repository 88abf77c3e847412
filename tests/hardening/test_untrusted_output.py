"""Regressions: text from a repository under review stays inert in every output it reaches.

One pull request carries the hostile values: a route path that closes the comment's `<summary>`
and opens an image and a link, a path with a newline and a workflow command, terminal escape
sequences, the legacy `##[` command form, and a file whose name is a workflow command. The comment
is rendered with a CommonMark parser and its HTML parsed; the text reports are checked line by line
the way the GitHub Actions runner reads them (leading whitespace trimmed, `::` starts a command).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from pomgate.diff.markdown import diff_sections, markdown_from_json
from pomgate.diff.publish import TRUNCATION_NOTE
from pomgate.github.comment import fit_comment

PROJECT = Path(__file__).resolve().parents[2]
P = "ingress.pomerium.io"
SUMMARY_BREAKER = (
    "/c</summary></details><img src=x onerror=alert(1)><a href=javascript:alert(1)>Approved</a><details><summary>"
)
TERMINAL_BREAKER = "/t\n::error file=x.yaml::pwned\x1b]0;title\x07\x1b[2J\r::warning::r ##[set-output name=risky;]false"
COMMAND_FILE_NAME = "::error file=a.yaml::pwned.yaml"
#: What may reach a terminal: no C0 control but tab, no DEL, no C1 control, no bidi control.
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # colours, the only escape sequence pomgate itself writes


def ingress(name: str, path: str, description: str = "plain", service: str = "web") -> str:
    annotations = {f"{P}/description": description, f"{P}/allowed_users": json.dumps(["a@example.com"])}
    backend = {"service": {"name": service, "port": {"number": 80}}}
    rule = {
        "host": f"{name}.example.com",
        "http": {"paths": [{"path": path, "pathType": "Prefix", "backend": backend}]},
    }
    return json.dumps(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name, "namespace": "apps", "annotations": annotations},
            "spec": {"ingressClassName": "pomerium", "rules": [rule]},
        }
    )


def pomgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pomgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Base: Ingress `a` (its path breaks `<summary>`). Pull request: `a` changed, `t` and `u` added."""
    root = tmp_path_factory.mktemp("hostile")

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.email=a@example.com", "-c", "user.name=a", *args], cwd=root, check=True)

    git("init", "-q", "-b", "main")
    (root / "svc.yaml").write_text(
        '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "apps"}}'
    )
    (root / "a.yaml").write_text(ingress("a", SUMMARY_BREAKER))
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    (root / "a.yaml").write_text(ingress("a", SUMMARY_BREAKER, description="changed"))
    (root / "t.yaml").write_text(ingress("t", TERMINAL_BREAKER))
    (root / COMMAND_FILE_NAME).write_text(ingress("u", "/", service="missing"))  # a finding names the file
    git("add", "-A")
    git("commit", "-q", "-m", "pull request")
    return root


@pytest.fixture(scope="module")
def diff_document(hostile_repo: Path) -> dict[str, Any]:
    done = pomgate(hostile_repo, "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json", "--no-cache")
    assert done.returncode in (0, 1), done.stderr[-2000:]
    document: dict[str, Any] = json.loads(done.stdout)
    labels = [change["route"].get("prefix") for change in document["changed"]]
    assert SUMMARY_BREAKER in labels  # the hostile path reached the report as a changed route
    return document


class Elements(HTMLParser):
    """The elements of an HTML document, and the text inside each `<summary>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.summaries: list[str] = []
        self._in_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "summary":
            self._in_summary = True
            self.summaries.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary":
            self._in_summary = False

    def handle_data(self, data: str) -> None:
        if self._in_summary:
            self.summaries[-1] += data


@pytest.mark.parametrize("render", ["comment", "job summary"])
def test_a_route_label_in_summary_is_text_not_html(diff_document: dict[str, Any], render: str) -> None:
    if render == "comment":
        markdown = fit_comment(diff_sections(diff_document), note=TRUNCATION_NOTE)
    else:
        markdown = markdown_from_json(diff_document)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    elements = Elements()
    elements.feed(html)
    assert "img" not in elements.tags and "a" not in elements.tags
    assert elements.tags.count("details") == elements.tags.count("summary") == len(diff_document["changed"])
    # The label is shown, as text, inside its own <summary> (word joiners keep `javascript:` from linking).
    assert any(f"prefix {SUMMARY_BREAKER} in apps/a" in text.replace("\u2060", "") for text in elements.summaries)


def runner_commands(output: str) -> list[str]:
    """Lines the Actions runner would take as workflow commands (it also splits at a lone CR)."""
    lines = re.split(r"\r\n|\r|\n", output)
    return [line for line in lines if line.lstrip().startswith("::") or "##[" in line]


def test_diff_text_output_cannot_issue_workflow_commands_or_terminal_sequences(hostile_repo: Path) -> None:
    plain = pomgate(hostile_repo, "diff", "--base", "HEAD~1", "--head", "HEAD", "--no-cache", "--color", "never")
    assert plain.returncode in (0, 1), plain.stderr[-2000:]
    assert "::pwned\\x1b" in plain.stdout and "error file=a.yaml::pwned.yaml" in plain.stdout  # shown...
    assert runner_commands(plain.stdout) == []  # ...but none is a command
    assert not CONTROL.search(plain.stdout.replace("\n", ""))
    assert "\\x1b]0;title\\x07" in plain.stdout  # shown escaped, readable
    coloured = pomgate(hostile_repo, "diff", "--base", "HEAD~1", "--head", "HEAD", "--no-cache", "--color", "always")
    assert runner_commands(SGR.sub("", coloured.stdout)) == []
    assert not CONTROL.search(SGR.sub("", coloured.stdout).replace("\n", ""))


def hostile_folder(root: Path) -> Path:
    """A folder (no git) whose file name is a workflow command and whose quoted line holds escape sequences."""
    folder = root / "k8s"
    folder.mkdir()
    (folder / COMMAND_FILE_NAME).write_text(ingress("u", "/", service="missing"))
    (folder / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\x1b]0;owned\x07\x1b[2J\n")
    return folder


@pytest.mark.parametrize("color", ["never", "always"])
def test_check_text_output_is_inert(tmp_path: Path, color: str) -> None:
    folder = hostile_folder(tmp_path)
    done = pomgate(folder, "check", "--no-cache", "--color", color, ".")
    assert "error file=a.yaml::pwned.yaml" in done.stdout and "YAML error" in done.stdout, done.stderr[-2000:]
    shown = SGR.sub("", done.stdout)
    assert runner_commands(shown) == []
    assert not CONTROL.search(shown.replace("\n", ""))


def test_render_warnings_on_stderr_are_inert(tmp_path: Path) -> None:
    folder = hostile_folder(tmp_path)
    done = pomgate(folder, "render", "--no-cache", ".")
    assert "error file=a.yaml::pwned.yaml" in done.stderr
    assert runner_commands(done.stderr) == []
    assert not CONTROL.search(done.stderr.replace("\n", ""))
