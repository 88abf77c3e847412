"""The `pomgate` command line: one module per command; heavy modules are imported inside them."""

from __future__ import annotations

from typing import Annotated

import typer

from pomgate import __version__
from pomgate.cli.check import check
from pomgate.cli.comment import comment
from pomgate.cli.diff import diff
from pomgate.cli.explain import explain
from pomgate.cli.hook import hook, worker_app
from pomgate.cli.options import set_workers
from pomgate.cli.render import render
from pomgate.cli.rules import rules

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
    set_workers(None)  # every command: $POMGATE_WORKERS, else both cores


for command in (render, check, comment, diff, explain, hook):
    app.command()(command)
app.add_typer(worker_app, name="worker")
app.command()(rules)


def _register_controller() -> None:
    from pomgate.cli.controller_command import controller

    app.command("controller")(controller)


_register_controller()


def main() -> None:
    """Console-script entry point."""
    app()
