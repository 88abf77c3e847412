"""`pomgate explain URL`: which route serves a URL, who it lets in, and what it shadows."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pomgate.cli.analysis import AnalysisSettings, analyze, environment_analysis
from pomgate.cli.options import (
    CacheDirOpt,
    ClassOpt,
    ConfigOpt,
    ControllerOpt,
    EnvironmentOpt,
    NamespaceOpt,
    NoBuildOpt,
    NoCacheOpt,
    PrefixOpt,
    check_choice,
    fail,
)


def explain(
    url: Annotated[str, typer.Argument(help="The URL to resolve, e.g. https://app.example.com/api/x.")],
    paths: Annotated[list[str] | None, typer.Argument(help="Manifest files or directories [default: .].")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="Output format: text or json.")] = "text",
    prefix: PrefixOpt = None,
    namespace: NamespaceOpt = None,
    controller_name: ControllerOpt = None,
    ingress_class: ClassOpt = None,
    config_path: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    environment: EnvironmentOpt = None,
    no_build: NoBuildOpt = False,
) -> None:
    """Which route (Ingress, file, line) serves a URL, who it lets in, and what it shadows.

    Lists the routes of the URL's host in the order Pomerium tries them: a less specific route
    that comes first wins. Exit status 1 when no route serves the URL. In a repository with several
    environments, the one whose routes serve the URL is used (name it with --environment when
    several do).
    """
    import json

    from pomgate.diff.explain import ExplainError, explanation_json, explanation_text
    from pomgate.diff.explain import explain as resolve
    from pomgate.escaping import terminal_text

    check_choice(output_format, ("text", "json"), "--format")
    settings = AnalysisSettings(
        config_path, prefix, namespace, controller_name, ingress_class, no_cache, cache_dir, no_build
    )
    deployment, _config = analyze(paths or ["."], settings)
    names = [environment] if environment else [item.environment.name for item in deployment.environments]
    try:
        candidates = [(name, environment_analysis(deployment, name)) for name in names]
        answers = [(name, analysis, resolve(analysis.translation.routes, url)) for name, analysis in candidates]
    except ExplainError as err:
        raise typer.BadParameter(str(err), param_hint="URL") from None
    served = [answer for answer in answers if answer[2].winner] or answers[:1]
    if len(served) > 1:
        fail(
            f"{url} is served in several environments ({', '.join(a[0] for a in served)}): name one with --environment"
        )
    _name, analysis, found = served[0]
    if output_format == "json":
        json.dump(explanation_json(found, analysis.inventory), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(terminal_text(explanation_text(found, analysis.inventory)))
    raise typer.Exit(0 if found.winner else 1)
