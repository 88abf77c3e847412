"""`pomgate check`: every problem the controller or Kubernetes would reject, with file and line."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from pomgate.cli.analysis import AnalysisSettings, analyze, environment_analysis
from pomgate.cli.options import (
    AllowEmptyOpt,
    CacheDirOpt,
    ClassOpt,
    ColorOpt,
    ConfigOpt,
    ControllerOpt,
    EnvironmentOpt,
    FailOnOpt,
    FormatOpt,
    ManifestPathsArg,
    NamespaceOpt,
    NoBuildOpt,
    NoCacheOpt,
    PrefixOpt,
    WorkersOpt,
    check_choice,
    fail,
    set_workers,
    use_color,
)

if TYPE_CHECKING:
    from pomgate.pipeline import Analysis

FixOpt = Annotated[
    bool,
    typer.Option(
        "--fix",
        help="Apply the safe fixes in place (quote a bool or number annotation value, rename a misspelt annotation "
        "to its only candidate, drop the ^…$ of a regex path), keeping the rest of each file as it is; then report "
        "what is left.",
    ),
]
DiffOpt = Annotated[
    bool,
    typer.Option("--diff", help="Print the safe fixes as a unified diff and write nothing; exit 1 when there is one."),
]
OutputFileOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report to FILE instead of stdout (coloured only with --color always).",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print the findings only: no summary line, nothing when all is well.")
]
StatisticsOpt = Annotated[
    bool,
    typer.Option(
        "--statistics", help="Count the findings per rule instead of listing them ([*]: --fix fixes some of them)."
    ),
]


@dataclass(frozen=True)
class ReportSettings:
    """How `check` reports: the format, where to, and what to leave out."""

    output_format: str = "text"
    color: str = "auto"
    output_file: str | None = None
    quiet: bool = False
    statistics: bool = False


def check(
    paths: ManifestPathsArg = None,
    output_format: FormatOpt = "text",
    fail_on: FailOnOpt = None,
    prefix: PrefixOpt = None,
    namespace: NamespaceOpt = None,
    controller_name: ControllerOpt = None,
    ingress_class: ClassOpt = None,
    config_path: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    workers: WorkersOpt = None,
    color: ColorOpt = "auto",
    environment: EnvironmentOpt = None,
    no_build: NoBuildOpt = False,
    allow_empty: AllowEmptyOpt = False,
    fix: FixOpt = False,
    diff: DiffOpt = False,
    output_file: OutputFileOpt = None,
    quiet: QuietOpt = False,
    statistics: StatisticsOpt = False,
) -> None:
    """Report every problem the controller or Kubernetes would reject, with file and line.

    Also flags what a reviewer should see (public routes, routes nobody can reach, tls_skip_verify,
    shadowed routes). `pomgate rules` lists every rule; `pomgate rules ID` explains one.

    The repository is read as it is deployed: each kustomize root (a kustomization no other one
    uses) is built with kustomize, each Helm chart rendered with helm when it is installed, and Argo
    CD or Flux applications name the environment they deploy. Findings on built objects point at the
    file and line that wrote the value (the base, or the patch), naming the environments they hold
    in. --no-build reads every file as it is.

    \b
    Examples:
      pomgate check                         # the current directory, grouped by file
      pomgate check --format github k8s/    # annotations in a GitHub Actions log
      pomgate check -f sarif -o pomgate.sarif k8s/
      pomgate check --fail-on warning k8s/  # fail on warnings too
      pomgate check --diff k8s/             # the safe fixes, as a diff
      pomgate check --fix k8s/              # apply them
      pomgate check --statistics k8s/       # counts per rule
      pomgate check -e overlays/prod .      # one environment only

    Exit status: 1 when a finding at or above --fail-on (default error) exists (with --diff: when
    there is a fix to apply), 0 otherwise, 2 for usage errors.
    """
    set_workers(workers)
    settings = AnalysisSettings(
        config_path, prefix, namespace, controller_name, ingress_class, no_cache, cache_dir, no_build, allow_empty
    )
    report = ReportSettings(output_format, color, output_file, quiet, statistics)
    if fix or diff:
        run_fix(paths, fail_on, settings, report, environment, write=not diff)
    run_check(paths, None, output_format, fail_on, settings, color, environment, report=report)


def run_check(
    paths: list[str] | None,
    focus: list[str] | None,
    output_format: str,
    fail_on: str | None,
    settings: AnalysisSettings,
    color: str,
    environment: str | None = None,
    *,
    report: ReportSettings | None = None,
    notes: list[str] | None = None,
) -> None:
    """Analyse, print the findings (only those in ``focus`` files, when given) and exit by --fail-on."""
    from pomgate.reports.check_output import FAIL_ON, FORMATS, STATISTICS_FORMATS, should_fail

    report = report or ReportSettings(output_format, color)
    check_choice(output_format, FORMATS, "--format")
    check_choice(color, ("auto", "always", "never"), "--color")
    check_choice(fail_on, FAIL_ON, "--fail-on")
    if report.statistics:
        check_choice(output_format, STATISTICS_FORMATS, "--format (with --statistics)")
    deployment, config = analyze(paths, settings, focus=focus)
    analysis = environment_analysis(deployment, environment)
    threshold = config.setting("fail-on", fail_on, "error")
    if threshold not in FAIL_ON:
        fail(f"{config.path}: fail-on must be one of {', '.join(FAIL_ON)}")
    write_report(analysis, report)
    for note in notes or []:
        typer.echo(note, err=True)
    raise typer.Exit(1 if should_fail(analysis, threshold) else 0)


def write_report(analysis: Analysis, report: ReportSettings) -> None:
    """Write the report to stdout or to ``--output`` FILE."""
    if report.output_file is None:
        _write(analysis, report, sys.stdout, use_color(report.color))
        return
    try:
        with open(report.output_file, "w", encoding="utf-8", newline="\n") as out:
            _write(analysis, report, out, report.color == "always")
    except OSError as err:
        fail(f"{report.output_file}: cannot write the report ({err.strerror or err})")


def _write(analysis: Analysis, report: ReportSettings, out: TextIO, color: bool) -> None:
    from pomgate.reports.check_output import write_check

    write_check(analysis, report.output_format, out, color=color, quiet=report.quiet, statistics=report.statistics)


def run_fix(
    paths: list[str] | None,
    fail_on: str | None,
    settings: AnalysisSettings,
    report: ReportSettings,
    environment: str | None,
    *,
    write: bool,
) -> None:
    """`--fix` (``write``): apply the safe fixes, then report what is left; `--diff`: print them and exit."""
    from pomgate.environments.tree import repository_root
    from pomgate.escaping import terminal_line, terminal_text
    from pomgate.fixes.files import plan_fixes, unified_diff, write_plans

    deployment, _config = analyze(paths, settings)
    analysis = environment_analysis(deployment, environment)
    root = repository_root(".")
    plans = plan_fixes(analysis.findings, analysis.sources, root)
    if not write:
        notes = [terminal_line(f"pomgate: not fixed: {plan.path}: {plan.refused}") for plan in plans if plan.refused]
        patch = unified_diff(plans, analysis.sources)
        sys.stdout.write(terminal_text(patch))
        for note in notes:
            typer.echo(note, err=True)
        count = sum(len(plan.fixed) for plan in plans if not plan.refused)
        files = sum(1 for plan in plans if not plan.refused and plan.edits)
        if not report.quiet:
            typer.echo(f"pomgate: {count} fix(es) in {files} file(s) would be applied by --fix", err=True)
        raise typer.Exit(1 if patch else 0)
    written = write_plans(plans, root)
    notes = [terminal_line(f"pomgate: not fixed: {plan.path}: {plan.refused}") for plan in plans if plan.refused]
    fixed = sum(len(plan.fixed) for plan in plans if not plan.refused)
    if written or not report.quiet:
        notes.append(f"pomgate: fixed {fixed} finding(s) in {written} file(s)")
    run_check(
        paths,
        None,
        report.output_format,
        fail_on,
        settings,
        report.color,
        environment,
        report=report,
        notes=notes,
    )
