"""`pomgate hook` (the pre-commit entry point) and `pomgate worker`, its resident worker."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pomgate.cli.analysis import AnalysisSettings, analyze
from pomgate.cli.check import run_check
from pomgate.cli.options import (
    CacheDirOpt,
    ClassOpt,
    ColorOpt,
    ConfigOpt,
    ControllerOpt,
    FailOnOpt,
    FormatOpt,
    NamespaceOpt,
    NoBuildOpt,
    NoCacheOpt,
    PrefixOpt,
    fail,
    use_color,
)


def hook(
    files: Annotated[
        list[str] | None,
        typer.Argument(metavar="FILE", help="Files to report on (pre-commit passes the changed ones)."),
    ] = None,
    root: Annotated[
        str,
        typer.Option("--root", metavar="DIR", help="Folder read for context: every manifest in it."),
    ] = ".",
    output_format: FormatOpt = "text",
    fail_on: FailOnOpt = None,
    prefix: PrefixOpt = None,
    namespace: NamespaceOpt = None,
    controller_name: ControllerOpt = None,
    ingress_class: ClassOpt = None,
    config_path: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    color: ColorOpt = "auto",
    no_build: NoBuildOpt = False,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="With no FILES: accept a --root without Kubernetes objects (else an input/empty error). "
            "With FILES the hook never reports an empty input: a commit may change no manifest.",
        ),
    ] = False,
    daemon: Annotated[
        bool,
        typer.Option(
            "--daemon",
            help="Answer from a resident worker for this directory, started by the first such run; it exits "
            "after 15 idle minutes or on `pomgate worker stop`. Same output, without the start-up and "
            "repository walk of a fresh process. Runs whose output goes to a terminal stay in-process.",
        ),
    ] = False,
) -> None:
    """pre-commit entry point: check the whole repository, report only on FILES.

    Cross-file rules (duplicate TCP hosts, a header Secret in another file, shadowed routes, missing
    Services) need the rest of the repository, so every manifest under --root is read for context
    (unchanged files come from the scan cache) while only findings in FILES are reported. This stays
    correct when pre-commit splits a long file list over several runs. With no FILES, every finding
    is reported, like `pomgate check ROOT`. A changed base file is checked in every environment that
    builds it; builds whose inputs did not change come from the build cache. The summary counts the
    FILES reported on; the Ingresses and routes it counts are those of the whole --root.

    FILES that hold no Kubernetes object (a CI workflow, a values file) pass quietly.

    With --daemon, a run that found no worker runs here and then starts one in the background.
    """
    import os

    settings = AnalysisSettings(
        config_path, prefix, namespace, controller_name, ingress_class, no_cache, cache_dir, no_build, allow_empty
    )
    try:
        if not files:
            run_check([root], None, output_format, fail_on, settings, color)
        else:
            focus = []
            for name in files:
                relative = os.path.relpath(name, root) if os.path.isabs(name) or root != "." else name
                focus.append(display_under(root, os.path.normpath(relative)))
            report_on_files(root, list(dict.fromkeys(focus)), output_format, fail_on, settings, color)
    finally:
        if daemon:
            from pomgate.worker.server import start_in_background

            start_in_background(os.getcwd())


def report_on_files(
    root: str, focus: list[str], output_format: str, fail_on: str | None, settings: AnalysisSettings, color: str
) -> None:
    """Analyse ``root``; print the findings in the ``focus`` files, which the summary counts; exit by --fail-on.

    The command line's choices are checked by typer (their Literal types) before this runs.
    """
    from dataclasses import replace

    from pomgate.reports.check_output import FAIL_ON, should_fail, write_check

    deployment, config = analyze([root], settings, focus=focus)
    analysis = replace(deployment.combined(), files=focus)
    threshold = config.setting("fail-on", fail_on, "error")
    if threshold not in FAIL_ON:
        fail(f"{config.path}: fail-on must be one of {', '.join(FAIL_ON)}")
    write_check(analysis, output_format, sys.stdout, color=use_color(color))
    raise typer.Exit(1 if should_fail(analysis, threshold) else 0)


def display_under(root: str, relative: str) -> str:
    """The display path the scanner gives ``relative`` when it walks ``root``."""
    import os

    return relative if root in (".", "./") else os.path.normpath(os.path.join(root, relative))


worker_app = typer.Typer(
    help="The resident worker of `pomgate hook --daemon` for the current directory.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@worker_app.command("status")
def worker_status() -> None:
    """Say whether a worker serves this directory (exit 1 when none does)."""
    import time

    from pomgate.worker.client import request

    answer = request({"op": "status"})
    if answer is None:
        typer.echo("no worker serves this directory (with this pomgate)")
        raise typer.Exit(1)
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(answer.get("started", 0))))
    typer.echo(f"worker {answer.get('pid')} serves {answer.get('cwd')}: {answer.get('requests')} runs since {since}")


@worker_app.command("stop")
def worker_stop() -> None:
    """Stop the worker serving this directory, if any."""
    from pomgate.worker.client import request

    answer = request({"op": "stop"})
    typer.echo("no worker was running" if answer is None else f"worker {answer.get('pid')} stopped")
