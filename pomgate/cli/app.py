"""The `pomgate` command line: one module per command; heavy modules are imported inside them."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand

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


class HelpCommand(TyperCommand):
    """A command whose help names each value: ``--format [text|json]``, ``[PATH]...``, never ``<str>``.

    Options without a metavar get their choices, else their name in capitals; arguments are shown by
    their metavar alone, in brackets when they may be left out.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = value_name(param)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """``[OPTIONS] URL [PATH]...``: required arguments bare, optional ones in brackets."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                pieces.append(argument_usage(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The Arguments and Options sections, arguments named without their Python type."""
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((argument_name(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def value_name(param: Any) -> str:
    """What help calls the value of ``param``: ``[a|b|c]`` for a choice, else its name in capitals."""
    descriptor = getattr(param, "type_descriptor", None)  # typer 0.2x; a click.Choice type before
    choices = descriptor.choices if descriptor is not None else getattr(param.type, "choices", None)
    if choices:
        return "[" + "|".join(str(choice) for choice in choices) + "]"
    return (param.name or "value").upper()


def argument_name(param: TyperArgument) -> str:
    """``PATH`` or ``PATH...`` (several values)."""
    name = param.metavar or (param.name or "value").upper()
    return f"{name}..." if param.nargs != 1 else name


def argument_usage(param: TyperArgument) -> str:
    """The argument in the usage line: ``URL``, ``[PATH]...``."""
    name = param.metavar or (param.name or "value").upper()
    shown = name if param.required else f"[{name}]"
    return f"{shown}..." if param.nargs != 1 else shown


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
    app.command(cls=HelpCommand)(command)
app.add_typer(worker_app, name="worker")
app.command(cls=HelpCommand)(rules)


def _register_controller() -> None:
    from pomgate.cli.controller_command import controller

    app.command("controller", cls=HelpCommand)(controller)


_register_controller()


def main() -> None:
    """Console-script entry point."""
    app()
