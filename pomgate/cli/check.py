"""`pomgate check`: every problem the controller or Kubernetes would reject, with file and line."""

from __future__ import annotations

import sys

import typer

from pomgate.cli.analysis import AnalysisSettings, analyze, environment_analysis
from pomgate.cli.options import (
    CacheDirOpt,
    ClassOpt,
    ColorOpt,
    ConfigOpt,
    ControllerOpt,
    EnvironmentOpt,
    FailOnOpt,
    FormatOpt,
    NamespaceOpt,
    NoBuildOpt,
    NoCacheOpt,
    PathsArg,
    PrefixOpt,
    WorkersOpt,
    check_choice,
    fail,
    set_workers,
    use_color,
)


def check(
    paths: PathsArg,
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
) -> None:
    """Report every problem the controller or Kubernetes would reject, with file and line.

    Also flags what a reviewer should see (public routes, routes nobody can reach, tls_skip_verify,
    shadowed routes). `pomgate rules` lists every rule.

    The repository is read as it is deployed: each kustomize root (a kustomization no other one
    uses) is built with kustomize, each Helm chart rendered with helm when it is installed, and Argo
    CD or Flux applications name the environment they deploy. Findings on built objects point at the
    file and line that wrote the value (the base, or the patch), naming the environments they hold
    in. --no-build reads every file as it is.

    \b
    Examples:
      pomgate check k8s/                    # grouped by file, with source lines
      pomgate check --format github k8s/    # annotations in a GitHub Actions log
      pomgate check -f sarif k8s/ > pomgate.sarif
      pomgate check --fail-on warning k8s/  # fail on warnings too
      pomgate check -e overlays/prod .      # one environment only

    Exit status: 1 when a finding at or above --fail-on (default error) exists, 0 otherwise,
    2 for usage errors.
    """
    set_workers(workers)
    settings = AnalysisSettings(
        config_path, prefix, namespace, controller_name, ingress_class, no_cache, cache_dir, no_build
    )
    run_check(paths, None, output_format, fail_on, settings, color, environment)


def run_check(
    paths: list[str],
    focus: list[str] | None,
    output_format: str,
    fail_on: str | None,
    settings: AnalysisSettings,
    color: str,
    environment: str | None = None,
) -> None:
    """Analyse, print the findings (only those in ``focus`` files, when given) and exit by --fail-on."""
    from pomgate.reports.check_output import FAIL_ON, FORMATS, should_fail, write_check

    check_choice(output_format, FORMATS, "--format")
    check_choice(color, ("auto", "always", "never"), "--color")
    check_choice(fail_on, FAIL_ON, "--fail-on")
    deployment, config = analyze(paths, settings, focus=focus)
    analysis = environment_analysis(deployment, environment)
    threshold = config.setting("fail-on", fail_on, "error")
    if threshold not in FAIL_ON:
        fail(f"{config.path}: fail-on must be one of {', '.join(FAIL_ON)}")
    write_check(analysis, output_format, sys.stdout, color=use_color(color))
    raise typer.Exit(1 if should_fail(analysis, threshold) else 0)
