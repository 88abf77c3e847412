"""`pomgate comment`: post a diff report (a JSON artifact) as the sticky pull-request comment."""

from __future__ import annotations

from typing import Annotated

import typer

from pomgate.cli.options import CommentKeyOpt, CommentModeOpt, SkipUnchangedOpt, check_comment_mode, fail


def comment(
    diff_json_path: Annotated[
        str, typer.Option("--diff-json", help="A `pomgate diff --format json` document (e.g. a workflow artifact).")
    ],
    pr: Annotated[
        str | None, typer.Option("--pr", help="Pull-request number [default: from the GitHub event].")
    ] = None,
    head_sha: Annotated[
        str | None,
        typer.Option("--head-sha", help="Refuse to comment unless the pull request's head is this commit."),
    ] = None,
    comment_mode: CommentModeOpt = "update",
    comment_key: CommentKeyOpt = "pomgate",
    skip_unchanged: SkipUnchangedOpt = False,
) -> None:
    """Post a diff report as the sticky pull-request comment (the fork-safe workflow_run pattern).

    The report is read as data (JSON) and the comment is built here, escaping every string, so an
    artifact made by untrusted pull-request code cannot inject Markdown or HTML into the comment.
    """
    from pomgate.diff.publish import load_diff_json, publish
    from pomgate.github.api import GitHubError
    from pomgate.github.context import pull_request_number

    check_comment_mode(comment_mode)
    number = None
    if pr is not None:
        try:
            number = pull_request_number(pr)
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--pr") from None
    try:
        document = load_diff_json(diff_json_path)
    except (OSError, ValueError) as err:
        fail(str(err))
    try:
        result = publish(
            document,
            mode=comment_mode,
            key=comment_key,
            skip_unchanged=skip_unchanged,
            pr_number=number,
            head_sha=head_sha,
        )
    except GitHubError as err:
        fail(f"could not comment: {err}", 1)
    from pomgate.escaping import terminal_line

    typer.echo(terminal_line(f"pomgate: {result.message}"), err=True)
    if result.refused:
        raise typer.Exit(1)
