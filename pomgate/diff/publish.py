"""Publish a diff in GitHub Actions: the sticky pull-request comment, the job summary and outputs.

Used by `pomgate diff --comment` and by `pomgate comment --diff-json` (the fork-safe
`workflow_run` pattern). Both build the Markdown from the diff's JSON contract, so every string
from the manifests is escaped the same way whoever ran the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pomgate.diff.markdown import Links, diff_sections, markdown_from_json
from pomgate.github.api import GitHubApi, GitHubError
from pomgate.github.comment import fit_comment, upsert_sticky_comment
from pomgate.github.context import GitHubContext, GitHubContextError, append_step_summary, write_outputs

COMMENT_MODES = ("update", "recreate", "hide-and-create")
TRUNCATION_NOTE = "The comment is shortened to fit GitHub's limit; the job summary has the whole report."


@dataclass
class PublishResult:
    """What happened, for the log line the command prints."""

    commented: bool
    message: str
    refused: bool = False  # the pull request is not at the expected head commit


def has_changes(document: Mapping[str, Any]) -> bool:
    """Whether the diff touches any route or finding."""
    summary = document.get("summary") or {}
    return any(summary.get(key) for key in ("added", "removed", "changed", "introduced", "fixed"))


def job_outputs(document: Mapping[str, Any]) -> dict[str, str]:
    """The step outputs the action declares."""
    summary = document.get("summary") or {}
    values = {key: str(summary.get(key, 0)) for key in ("added", "removed", "changed", "risks", "introduced")}
    values["risky"] = "true" if summary.get("risks") else "false"
    return values


def publish(
    document: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    comment: bool = True,
    mode: str = "update",
    key: str = "pomgate",
    skip_unchanged: bool = False,
    pr_number: int | None = None,
    head_sha: str | None = None,
) -> PublishResult:
    """Write the job summary and outputs (when in Actions) and post or refresh the sticky comment."""
    env = dict(os.environ if environ is None else environ)
    try:
        context = GitHubContext.from_env(env)
    except GitHubContextError as err:
        return PublishResult(False, f"not commenting: {err}")
    number = pr_number if pr_number is not None else context.pr_number
    sha = head_sha or context.head_sha
    links = Links(context.server_url, context.repository, sha) if sha and context.repository else None
    full = markdown_from_json(dict(document), links=links)
    if context.step_summary:
        append_step_summary(context, full)
    if context.output:
        write_outputs(context, job_outputs(document))
    if not comment:
        return PublishResult(False, "comment disabled")
    if number is None:
        return PublishResult(False, "not commenting: this run is not for a pull request")
    if not context.token:
        return PublishResult(False, "not commenting: no GITHUB_TOKEN")
    api = GitHubApi(context.api_url, context.token)
    if head_sha is not None:
        actual = api.pull_request_head_sha(context.repository, number)
        if actual != head_sha:
            return PublishResult(
                False, f"not commenting: pull request #{number} is at {actual}, not {head_sha}", refused=True
            )
    body = fit_comment(diff_sections(dict(document), links=links), note=TRUNCATION_NOTE)
    try:
        if skip_unchanged and not has_changes(document):
            outcome = upsert_sticky_comment(api, context.repository, number, body, key=key, mode=mode, only_update=True)
        else:
            outcome = upsert_sticky_comment(api, context.repository, number, body, key=key, mode=mode)
    except GitHubError as err:
        if err.permission_denied:
            return PublishResult(
                False,
                "did not comment: the token cannot write to this pull request (a pull request from a fork gets a "
                "read-only token); the job summary has the report. See the README for the workflow_run pattern.",
            )
        raise
    return PublishResult(True, f"comment {outcome.action}: {outcome.url or ''}".rstrip(": "))


def load_diff_json(path: str) -> dict[str, Any]:
    """Read a `pomgate diff --format json` document, checking its shape (it may come from untrusted code)."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a pomgate diff document")
    for name in ("added", "removed", "changed", "risks"):
        if not isinstance(document.get(name, []), list):
            raise ValueError(f"{path}: {name} must be a list")
    if not isinstance(document.get("findings", {}), dict) or not isinstance(document.get("summary", {}), dict):
        raise ValueError(f"{path}: findings and summary must be objects")
    return document
