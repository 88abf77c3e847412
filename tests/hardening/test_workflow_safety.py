"""The documented workflows and the action avoid the known dangerous patterns (a check of our own,
on the parsed YAML, beside actionlint): `pull_request_target` or `workflow_run` jobs that check out
or run the pull request's code, and `${{ github.event.* }}` / `${{ inputs.* }}` expanded inside `run:`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.diff.test_action import PROJECT, readme_workflows

PRIVILEGED_TRIGGERS = {"pull_request_target", "workflow_run"}
UNTRUSTED_EXPRESSION = re.compile(r"\$\{\{[^}]*\b(github\.event|github\.head_ref|inputs)\b[^}]*\}\}")
HEAD_REFS = re.compile(r"head\.(sha|ref)|head_sha|head_ref|refs/pull/")


def triggers(workflow: dict[Any, Any]) -> set[str]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on:` key as true
    if isinstance(on, str):
        return {on}
    return set(on or {})


def problems(workflow: dict[Any, Any]) -> list[str]:
    found = []
    privileged = bool(triggers(workflow) & PRIVILEGED_TRIGGERS)
    for job_name, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            script = step.get("run")
            if isinstance(script, str) and UNTRUSTED_EXPRESSION.search(script):
                found.append(f"{job_name}: untrusted expression expanded in run: {script.strip()[:60]}")
            uses = str(step.get("uses", ""))
            if privileged and uses.startswith("actions/checkout"):
                ref = str((step.get("with") or {}).get("ref", ""))
                if not ref or HEAD_REFS.search(ref):
                    found.append(f"{job_name}: a privileged trigger checks out the pull request's code")
    return found


def test_readme_workflows_have_no_dangerous_patterns() -> None:
    workflows = readme_workflows()
    assert len(workflows) >= 2
    for name, body in workflows.items():
        assert problems(yaml.safe_load(body)) == [], name


def test_the_action_expands_no_untrusted_expression_in_scripts() -> None:
    action = yaml.safe_load((PROJECT / "action.yml").read_text())
    steps = action["runs"]["steps"]
    assert problems({"on": "push", "jobs": {"action": {"steps": steps}}}) == []


@pytest.mark.parametrize(
    "body",
    [
        "on: pull_request_target\njobs:\n  x:\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n",
        "on: [workflow_run]\njobs:\n  x:\n    steps:\n      - uses: actions/checkout@v4\n",
        'on: pull_request\njobs:\n  x:\n    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n',
        "on: push\njobs:\n  x:\n    steps:\n      - run: ./build ${{ inputs.args }}\n",
    ],
)
def test_the_check_finds_each_pattern(body: str) -> None:
    assert problems(yaml.safe_load(body))
