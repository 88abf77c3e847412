"""Options shared by the commands (typer `Annotated` aliases) and the small checks that go with them."""

from __future__ import annotations

import sys
from typing import Annotated, Literal, NoReturn, get_args

import typer

#: The paths read when a command is given none: the current directory, like `git` and `ruff`.
DEFAULT_PATHS = (".",)

ManifestPathsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="PATH",
        help="Manifest files or directories (searched recursively for .yaml/.yml/.json); '-' reads stdin [default: .].",
        show_default=False,
    ),
]

CheckFormat = Literal["text", "json", "sarif", "github", "junit", "markdown"]
RenderFormat = Literal["yaml", "json"]
DiffFormat = Literal["text", "json", "markdown"]
ExplainFormat = Literal["text", "json"]
FailOn = Literal["error", "warning", "info", "never"]
ColorChoice = Literal["auto", "always", "never"]
CommentMode = Literal["update", "recreate", "hide-and-create"]

#: The --comment-mode values, for `check_comment_mode` (the GitHub Action passes its input through it).
COMMENT_MODES: tuple[str, ...] = get_args(CommentMode)

PrefixOpt = Annotated[
    str | None,
    typer.Option(
        "--prefix", metavar="PREFIX", help="Annotation prefix the controller reads [default: ingress.pomerium.io]."
    ),
]
NamespaceOpt = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        "-n",
        metavar="NAMESPACE",
        help="Namespace for objects whose manifest names none [default: default].",
    ),
]
ControllerOpt = Annotated[
    str | None,
    typer.Option(
        "--controller-name",
        metavar="NAME",
        help="IngressClass spec.controller value of the Pomerium controller [default: pomerium.io/ingress-controller].",
    ),
]
ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Configuration file (.pomgate.yaml or a pyproject.toml with [tool.pomgate]); by default the nearest "
        "one from the current directory up to the git root is used.",
    ),
]
ClassOpt = Annotated[
    str | None,
    typer.Option(
        "--ingress-class",
        metavar="CLASS",
        help="IngressClass assumed to belong to the controller when the input does not define it "
        "(Helm installs it; repositories rarely hold it) [default: pomerium].",
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Parse every file again instead of reusing the scan cache (this user's ~/.cache/pomgate/scan/, "
        "or $POMGATE_CACHE_DIR; never a folder in the repository).",
    ),
]
CacheDirOpt = Annotated[str | None, typer.Option("--cache-dir", metavar="DIR", help="Folder of the scan cache.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        metavar="N",
        help="Processes to use: 2 runs the API-server checks and half of the translation in a second "
        "process [default: $POMGATE_WORKERS, else 2 on a machine with 2 or more cores]. The output is the same.",
    ),
]
NoBuildOpt = Annotated[
    bool,
    typer.Option(
        "--no-build",
        help="Read every manifest as it is: no kustomize builds, no Helm charts, no Argo CD or Flux environments "
        "(the configuration's `build: false` does the same).",
    ),
]
EnvironmentOpt = Annotated[
    str | None,
    typer.Option(
        "--environment",
        "-e",
        metavar="NAME",
        help="Only this environment: a kustomize root or chart by its folder, an Argo CD or Flux application by "
        "its name, a group of the configuration's environments:, or 'plain' (the files no build reads).",
    ),
]
FormatOpt = Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a finding of this severity or worse exists; never: exit 0 whatever is found "
        "[default: the configuration's fail-on, else error].",
    ),
]
ColorOpt = Annotated[
    ColorChoice,
    typer.Option("--color", help="Colour the text format: auto (on a terminal, unless NO_COLOR), always or never."),
]
AllowEmptyOpt = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Accept an input in which no Kubernetes object is found. Without it, that is an input/empty error "
        "(exit 1): an empty pipe or a folder without manifests usually means a broken build or a wrong path.",
    ),
]
CommentModeOpt = Annotated[
    CommentMode,
    typer.Option(
        "--comment-mode",
        help="How to refresh the sticky comment: update (edit in place), recreate (delete and post again) or "
        "hide-and-create (hide the old one as outdated, post a new one).",
    ),
]
CommentKeyOpt = Annotated[
    str,
    typer.Option("--comment-key", metavar="KEY", help="Name of the sticky comment, to keep several per pull request."),
]
SkipUnchangedOpt = Annotated[
    bool, typer.Option("--skip-unchanged", help="Post no new comment when no route, finding or risk changes.")
]


def set_workers(count: int | None) -> None:
    """Use ``count`` processes (None: $POMGATE_WORKERS, else every core up to 2)."""
    from pomgate.parallel import set_workers as set_count

    set_count(count)


def use_color(choice: str) -> bool:
    """Whether to colour text output for ``--color`` auto/always/never."""
    if choice != "auto":
        return choice == "always"
    import os

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def check_choice(value: str | None, choices: tuple[str, ...], option: str) -> None:
    """A usage error (exit 2) when ``value`` is given and not one of ``choices``."""
    if value is not None and value not in choices:
        raise typer.BadParameter(f"must be one of {', '.join(choices)}", param_hint=option)


def check_comment_mode(mode: str) -> None:
    """A usage error for an unknown ``--comment-mode``."""
    check_choice(mode, COMMENT_MODES, "--comment-mode")


def error(message: str) -> None:
    """Print ``pomgate: error: MESSAGE`` on stderr, escaped for a terminal or CI log (it may quote the input)."""
    from pomgate.escaping import terminal_line

    typer.echo(terminal_line(f"pomgate: error: {message}"), err=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """`error`, then exit with ``code``."""
    error(message)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print ``pomgate: warning: MESSAGE`` on stderr (escaped)."""
    from pomgate.escaping import terminal_line

    typer.echo(terminal_line(f"pomgate: warning: {message}"), err=True)
