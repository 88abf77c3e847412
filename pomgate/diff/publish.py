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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pomgate.diff.markdown import Links, diff_sections, markdown_from_json
from pomgate.escaping import terminal_line
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
    """Whether the diff touches any route or finding, or raises a risk (a configuration change may raise one alone)."""
    summary = document.get("summary") or {}
    changed = any(summary.get(key) for key in ("added", "removed", "changed", "introduced", "fixed", "risks"))
    return changed or bool(document.get("access_tests"))


def job_outputs(document: Mapping[str, Any]) -> dict[str, str]:
    """The step outputs the action declares."""
    summary = document.get("summary") or {}
    values = {key: str(summary.get(key, 0)) for key in ("added", "removed", "changed", "risks", "introduced")}
    risks = document.get("risks") or []
    risky = any(isinstance(risk, Mapping) and not risk.get("informational") for risk in risks)
    values["risky"] = "true" if risky else "false"
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
    message = f"comment {outcome.action}: {outcome.url or ''}".rstrip(": ")
    if outcome.warning:
        message += f"; warning: {outcome.warning}"
    return PublishResult(True, message)


# ---------------------------------------------------------------- the diff document, read as untrusted data

NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]


class _Schema(BaseModel):
    """Strict types (no coercion: "1" is not 1, true is not 1); keys the contract does not have are dropped."""

    model_config = ConfigDict(strict=True, extra="ignore")


class IngressName(_Schema):
    namespace: str
    name: str


class RouteDocument(_Schema):
    """A route as `config.yaml` keys plus its Ingress; the other keys are kept as JSON values."""

    model_config = ConfigDict(extra="allow")

    from_: str = Field(alias="from")
    to: list[str] | None = None
    path: str | None = None
    prefix: str | None = None
    regex: str | None = None
    ingress: IngressName


class RouteChangeDocument(_Schema):
    route: RouteDocument
    before: dict[str, Any]
    after: dict[str, Any]
    fields: list[str]


class RiskRoute(_Schema):
    """The route a risk is about: its `from` URL, its Ingress, and the rule's host and path as written."""

    from_: str = Field(alias="from")
    ingress: IngressName
    host: str
    path: str


class RiskDocument(_Schema):
    """A risk; ``route`` is null when it is about no one route (the configuration, an annotation)."""

    kind: str
    route: RiskRoute | None
    detail: str
    environment: str = ""
    classes: list[dict[str, Any]] = []
    informational: bool = False


class AccessTestDocument(_Schema):
    test: str
    path: str
    line: NonNegativeInt
    expect: Literal["allow", "deny", "not-found"]
    before: Literal["allow", "deny", "depends", "not-found"]
    after: Literal["allow", "deny", "depends", "not-found"]
    because: str
    environment: str = ""


class ObjectName(_Schema):
    kind: str
    namespace: str
    name: str


class FindingDocument(_Schema):
    rule: str
    severity: Literal["error", "warning", "info"]
    message: str
    path: str | None = None
    line: NonNegativeInt | None = None
    column: NonNegativeInt | None = None
    object: ObjectName | None = None
    hint: str | None = None
    docs: str | None = None
    environments: list[str] = []


class FindingChanges(_Schema):
    introduced: list[FindingDocument]
    fixed: list[FindingDocument]


class SummaryCounts(_Schema):
    added: NonNegativeInt
    removed: NonNegativeInt
    changed: NonNegativeInt
    risks: NonNegativeInt
    introduced: NonNegativeInt
    fixed: NonNegativeInt


class DiffDocument(_Schema):
    """`pomgate diff --format json`; the counts must be the lengths of the lists they count."""

    summary: SummaryCounts
    added: list[RouteDocument]
    removed: list[RouteDocument]
    changed: list[RouteChangeDocument]
    risks: list[RiskDocument]
    access_tests: list[AccessTestDocument] = []
    findings: FindingChanges

    @model_validator(mode="after")
    def _counts_match_the_lists(self) -> DiffDocument:
        listed = {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "risks": len(self.risks),
            "introduced": len(self.findings.introduced),
            "fixed": len(self.findings.fixed),
        }
        for name, length in listed.items():
            count = getattr(self.summary, name)
            if count != length:
                raise ValueError(f"summary.{name} is {count} but the document lists {length}")
        return self


def load_diff_json(path: str) -> dict[str, Any]:
    """Read a `pomgate diff --format json` document that may come from untrusted code.

    Checked against the contract (types, not only keys); the result holds only what the contract
    defines. A ValueError says what is wrong, in text safe to print.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except RecursionError:
        raise ValueError(f"{path}: not a pomgate diff document: nested too deeply") from None
    except ValueError as err:  # JSON syntax, or not UTF-8
        raise ValueError(f"{path}: not a pomgate diff document: {err}") from None
    try:
        document = DiffDocument.model_validate(raw)
    except ValidationError as err:
        problems = [_problem(error) for error in err.errors(include_url=False, include_input=False)]
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise ValueError(terminal_line(f"{path}: not a valid pomgate diff document: {shown}")) from None
    return document.model_dump(by_alias=True, exclude_unset=True)


def _problem(error: Mapping[str, Any]) -> str:
    """`findings.introduced.0.line: Input should be a valid integer` (the value itself is not repeated)."""
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {message}" if where else message
