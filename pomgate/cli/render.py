"""`pomgate render`: the routes the controller would build, as Pomerium config.yaml."""

from __future__ import annotations

import sys
from typing import Annotated, TextIO

import typer

from pomgate.cli.analysis import AnalysisSettings, analyze, environment_analysis
from pomgate.cli.options import (
    AllowEmptyOpt,
    CacheDirOpt,
    ClassOpt,
    ConfigOpt,
    ControllerOpt,
    EnvironmentOpt,
    ManifestPathsArg,
    NamespaceOpt,
    NoBuildOpt,
    NoCacheOpt,
    PrefixOpt,
    RenderFormat,
    WorkersOpt,
    check_choice,
    error,
    fail,
    set_workers,
)


def render(
    paths: ManifestPathsArg = None,
    output_format: Annotated[RenderFormat, typer.Option("--format", "-f", help="Output format.")] = "yaml",
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Print values read from Secrets instead of redacting them.")
    ] = False,
    prefix: PrefixOpt = None,
    namespace: NamespaceOpt = None,
    controller_name: ControllerOpt = None,
    ingress_class: ClassOpt = None,
    config_path: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    workers: WorkersOpt = None,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the routes to this file instead of stdout."),
    ] = None,
    check_output: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Do not write: exit 1 (showing the difference) when the --output file is not what render "
            "would write. For repositories that commit the rendered routes (the pomgate-render hook).",
        ),
    ] = False,
    allow_empty: AllowEmptyOpt = False,
    environment: EnvironmentOpt = None,
    no_build: NoBuildOpt = False,
) -> None:
    """Print the Pomerium routes the controller would build, as config.yaml `routes:`.

    Routes come in Pomerium's own order. Values read from Secrets are redacted unless
    --show-secrets is given. Ingresses that fail translation contribute no routes. Errors and
    warnings go to stderr; the routes are printed all the same.

    In a repository with kustomize roots, Helm charts or Argo CD/Flux applications, each environment
    gets its own routes: one YAML document each (after a `# environment:` comment), or
    {"environments": [{"name", "routes"}]} in JSON; --environment NAME prints one as config.yaml.

    \b
    Examples:
      pomgate render                        # the current directory
      kubectl kustomize overlays/prod | pomgate render -
      pomgate render -o routes.yaml --check k8s/   # is the committed routes file current?

    Exit status: 1 when an error is found (an Ingress that fails translation, two TCP routes on one
    host, ...) or --check finds the file stale, 0 otherwise, 2 for usage errors. An input with no
    Kubernetes object is an error unless --allow-empty.
    """
    check_choice(output_format, ("yaml", "json"), "--format")
    if check_output and not output:
        raise typer.BadParameter("--check needs --output FILE (the committed routes file)", param_hint="--check")
    set_workers(workers)
    settings = AnalysisSettings(
        config_path, prefix, namespace, controller_name, ingress_class, no_cache, cache_dir, no_build, allow_empty
    )
    deployment, _config = analyze(paths, settings)
    if output is not None and environment is None and deployment.has_builds:
        names = ", ".join(item.environment.name for item in deployment.environments)
        fail(f"--output writes one environment's routes: name it with --environment ({names})")
    from pomgate.reports.render_output import write_environments, write_render

    def write(out: TextIO) -> bool:
        if environment is not None or not deployment.has_builds:
            return write_render(
                environment_analysis(deployment, environment), output_format, show_secrets, out, sys.stderr
            )
        named = [(item.environment.name, item.analysis) for item in deployment.environments]
        return write_environments(named, deployment.combined(), output_format, show_secrets, out, sys.stderr)

    if output is None:
        raise typer.Exit(1 if write(sys.stdout) else 0)
    import io

    buffer = io.StringIO()
    failed = write(buffer)
    if not check_output:
        _write(output, buffer.getvalue())
    elif not _is_current(output, buffer.getvalue()):
        raise typer.Exit(1)
    raise typer.Exit(1 if failed else 0)


def _write(output: str, wanted: str) -> None:
    from pathlib import Path

    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(wanted, encoding="utf-8")


def _is_current(output: str, wanted: str) -> bool:
    """Whether the committed routes file ``output`` holds ``wanted``; if not, the difference goes to stderr."""
    from pathlib import Path

    try:
        current = Path(output).read_text(encoding="utf-8")
    except OSError as err:
        error(f"{output}: cannot read the routes file ({err.strerror or err})")
        raise typer.Exit(1) from None
    if current == wanted:
        return True
    import difflib

    from pomgate.escaping import terminal_text

    lines = difflib.unified_diff(
        current.splitlines(keepends=True), wanted.splitlines(keepends=True), output, f"{output} (rendered)"
    )
    sys.stderr.write(terminal_text("".join(lines)))
    from pomgate.escaping import terminal_line

    typer.echo(
        terminal_line(f"pomgate: {output} is stale; write it again with: pomgate render -o {output} ..."), err=True
    )
    return False
