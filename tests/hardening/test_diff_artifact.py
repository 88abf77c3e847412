"""Regressions: `pomgate comment` treats the diff artifact and `--pr` as untrusted input.

In the `workflow_run` pattern the JSON artifact comes from the pull request's own code and the
pull-request number from a file in it. An artifact that breaks the contract (a count that is text
or a bool, counts that disagree with the lists, a string that is not a string) is refused with a
clear message and exit status 2, before anything is posted or written to GITHUB_OUTPUT; so is a
pull-request number that is not ASCII digits.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.github.fake_github import TOKEN, FakeGitHub, serve

PROJECT = Path(__file__).resolve().parents[2]
REPO = "acme/platform"
HEAD = "c0ffee" * 6 + "c0fe"


def route(host: str, **fields: Any) -> dict[str, Any]:
    return {"from": f"https://{host}", "to": ["http://web.apps.svc.cluster.local:80"], "prefix": "/", **fields,
            "ingress": {"namespace": "apps", "name": host.split(".")[0]}}  # fmt: skip


def valid_document() -> dict[str, Any]:
    """A `diff --format json` document: one route added (public), one changed, one finding introduced."""
    wiki = route("wiki.example.com")
    return {
        "summary": {"added": 1, "removed": 0, "changed": 1, "risks": 1, "introduced": 1, "fixed": 0},
        "added": [route("new.example.com", allow_public_unauthenticated_access=True)],
        "removed": [],
        "changed": [
            {"route": wiki, "before": {"allowed_users": ["a@x.test"]}, "after": {}, "fields": ["allowed_users"]}
        ],
        "risks": [
            {
                "kind": "became_public",
                "route": {
                    "from": "https://wiki.example.com",
                    "ingress": wiki["ingress"],
                    "host": "wiki.example.com",
                    "path": "/",
                },
                "detail": "new route admits requests without sign-in",
            }
        ],
        "findings": {
            "introduced": [
                {
                    "rule": "access/public-route",
                    "severity": "warning",
                    "message": "public",
                    "path": "k8s/new.yaml",
                    "line": 3,
                    "object": {"kind": "Ingress", "namespace": "apps", "name": "new"},
                    "docs": "x",
                }
            ],
            "fixed": [],
        },
    }


def read_github_output(text: str) -> dict[str, str]:
    """The runner's parser of the GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` heredocs."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            values[line[:equals]] = line[equals + 1 :]
            continue
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        body: list[str] = []
        while lines[index] != delimiter:  # an IndexError here is the runner's "matching delimiter not found"
            body.append(lines[index])
            index += 1
        index += 1
        values[name] = "\n".join(body)
    return values


def run_comment(tmp: Path, fake: FakeGitHub, document: Any, *args: str) -> subprocess.CompletedProcess[str]:
    artifact = tmp / "pomgate.json"
    artifact.write_text(document if isinstance(document, str) else json.dumps(document))
    (tmp / "event.json").write_text(json.dumps({"workflow_run": {"head_sha": HEAD, "pull_requests": []}}))
    for name in ("output.txt", "summary.md"):
        (tmp / name).write_text("")
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(tmp / "event.json"),
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_SERVER_URL": "https://github.test",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_OUTPUT": str(tmp / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
    }
    return subprocess.run(
        [sys.executable, "-m", "pomgate", "comment", "--diff-json", str(artifact), *args],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_valid_artifact_is_posted_and_its_counts_become_outputs(tmp_path: Path) -> None:
    with serve(FakeGitHub()) as fake:
        done = run_comment(tmp_path, fake, valid_document(), "--pr", "42")
        assert done.returncode == 0, done.stderr
        assert "became public" in fake.comments[(REPO, 42)][0]["body"]
    outputs = read_github_output((tmp_path / "output.txt").read_text())
    assert outputs == {"added": "1", "removed": "0", "changed": "1", "risks": "1", "introduced": "1", "risky": "true"}


def broken(path: str, value: Any) -> dict[str, Any]:
    """The valid document with the value at ``path`` (dotted, list indexes as numbers) replaced."""
    document = copy.deepcopy(valid_document())
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return document


HOSTILE_ARTIFACTS = {
    "count as text": (broken("summary.added", "1<img src=x onerror=alert(1)>"), "summary.added"),
    "count with an output record": (broken("summary.risks", "0\nrisky=false"), "summary.risks"),
    "count as bool": (broken("summary.added", True), "summary.added"),
    "negative count": (broken("summary.fixed", -1), "summary.fixed"),
    "count as float": (broken("summary.changed", 1.0), "summary.changed"),
    "risks hidden from the counts": (broken("summary.risks", 0), "summary.risks is 0 but the document lists 1"),
    "route host not a string": (broken("added.0.from", ["https://a"]), "added.0.from"),
    "message not a string": (broken("findings.introduced.0.message", {"a": 1}), "findings.introduced.0.message"),
    "line as text": (broken("findings.introduced.0.line", "3"), "findings.introduced.0.line"),
    "unknown severity": (broken("findings.introduced.0.severity", "<b>x</b>"), "findings.introduced.0.severity"),
    "fields not strings": (broken("changed.0.fields", [1]), "changed.0.fields.0"),
    "summary missing": ({k: v for k, v in valid_document().items() if k != "summary"}, "summary: Field required"),
    "not an object": ([], "Input should be a valid dictionary"),
    "not JSON": ("{", "Expecting property name"),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
}


@pytest.mark.parametrize("name", HOSTILE_ARTIFACTS)
def test_an_artifact_that_breaks_the_contract_is_refused_before_anything_is_written(tmp_path: Path, name: str) -> None:
    document, problem = HOSTILE_ARTIFACTS[name]
    with serve(FakeGitHub()) as fake:
        done = run_comment(tmp_path, fake, document, "--pr", "42")
        assert fake.requests == []
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not a valid pomgate diff document" in done.stderr or "not a pomgate diff document" in done.stderr
    assert problem in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "output.txt").read_text() == "" and (tmp_path / "summary.md").read_text() == ""


@pytest.mark.parametrize("number", ["²", "٥", "４２", "42; rm -rf /", "0", "12345678901", "-1", ""])
def test_the_pull_request_number_is_ascii_digits_only(tmp_path: Path, number: str) -> None:
    with serve(FakeGitHub()) as fake:
        done = run_comment(tmp_path, fake, valid_document(), "--pr", number)
        assert fake.requests == []  # "٥" used to be pull request 5
    assert done.returncode == 2 and "is not a pull-request number" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
