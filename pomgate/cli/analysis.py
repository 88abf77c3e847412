"""What `render`, `check`, `explain` and `hook` share: configuration, the scan cache, one analysis."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pomgate.cli.options import DEFAULT_PATHS, error, fail, warn

if TYPE_CHECKING:
    from pomgate.config import Config
    from pomgate.environments.build import Progress
    from pomgate.environments.run import Deployment
    from pomgate.findings import Finding
    from pomgate.pipeline import Analysis
    from pomgate.scanning.cache import ScanCache
    from pomgate.translation.options import TranslateOptions


@dataclass(frozen=True)
class AnalysisSettings:
    """The command-line settings of an analysis (None: the configuration file's, else the default)."""

    config_path: str | None = None
    prefix: str | None = None
    namespace: str | None = None
    controller_name: str | None = None
    ingress_class: str | None = None
    no_cache: bool = False
    cache_dir: str | None = None
    no_build: bool = False
    #: Accept an input without Kubernetes objects (else it is an input/empty error).
    allow_empty: bool = False


def load_configuration(config_path: str | None) -> Config:
    """``--config``, else the nearest configuration file; a usage error (exit 2) when it cannot be used."""
    from pathlib import Path

    from pomgate.config import ConfigError, find_config, load_config

    try:
        if config_path is not None and not Path(config_path).is_file():
            raise ConfigError(f"{config_path}: no such configuration file")
        return load_config(Path(config_path) if config_path else find_config())
    except ConfigError as err:
        fail(str(err))


def translate_options(config: Config, settings: AnalysisSettings) -> TranslateOptions:
    """The translator's options: command line over configuration file over defaults."""
    from pomgate.translation.options import TranslateOptions

    return TranslateOptions(
        prefix=config.setting("prefix", settings.prefix, "ingress.pomerium.io").rstrip("/"),
        controller_name=config.setting("controller-name", settings.controller_name, "pomerium.io/ingress-controller"),
        assumed_ingress_class=config.setting("ingress-class", settings.ingress_class, "pomerium") or None,
    )


def open_scan_cache(no_cache: bool, cache_dir: str | None) -> ScanCache | None:
    """The scan cache for this run, or None (``--no-cache``, or a folder/pack that is not trusted: warned)."""
    from pathlib import Path

    from pomgate.scanning.cache import open_cache

    if no_cache:
        return None
    cache, problem = open_cache(Path(cache_dir) if cache_dir else None)
    if problem:
        warn(problem)
    return cache


def analyze(
    paths: list[str] | None, settings: AnalysisSettings, *, focus: list[str] | None = None
) -> tuple[Deployment, Config]:
    """Load the configuration, then read ``paths`` (none: the current directory) as deployed and translate.

    Kustomize roots and Helm charts are built and Argo CD / Flux applications define environments,
    unless ``--no-build`` or the configuration's ``build: false``. Exit 2 on a usage error. An input
    without any Kubernetes object gets an input/empty error, unless ``settings.allow_empty`` or a
    ``focus`` (the hook reporting on given files: a commit may change no manifest).
    """
    from pomgate.environments.run import analyze_deployed

    paths = list(paths) if paths else list(DEFAULT_PATHS)
    config = load_configuration(settings.config_path)
    deployment = analyze_deployed(
        paths,
        translate_options(config, settings),
        default_namespace=config.setting("namespace", settings.namespace, "default"),
        config=config,
        cache=open_scan_cache(settings.no_cache, settings.cache_dir),
        focus=focus,
        build=config.build and not settings.no_build,
        progress=_build_progress() if sys.stderr.isatty() else None,
        wait_for_cache=False,  # the cache writer finishes after we exit; output is not held up for it
    )
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")  # clear the progress line
    missing = [f for f in deployment.findings if f.rule == "input/not-found"]
    if missing:
        for finding in missing[:-1]:
            error(finding.message)
        fail(missing[-1].message)
    if focus is None and not settings.allow_empty:
        report_empty_input(deployment, config, paths)
    run_access_tests(deployment, config, paths)
    return deployment, config


def report_empty_input(deployment: Deployment, config: Config, paths: list[str]) -> None:
    """Add an input/empty error to ``deployment`` when no Kubernetes object was read and no error says why."""
    from pomgate.findings import Finding, Severity

    if any(item.analysis.objects for item in deployment.environments):
        return
    if any(finding.severity is Severity.ERROR for finding in deployment.findings):
        return  # the run fails already, with the reason (a YAML error, a failed build)
    deployment.findings.extend(config.apply([empty_input_finding(deployment, paths)]))
    deployment.findings.sort(key=Finding.sort_key)


def empty_input_finding(deployment: Deployment, paths: list[str]) -> Finding:
    """The input/empty error for ``paths``, naming what was read."""
    from pomgate.findings import Finding, Severity

    where = ", ".join("standard input" if path == "-" else path for path in paths)
    read = sum(1 for name in deployment.combined().files if not name.startswith("<"))
    shown = "" if paths == ["-"] else f" ({read} YAML or JSON file(s) read)"
    return Finding(
        rule="input/empty",
        severity=Severity.ERROR,
        message=f"no Kubernetes object found in {where}{shown}: nothing was checked",
        hint="check the path, or the command that feeds pomgate; --allow-empty accepts an empty input",
        environments=tuple(item.environment.name for item in deployment.environments) if deployment.has_builds else (),
    )


def run_access_tests(deployment: Deployment, config: Config, paths: list[str]) -> None:
    """Add the findings of the repository's access tests (`.pomgate/access.yaml`) to ``deployment``."""
    import os

    from pomgate.access.suite import find_suite, judge, read_suite, suite_findings
    from pomgate.findings import Finding

    location = find_suite(config.path, config.access_tests, paths)
    if location is None:
        return
    if config.access_tests is not None and not os.path.isfile(location):
        fail(f"{config.path}: access-tests: {location}: no such file")
    suite = read_suite(location)
    environments = [(item.environment.name, item.analysis) for item in deployment.environments]
    found = suite_findings(suite, judge(suite, environments), named=deployment.has_builds)
    deployment.findings.extend(config.apply(found))
    deployment.findings.sort(key=Finding.sort_key)


def _build_progress() -> Progress:
    """A one-line `building N/M: NAME` on a terminal's stderr while builds run."""
    from pomgate.escaping import terminal_line

    def show(done: int, total: int, name: str) -> None:
        line = terminal_line(f"pomgate: built {done}/{total} environment(s): {name}")[:200]
        sys.stderr.write(f"\r{line}\033[K")
        sys.stderr.flush()

    return show


def environment_analysis(deployment: Deployment, name: str | None) -> Analysis:
    """The analysis to report: environment ``name`` (a usage error when there is none), else all of them."""
    if name is None:
        return deployment.combined()
    chosen = deployment.only(name)
    if chosen is None:
        names = ", ".join(item.environment.name for item in deployment.environments)
        fail(f"no environment {name!r}; the input has: {names}")
    return chosen
