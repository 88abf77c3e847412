"""`pomgate diff`: what a change does to Pomerium — routes, risks, new findings — for a pull request."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pomgate.cli.analysis import AnalysisSettings, open_scan_cache, translate_options
from pomgate.cli.options import (
    CacheDirOpt,
    ClassOpt,
    ColorOpt,
    CommentKeyOpt,
    CommentModeOpt,
    ConfigOpt,
    ControllerOpt,
    DiffFormat,
    FailOnOpt,
    NamespaceOpt,
    NoBuildOpt,
    NoCacheOpt,
    PrefixOpt,
    SkipUnchangedOpt,
    check_choice,
    check_comment_mode,
    fail,
    use_color,
)


def diff(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="PATH", help="Folders or files to compare [default: the whole repository]."),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            "--base", metavar="REV", help="Base revision (branch, tag or commit) [default: the pull request's base]."
        ),
    ] = None,
    head: Annotated[
        str | None,
        typer.Option(
            "--head", metavar="REV", help="Head revision [default: the working tree, uncommitted changes too]."
        ),
    ] = None,
    output_format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = "text",
    fail_on: FailOnOpt = None,
    prefix: PrefixOpt = None,
    namespace: NamespaceOpt = None,
    controller_name: ControllerOpt = None,
    ingress_class: ClassOpt = None,
    config_path: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    comment: Annotated[
        bool,
        typer.Option(
            "--comment",
            help="In GitHub Actions: post the report as one sticky pull-request comment (and write the job summary "
            "and step outputs).",
        ),
    ] = False,
    comment_mode: CommentModeOpt = "update",
    comment_key: CommentKeyOpt = "pomgate",
    skip_unchanged: SkipUnchangedOpt = False,
    color: ColorOpt = "auto",
    no_build: NoBuildOpt = False,
) -> None:
    """Show what a change does to Pomerium: routes added, removed and changed, risks, new findings.

    Both revisions are read straight from git objects (no checkout); a file that is the same in
    both is parsed once. Risks a reviewer must not miss come first: a route becoming public, a
    policy removed or widened, tls_skip_verify turned on, identity headers turned off, a route
    removed, a host taken over by another Ingress or served from a namespace the configuration's
    hosts: does not allow, a configuration change that loosens the checks, a new suppression.

    The configuration comes from the base revision (found from the current directory as usual),
    so the change under review cannot switch its own checks off; --config is used as given.

    Kustomize roots and Helm charts are environments: one whose inputs differ between the two
    revisions (a changed base changes every overlay over it) is built on both sides, from git
    objects, and its route changes are shown under its name; unchanged ones are not built.

    \b
    Examples:
      pomgate diff --base origin/main               # working tree against main
      pomgate diff --base v1.2.0 --head HEAD k8s/   # two revisions, one folder
      pomgate diff --base origin/main -f markdown   # for a pull-request comment

    Exit status: 1 when the change introduces a finding at or above --fail-on (default error;
    findings already in the base do not count), 0 otherwise, 2 for usage errors.
    """
    import os
    from pathlib import Path

    from pomgate.access.changes import record_access_changes, revision_suite, suite_candidates
    from pomgate.config import ConfigError
    from pomgate.diff.gitread import RevisionError, open_repository, repository_prefixes
    from pomgate.diff.report import write_json, write_text
    from pomgate.diff.run import diff_configuration
    from pomgate.environments.diff import diff_deployed
    from pomgate.findings import Severity
    from pomgate.reports.check_output import FAIL_ON

    check_choice(output_format, ("text", "json", "markdown"), "--format")
    check_comment_mode(comment_mode)
    check_choice(fail_on, FAIL_ON, "--fail-on")
    if base is None:
        base = pull_request_base()
        if base is None:
            raise typer.BadParameter(
                "give the base revision (no pull request event to take it from)", param_hint="--base"
            )
    try:
        repo = open_repository(".")
        configuration = diff_configuration(repo, base, head, Path(config_path) if config_path else None)
    except (ConfigError, RevisionError) as err:
        fail(str(err))
    config = configuration.used
    settings = AnalysisSettings(config_path, prefix, namespace, controller_name, ingress_class, no_cache, cache_dir)
    try:
        cache = open_scan_cache(no_cache, cache_dir)
        result = diff_deployed(
            repo,
            base,
            head,
            paths or [],
            translate_options(config, settings),
            default_namespace=config.setting("namespace", namespace, "default"),
            configuration=configuration,
            cache=cache,
            build=config.build and not no_build,
        )
        if cache is not None:
            cache.save(background=False)
        where = suite_candidates(config, repository_prefixes(repo, paths or []))
        record_access_changes(result, revision_suite(repo, base, where), revision_suite(repo, head, where))
    except RevisionError as err:
        fail(str(err))
    label = f"{base}..{head or 'working tree'}"
    if output_format == "json":
        write_json(result, sys.stdout)
    elif output_format == "markdown":
        from pomgate.diff.markdown import diff_markdown

        sys.stdout.write(diff_markdown(result, label))
    else:
        write_text(result, label, sys.stdout, color=use_color(color))
    if comment or os.environ.get("GITHUB_ACTIONS") == "true":
        from pomgate.diff.compare import diff_json
        from pomgate.diff.publish import publish
        from pomgate.escaping import terminal_line
        from pomgate.github.api import GitHubError

        try:
            published = publish(
                diff_json(result), comment=comment, mode=comment_mode, key=comment_key, skip_unchanged=skip_unchanged
            )
        except GitHubError as err:
            fail(f"could not comment: {err}", 1)
        typer.echo(terminal_line(f"pomgate: {published.message}"), err=True)
    threshold = config.setting("fail-on", fail_on, "error")
    if threshold not in FAIL_ON:
        fail(f"{config.path}: fail-on must be one of {', '.join(FAIL_ON)}")
    failing = threshold != "never" and any(f.severity.rank >= Severity(threshold).rank for f in result.introduced)
    raise typer.Exit(1 if failing else 0)


def pull_request_base() -> str | None:
    """The base commit of the pull request in a GitHub Actions run, when there is one."""
    import json
    import os

    event_path = os.environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        return None
    try:
        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return None
    sha = event.get("pull_request", {}).get("base", {}).get("sha") if isinstance(event, dict) else None
    return sha if isinstance(sha, str) and sha else None
