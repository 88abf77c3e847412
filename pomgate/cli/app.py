"""The `pomgate` command line. Heavy modules are imported inside commands to keep start-up quick."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pomgate.pipeline import Analysis
    from pomgate.translation.options import TranslateOptions

from pomgate import __version__

app = typer.Typer(
    name="pomgate",
    help=(
        "See what Ingress changes do to Pomerium before they merge.\n\n"
        "pomgate reads Kubernetes manifests (files, directories, or '-' for stdin), translates the "
        "Ingresses of the Pomerium IngressClass exactly like the Pomerium Ingress Controller, and "
        "reports the routes and every problem the controller or Kubernetes would reject.\n\n"
        "Examples:\n\n"
        "  pomgate render examples/              # routes as Pomerium config.yaml\n\n"
        "  kustomize build overlays/prod | pomgate render -\n\n"
        "  pomgate check k8s/                    # problems, with file and line"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

PathsArg = Annotated[
    list[str],
    typer.Argument(help="Manifest files or directories (searched recursively for .yaml/.yml/.json); '-' reads stdin."),
]
PrefixOpt = Annotated[str, typer.Option("--prefix", help="Annotation prefix the controller reads.")]
NamespaceOpt = Annotated[
    str, typer.Option("--namespace", "-n", help="Namespace for objects whose manifest names none.")
]
ControllerOpt = Annotated[
    str, typer.Option("--controller-name", help="IngressClass spec.controller value of the Pomerium controller.")
]
ClassOpt = Annotated[
    str,
    typer.Option(
        "--ingress-class",
        help="IngressClass assumed to belong to the controller when the input does not define it "
        "(Helm installs it; repositories rarely hold it).",
    ),
]


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"pomgate {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """pomgate: render, check and diff Pomerium Ingress routes."""


def _options(prefix: str, controller_name: str, ingress_class: str) -> TranslateOptions:
    from pomgate.translation.options import TranslateOptions

    return TranslateOptions(
        prefix=prefix.rstrip("/"), controller_name=controller_name, assumed_ingress_class=ingress_class or None
    )


def _analyze(paths: list[str], prefix: str, namespace: str, controller_name: str, ingress_class: str) -> Analysis:
    from pomgate.pipeline import analyze_paths

    analysis = analyze_paths(paths, _options(prefix, controller_name, ingress_class), default_namespace=namespace)
    missing = [f for f in analysis.findings if f.rule == "input/not-found"]
    if missing:
        for finding in missing:
            typer.echo(f"pomgate: error: {finding.message}", err=True)
        raise typer.Exit(2)
    return analysis


@app.command()
def render(
    paths: PathsArg,
    output_format: Annotated[str, typer.Option("--format", "-f", help="Output format: yaml or json.")] = "yaml",
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Print values read from Secrets instead of redacting them.")
    ] = False,
    prefix: PrefixOpt = "ingress.pomerium.io",
    namespace: NamespaceOpt = "default",
    controller_name: ControllerOpt = "pomerium.io/ingress-controller",
    ingress_class: ClassOpt = "pomerium",
) -> None:
    """Print the Pomerium routes the controller would build, as config.yaml `routes:`.

    Routes come in Pomerium's own order. Values read from Secrets are redacted unless
    --show-secrets is given. Ingresses that fail translation contribute no routes; their errors go
    to stderr and the exit status is 1.
    """
    if output_format not in ("yaml", "json"):
        raise typer.BadParameter("must be yaml or json", param_hint="--format")
    analysis = _analyze(paths, prefix, namespace, controller_name, ingress_class)
    from pomgate.reports.render_output import write_render

    failed = write_render(analysis, output_format, show_secrets, sys.stdout, sys.stderr)
    raise typer.Exit(1 if failed else 0)


@app.command()
def check(
    paths: PathsArg,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="Output format: text, json, sarif, github, junit or markdown.")
    ] = "text",
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on", help="Exit 1 when a finding of this severity or worse exists: error, warning, info or never."
        ),
    ] = "error",
    prefix: PrefixOpt = "ingress.pomerium.io",
    namespace: NamespaceOpt = "default",
    controller_name: ControllerOpt = "pomerium.io/ingress-controller",
    ingress_class: ClassOpt = "pomerium",
) -> None:
    """Report every problem the controller or Kubernetes would reject, with file and line.

    Exit status: 1 when a finding at or above --fail-on (default error) exists, 0 otherwise,
    2 for usage errors.
    """
    from pomgate.reports.check_output import FAIL_ON, FORMATS, should_fail, write_check

    if output_format not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")
    if fail_on not in FAIL_ON:
        raise typer.BadParameter(f"must be one of {', '.join(FAIL_ON)}", param_hint="--fail-on")
    analysis = _analyze(paths, prefix, namespace, controller_name, ingress_class)
    write_check(analysis, output_format, sys.stdout)
    raise typer.Exit(1 if should_fail(analysis, fail_on) else 0)


@app.command()
def rules(
    rule_id: Annotated[
        str | None, typer.Argument(help="A rule id (e.g. routing/duplicate-tcp-host) to explain.")
    ] = None,
) -> None:
    """List the rules pomgate checks, or explain one with its example."""
    from pomgate.rules import all_rules, get_rule

    if rule_id is None:
        for listed in all_rules().values():
            typer.echo(f"{listed.id:40} {listed.severity.value:8} {listed.summary}")
        return
    rule = get_rule(rule_id)
    if rule is None:
        known = ", ".join(all_rules())
        typer.echo(f"pomgate: error: no rule {rule_id!r}; known rules: {known}", err=True)
        raise typer.Exit(2)
    typer.echo(f"{rule.id} ({rule.severity.value}): {rule.summary}\n")
    typer.echo(rule.explanation + "\n")
    typer.echo("Bad:\n" + _indent(rule.bad) + "\n")
    typer.echo("Good:\n" + _indent(rule.good))


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def main() -> None:
    """Console-script entry point."""
    app()
