"""Hostile pull-request content cannot change the structure of the comment or the job summary.

The same change is made twice: once with plain values, once with values built to break Markdown
(links, images, HTML, mentions, issue links, unbalanced code fences, `<details>` breakers, bidi
controls). Both diffs are rendered to the comment body and the job summary and parsed with a
CommonMark parser (markdown-it, as GitHub's renderer is CommonMark-based); the two token trees
must have the same shape, and the hostile one no HTML, image or foreign link at all.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from pomgate.diff.markdown import diff_sections, markdown_from_json
from pomgate.diff.publish import TRUNCATION_NOTE
from pomgate.github.comment import fit_comment

PROJECT = Path(__file__).resolve().parents[2]
P = "ingress.pomerium.io"

HOSTILE = [
    "[click](https://evil.example/x)",
    "![img](https://evil.example/i.png)",
    "<img src=x onerror=alert(1)>",
    "</details><details open><summary>pwned</summary>",
    "@octocat please merge",
    "fixes #1",
    "```\nfenced",
    "~~~",
    "| a | b |\n|---|---|",
    "\u202egnp.exe\u202c and \u2066isolate\u2069",
    "<!-- hidden -->",
    "<script>alert(1)</script>",
    "**bold** _em_ `code`",
    "line\n\n# heading",
]


def config_map(name: str, bad_key: str) -> str:
    """An object whose annotation key Kubernetes refuses: the finding quotes the key."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "apps", "annotations": {bad_key: "x"}},
        }
    )


def ingress(name: str, description: str, policy_user: str) -> str:
    annotations = {f"{P}/description": description, f"{P}/allowed_users": json.dumps([policy_user])}
    return json.dumps(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name, "namespace": "apps", "annotations": annotations},
            "spec": {
                "ingressClassName": "pomerium",
                "rules": [
                    {
                        "host": f"{name}.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        }
    )


def diff_document(tmp: Path, values: list[str]) -> dict[str, Any]:
    """A repository whose pull request changes Ingresses to carry ``values``; its `diff --format json`."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    service = '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "apps"}}'
    (tmp / "svc.yaml").write_text(service)
    for index in range(len(values)):
        (tmp / f"i{index}.yaml").write_text(ingress(f"app{index}", "plain", "a@example.com"))
    git("add", "-A")
    git("-c", "user.email=a@example.com", "-c", "user.name=a", "commit", "-q", "-m", "base")
    for index, value in enumerate(values):
        (tmp / f"i{index}.yaml").write_text(ingress(f"app{index}", value, value))
        (tmp / f"c{index}.yaml").write_text(config_map(f"c{index}", f"{P}/{value}"))
    git("-c", "user.email=a@example.com", "-c", "user.name=a", "commit", "-q", "-am", "change")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pomgate",
            "diff",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--format",
            "json",
            "--no-cache",
        ],
        cwd=tmp,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def tokens(markdown: str) -> list[Any]:
    """Every block token and every inline child token, in order."""
    out: list[Any] = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        out.append(token)
        out.extend(token.children or [])
    return out


OUR_HTML = re.compile(r"(<details><summary><code>[^<>]*</code> in <code>[^<>]*</code></summary>|</details>)\n?")
SECTIONS = {"pomgate: route changes", "Risks", "Findings introduced", "Findings fixed", "Routes", "Added routes",
            "Removed routes", "Changed routes"}  # fmt: skip


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    plain = [f"plain value {index}" for index in range(len(HOSTILE))]
    return (
        diff_document(tmp_path_factory.mktemp("plain"), plain),
        diff_document(tmp_path_factory.mktemp("hostile"), HOSTILE),
    )


@pytest.mark.parametrize("render", ["comment", "job summary"])
def test_hostile_values_leave_the_structure_unchanged(
    documents: tuple[dict[str, Any], dict[str, Any]], render: str
) -> None:
    plain, hostile = documents

    def rendered(document: dict[str, Any]) -> str:
        if render == "comment":
            return fit_comment(diff_sections(document), note=TRUNCATION_NOTE)
        return markdown_from_json(document)

    assert "evil.example" in json.dumps(hostile)  # the hostile values did reach the report data
    for document in (plain, hostile):
        markdown = rendered(document)
        found = tokens(markdown)
        # The only HTML is the report's own collapsible route blocks, one per changed route, balanced.
        html = [t.content for t in found if t.type in ("html_block", "html_inline")]
        assert all(OUR_HTML.fullmatch(block) for block in html), html
        opened = sum(block.startswith("<details>") for block in html)
        assert opened == sum(block.startswith("</details>") for block in html) == len(document["changed"])
        # Headings are the report's own sections; no image; no link at all (no repository links given).
        headings = [found[i + 1].content for i, t in enumerate(found) if t.type == "heading_open"]
        assert set(headings) <= SECTIONS, headings
        assert not [t for t in found if t.type in ("image", "link_open")]
        # What is left of a hostile value is text or code: shown, never followed or rendered.
        text = "".join(t.content for t in found if t.type == "text")
        assert not any(char in markdown for char in "\u202e\u202c\u2066\u2069")  # bidi controls neutralised
        assert "@octocat" not in text  # no live mention outside code
