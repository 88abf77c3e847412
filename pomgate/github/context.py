"""The GitHub Actions environment: repository, pull request, token, and the files steps write."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pomgate.escaping import github_output


class GitHubContextError(ValueError):
    """Something the run needs is missing from the environment (names the variable)."""


@dataclass(frozen=True)
class GitHubContext:
    """What pomgate reads from a GitHub Actions run."""

    repository: str
    token: str | None
    api_url: str
    server_url: str
    event_name: str
    pr_number: int | None
    base_sha: str | None
    head_sha: str | None
    from_fork: bool
    step_summary: str | None
    output: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GitHubContext:
        """Read the standard variables; the event payload gives the pull request (also for workflow_run)."""
        repository = environ.get("GITHUB_REPOSITORY", "")
        if "/" not in repository:
            raise GitHubContextError("GITHUB_REPOSITORY (owner/name) is not set: not running in GitHub Actions?")
        event = _load_event(environ.get("GITHUB_EVENT_PATH"))
        pull = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
        number = base = head = None
        from_fork = False
        if pull is not None:
            number = pull.get("number")
            base = (pull.get("base") or {}).get("sha")
            head = (pull.get("head") or {}).get("sha")
            head_repo = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
            from_fork = bool(head_repo) and head_repo != repository
        run = event.get("workflow_run") if isinstance(event.get("workflow_run"), dict) else None
        if run is not None:
            head = run.get("head_sha") or head
            pulls = run.get("pull_requests") or []
            if pulls and isinstance(pulls[0], dict):
                number = pulls[0].get("number", number)
        return cls(
            repository=repository,
            token=environ.get("GITHUB_TOKEN") or None,
            api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            server_url=(environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            pr_number=number if isinstance(number, int) else None,
            base_sha=base if isinstance(base, str) else None,
            head_sha=head if isinstance(head, str) else None,
            from_fork=from_fork,
            step_summary=environ.get("GITHUB_STEP_SUMMARY") or None,
            output=environ.get("GITHUB_OUTPUT") or None,
        )


def _load_event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as err:
        raise GitHubContextError(f"GITHUB_EVENT_PATH {path}: cannot read the event ({err})") from err
    return event if isinstance(event, dict) else {}


def append_step_summary(context: GitHubContext, markdown: str) -> None:
    """Add ``markdown`` to the job summary (GITHUB_STEP_SUMMARY)."""
    if context.step_summary:
        with open(context.step_summary, "a", encoding="utf-8") as handle:
            handle.write(markdown if markdown.endswith("\n") else markdown + "\n")


def write_outputs(context: GitHubContext, values: Mapping[str, str]) -> None:
    """Set step outputs (GITHUB_OUTPUT), each record escaped by `pomgate.escaping.github_output`."""
    if not context.output:
        return
    with open(context.output, "a", encoding="utf-8") as handle:
        handle.writelines(github_output(key, value) for key, value in values.items())


_PULL_REQUEST_NUMBER = re.compile(r"[0-9]{1,10}")


def pull_request_number(text: str) -> int:
    """A pull-request number given as text: ASCII digits only (Python's int() also takes "٥" and "²")."""
    number = text.strip()
    if not _PULL_REQUEST_NUMBER.fullmatch(number) or int(number) == 0:
        raise ValueError(f"{text!r} is not a pull-request number (expected digits 0-9, e.g. 42)")
    return int(number)
