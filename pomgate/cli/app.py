"""The `pomgate` command line. Heavy modules are imported inside commands to keep start-up quick."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pomgate.config import Config
    from pomgate.pipeline import Analysis
    from pomgate.scanning.cache import ScanCache

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
PrefixOpt = Annotated[
    str | None, typer.Option("--prefix", help="Annotation prefix the controller reads [default: ingress.pomerium.io].")
]
NamespaceOpt = Annotated[
    str | None,
    typer.Option("--namespace", "-n", help="Namespace for objects whose manifest names none [default: default]."),
]
ControllerOpt = Annotated[
    str | None,
    typer.Option(
        "--controller-name",
        help="IngressClass spec.controller value of the Pomerium controller [default: pomerium.io/ingress-controller].",
    ),
]
ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        help="Configuration file (.pomgate.yaml or a pyproject.toml with [tool.pomgate]); by default the nearest "
        "one from the current directory up to the git root is used.",
    ),
]
ClassOpt = Annotated[
    str | None,
    typer.Option(
        "--ingress-class",
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
CacheDirOpt = Annotated[str | None, typer.Option("--cache-dir", help="Folder of the scan cache.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Processes to use: 2 runs the API-server checks and half of the translation in a second "
        "process [default: $POMGATE_WORKERS, else 2 on a machine with 2 or more cores]. The output is the same.",
    ),
]


def _set_workers(count: int | None) -> None:
    from pomgate.parallel import set_workers

    set_workers(count)


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
    _set_workers(None)  # every command: $POMGATE_WORKERS, else both cores


def _open_scan_cache(no_cache: bool, cache_dir: str | None) -> ScanCache | None:
    """The scan cache for this run, or None (``--no-cache``, or a folder/pack that is not trusted: warned)."""
    from pathlib import Path

    from pomgate.scanning.cache import open_cache

    if no_cache:
        return None
    cache, problem = open_cache(Path(cache_dir) if cache_dir else None)
    if problem:
        typer.echo(f"pomgate: warning: {problem}", err=True)
    return cache


def _analyze(
    paths: list[str],
    config_path: str | None,
    prefix: str | None,
    namespace: str | None,
    controller_name: str | None,
    ingress_class: str | None,
    *,
    no_cache: bool = False,
    cache_dir: str | None = None,
    focus: list[str] | None = None,
) -> tuple[Analysis, Config]:
    """Load the configuration, then scan and translate; exit 2 on a usage error."""
    from pathlib import Path

    from pomgate.config import ConfigError, find_config, load_config
    from pomgate.pipeline import analyze_paths
    from pomgate.translation.options import TranslateOptions

    try:
        if config_path is not None and not Path(config_path).is_file():
            raise ConfigError(f"{config_path}: no such configuration file")
        config = load_config(Path(config_path) if config_path else find_config())
    except ConfigError as err:
        typer.echo(f"pomgate: error: {err}", err=True)
        raise typer.Exit(2) from None
    ingress_class_name = config.setting("ingress-class", ingress_class, "pomerium")
    options = TranslateOptions(
        prefix=config.setting("prefix", prefix, "ingress.pomerium.io").rstrip("/"),
        controller_name=config.setting("controller-name", controller_name, "pomerium.io/ingress-controller"),
        assumed_ingress_class=ingress_class_name or None,
    )
    cache = _open_scan_cache(no_cache, cache_dir)
    analysis = analyze_paths(
        paths,
        options,
        default_namespace=config.setting("namespace", namespace, "default"),
        config=config,
        cache=cache,
        focus=focus,
        wait_for_cache=False,  # the cache writer finishes after we exit; output is not held up for it
    )
    missing = [f for f in analysis.findings if f.rule == "input/not-found"]
    if missing:
        for finding in missing:
            typer.echo(f"pomgate: error: {finding.message}", err=True)
        raise typer.Exit(2)
    return analysis, config


@app.command()
def render(
    paths: PathsArg,
    output_format: Annotated[str, typer.Option("--format", "-f", help="Output format: yaml or json.")] = "yaml",
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
        str | None, typer.Option("--output", "-o", help="Write the routes to this file instead of stdout.")
    ] = None,
    check_output: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Do not write: exit 1 (showing the difference) when the --output file is not what render "
            "would write. For repositories that commit the rendered routes (the pomgate-render hook).",
        ),
    ] = False,
) -> None:
    """Print the Pomerium routes the controller would build, as config.yaml `routes:`.

    Routes come in Pomerium's own order. Values read from Secrets are redacted unless
    --show-secrets is given. Ingresses that fail translation contribute no routes; their errors go
    to stderr and the exit status is 1.
    """
    if output_format not in ("yaml", "json"):
        raise typer.BadParameter("must be yaml or json", param_hint="--format")
    if check_output and not output:
        raise typer.BadParameter("--check needs --output FILE (the committed routes file)", param_hint="--check")
    _set_workers(workers)
    analysis, _config = _analyze(
        paths, config_path, prefix, namespace, controller_name, ingress_class, no_cache=no_cache, cache_dir=cache_dir
    )
    from pomgate.reports.render_output import write_render

    if output is None:
        failed = write_render(analysis, output_format, show_secrets, sys.stdout, sys.stderr)
        raise typer.Exit(1 if failed else 0)
    import io
    from pathlib import Path

    buffer = io.StringIO()
    failed = write_render(analysis, output_format, show_secrets, buffer, sys.stderr)
    wanted = buffer.getvalue()
    target = Path(output)
    if not check_output:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(wanted, encoding="utf-8")
        raise typer.Exit(1 if failed else 0)
    try:
        current = target.read_text(encoding="utf-8")
    except OSError as err:
        typer.echo(f"pomgate: error: {output}: cannot read the routes file ({err.strerror or err})", err=True)
        raise typer.Exit(1) from None
    if current != wanted:
        import difflib

        diff = difflib.unified_diff(
            current.splitlines(keepends=True), wanted.splitlines(keepends=True), output, f"{output} (rendered)"
        )
        sys.stderr.writelines(diff)
        typer.echo(f"pomgate: {output} is stale; write it again with: pomgate render -o {output} ...", err=True)
        raise typer.Exit(1)
    raise typer.Exit(1 if failed else 0)


@app.command()
def check(
    paths: PathsArg,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="Output format: text, json, sarif, github, junit or markdown.")
    ] = "text",
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding of this severity or worse exists: error, warning, info or never "
            "[default: error].",
        ),
    ] = None,
    prefix: PrefixOpt = None,
    namespace: NamespaceOpt = None,
    controller_name: ControllerOpt = None,
    ingress_class: ClassOpt = None,
    config_path: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    workers: WorkersOpt = None,
    color: Annotated[
        str,
        typer.Option(
            "--color",
            help="Colour the text format: auto (when writing to a terminal and NO_COLOR is unset), always or never.",
        ),
    ] = "auto",
) -> None:
    """Report every problem the controller or Kubernetes would reject, with file and line.

    Also flags what a reviewer should see (public routes, routes nobody can reach, tls_skip_verify,
    shadowed routes). `pomgate rules` lists every rule.

    \b
    Examples:
      pomgate check k8s/                    # grouped by file, with source lines
      pomgate check --format github k8s/    # annotations in a GitHub Actions log
      pomgate check -f sarif k8s/ > pomgate.sarif
      pomgate check --fail-on warning k8s/  # fail on warnings too

    Exit status: 1 when a finding at or above --fail-on (default error) exists, 0 otherwise,
    2 for usage errors.
    """
    _set_workers(workers)
    _run_check(
        paths,
        None,
        output_format,
        fail_on,
        prefix,
        namespace,
        controller_name,
        ingress_class,
        config_path,
        no_cache,
        cache_dir,
        color,
    )


def _run_check(
    paths: list[str],
    focus: list[str] | None,
    output_format: str,
    fail_on: str | None,
    prefix: str | None,
    namespace: str | None,
    controller_name: str | None,
    ingress_class: str | None,
    config_path: str | None,
    no_cache: bool,
    cache_dir: str | None,
    color: str,
) -> None:
    from pomgate.reports.check_output import FAIL_ON, FORMATS, should_fail, write_check

    if output_format not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")
    if color not in ("auto", "always", "never"):
        raise typer.BadParameter("must be one of auto, always, never", param_hint="--color")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise typer.BadParameter(f"must be one of {', '.join(FAIL_ON)}", param_hint="--fail-on")
    analysis, config = _analyze(
        paths,
        config_path,
        prefix,
        namespace,
        controller_name,
        ingress_class,
        no_cache=no_cache,
        cache_dir=cache_dir,
        focus=focus,
    )
    threshold = config.setting("fail-on", fail_on, "error")
    if threshold not in FAIL_ON:
        typer.echo(f"pomgate: error: {config.path}: fail-on must be one of {', '.join(FAIL_ON)}", err=True)
        raise typer.Exit(2)
    write_check(analysis, output_format, sys.stdout, color=_use_color(color))
    raise typer.Exit(1 if should_fail(analysis, threshold) else 0)


FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="Output format: text, json, sarif, github, junit or markdown.")
]
FailOnOpt = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when a finding of this severity or worse exists: error, warning, info or never [default: error].",
    ),
]
ColorOpt = Annotated[
    str, typer.Option("--color", help="Colour the text format: auto (on a terminal, unless NO_COLOR), always, never.")
]


CommentModeOpt = Annotated[
    str,
    typer.Option(
        "--comment-mode",
        help="How to refresh the sticky comment: update (edit in place), recreate (delete and post again) or "
        "hide-and-create (hide the old one as outdated, post a new one).",
    ),
]
CommentKeyOpt = Annotated[
    str, typer.Option("--comment-key", help="Name of the sticky comment, to keep several per pull request.")
]


def _check_comment_mode(mode: str) -> None:
    if mode not in ("update", "recreate", "hide-and-create"):
        raise typer.BadParameter("must be one of update, recreate, hide-and-create", param_hint="--comment-mode")


@app.command()
def comment(
    diff_json_path: Annotated[
        str, typer.Option("--diff-json", help="A `pomgate diff --format json` document (e.g. a workflow artifact).")
    ],
    pr: Annotated[
        str | None, typer.Option("--pr", help="Pull-request number [default: from the GitHub event].")
    ] = None,
    head_sha: Annotated[
        str | None,
        typer.Option("--head-sha", help="Refuse to comment unless the pull request's head is this commit."),
    ] = None,
    comment_mode: CommentModeOpt = "update",
    comment_key: CommentKeyOpt = "pomgate",
    skip_unchanged: Annotated[
        bool, typer.Option("--skip-unchanged", help="Post no new comment when no route or finding changes.")
    ] = False,
) -> None:
    """Post a diff report as the sticky pull-request comment (the fork-safe workflow_run pattern).

    The report is read as data (JSON) and the comment is built here, escaping every string, so an
    artifact made by untrusted pull-request code cannot inject Markdown or HTML into the comment.
    """
    from pomgate.diff.publish import load_diff_json, publish

    _check_comment_mode(comment_mode)
    number = None
    if pr is not None:
        if not pr.strip().isdigit():
            raise typer.BadParameter(f"{pr!r} is not a pull-request number", param_hint="--pr")
        number = int(pr.strip())
    try:
        document = load_diff_json(diff_json_path)
    except (OSError, ValueError) as err:
        typer.echo(f"pomgate: error: {err}", err=True)
        raise typer.Exit(2) from None
    from pomgate.github.api import GitHubError

    try:
        result = publish(
            document,
            mode=comment_mode,
            key=comment_key,
            skip_unchanged=skip_unchanged,
            pr_number=number,
            head_sha=head_sha,
        )
    except GitHubError as err:
        typer.echo(f"pomgate: error: could not comment: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"pomgate: {result.message}", err=True)
    if result.refused:
        raise typer.Exit(1)


@app.command()
def diff(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Folders or files to compare (default: the whole repository).")
    ] = None,
    base: Annotated[
        str | None,
        typer.Option("--base", help="Base revision (branch, tag or commit) [default: the pull request's base]."),
    ] = None,
    head: Annotated[
        str | None, typer.Option("--head", help="Head revision [default: the working tree, uncommitted changes too].")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="Output format: text, json or markdown.")
    ] = "text",
    fail_on: FailOnOpt = None,
    prefix: PrefixOpt = None,
    namespace: NamespaceOpt = None,
    controller_name: ControllerOpt = None,
    ingress_class: ClassOpt = None,
    config_path: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    comment: Annotated[
        bool,
        typer.Option(
            "--comment",
            help="In GitHub Actions: post the report as one sticky pull-request comment (and write the job summary "
            "and step outputs).",
        ),
    ] = False,
    comment_mode: CommentModeOpt = "update",
    comment_key: CommentKeyOpt = "pomgate",
    skip_unchanged: Annotated[
        bool,
        typer.Option("--skip-unchanged", help="Post no new comment when no route or finding changes."),
    ] = False,
    color: ColorOpt = "auto",
) -> None:
    """Show what a change does to Pomerium: routes added, removed and changed, risks, new findings.

    Both revisions are read straight from git objects (no checkout); a file that is the same in
    both is parsed once. Risks a reviewer must not miss come first: a route becoming public, a
    policy removed or widened, tls_skip_verify turned on, identity headers turned off, a route
    removed, a host taken over by another Ingress.

    \b
    Examples:
      pomgate diff --base origin/main               # working tree against main
      pomgate diff --base v1.2.0 --head HEAD k8s/   # two revisions, one folder
      pomgate diff --base origin/main -f markdown   # for a pull-request comment

    Exit status: 1 when the change introduces a finding at or above --fail-on (default error;
    findings already in the base do not count), 0 otherwise, 2 for usage errors.
    """
    import os
    from pathlib import Path

    from pomgate.config import ConfigError, find_config, load_config
    from pomgate.diff.gitread import RevisionError, open_repository
    from pomgate.diff.report import write_json, write_text
    from pomgate.diff.run import diff_revisions
    from pomgate.reports.check_output import FAIL_ON
    from pomgate.translation.options import TranslateOptions

    if output_format not in ("text", "json", "markdown"):
        raise typer.BadParameter("must be one of text, json, markdown", param_hint="--format")
    _check_comment_mode(comment_mode)
    if fail_on is not None and fail_on not in FAIL_ON:
        raise typer.BadParameter(f"must be one of {', '.join(FAIL_ON)}", param_hint="--fail-on")
    try:
        config = load_config(Path(config_path) if config_path else find_config())
    except ConfigError as err:
        typer.echo(f"pomgate: error: {err}", err=True)
        raise typer.Exit(2) from None
    if base is None:
        base = _pull_request_base()
        if base is None:
            raise typer.BadParameter(
                "give the base revision (no pull request event to take it from)", param_hint="--base"
            )
    options = TranslateOptions(
        prefix=config.setting("prefix", prefix, "ingress.pomerium.io").rstrip("/"),
        controller_name=config.setting("controller-name", controller_name, "pomerium.io/ingress-controller"),
        assumed_ingress_class=config.setting("ingress-class", ingress_class, "pomerium") or None,
    )
    try:
        repo = open_repository(".")
        cache = _open_scan_cache(no_cache, cache_dir)
        result, _scans = diff_revisions(
            repo,
            base,
            head,
            paths or [],
            options,
            default_namespace=config.setting("namespace", namespace, "default"),
            config=config,
            cache=cache,
        )
        if cache is not None:
            cache.save(background=False)
    except RevisionError as err:
        typer.echo(f"pomgate: error: {err}", err=True)
        raise typer.Exit(2) from None
    label = f"{base}..{head or 'working tree'}"
    if output_format == "json":
        write_json(result, sys.stdout)
    elif output_format == "markdown":
        from pomgate.diff.markdown import diff_markdown

        sys.stdout.write(diff_markdown(result, label))
    else:
        write_text(result, label, sys.stdout, color=_use_color(color))
    if comment or os.environ.get("GITHUB_ACTIONS") == "true":
        from pomgate.diff.compare import diff_json
        from pomgate.diff.publish import publish
        from pomgate.github.api import GitHubError

        try:
            published = publish(
                diff_json(result), comment=comment, mode=comment_mode, key=comment_key, skip_unchanged=skip_unchanged
            )
        except GitHubError as err:
            typer.echo(f"pomgate: error: could not comment: {err}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"pomgate: {published.message}", err=True)
    threshold = config.setting("fail-on", fail_on, "error")
    failing = threshold != "never" and any(f.severity.rank >= _severity_rank(threshold) for f in result.introduced)
    raise typer.Exit(1 if failing else 0)


def _severity_rank(name: str) -> int:
    from pomgate.findings import Severity

    return Severity(name).rank


def _pull_request_base() -> str | None:
    """The base commit of the pull request in a GitHub Actions run, when there is one."""
    import json
    import os

    event_path = os.environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        return None
    try:
        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return None
    sha = event.get("pull_request", {}).get("base", {}).get("sha") if isinstance(event, dict) else None
    return sha if isinstance(sha, str) and sha else None


@app.command()
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
) -> None:
    """Which route (Ingress, file, line) serves a URL, who it lets in, and what it shadows.

    Lists the routes of the URL's host in the order Pomerium tries them: a less specific route
    that comes first wins. Exit status 1 when no route serves the URL.
    """
    import json

    from pomgate.diff.explain import ExplainError, explanation_json, explanation_text
    from pomgate.diff.explain import explain as resolve

    if output_format not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--format")
    analysis, _config = _analyze(
        paths or ["."],
        config_path,
        prefix,
        namespace,
        controller_name,
        ingress_class,
        no_cache=no_cache,
        cache_dir=cache_dir,
    )
    try:
        found = resolve(analysis.translation.routes, url)
    except ExplainError as err:
        raise typer.BadParameter(str(err), param_hint="URL") from None
    if output_format == "json":
        json.dump(explanation_json(found, analysis.inventory), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(explanation_text(found, analysis.inventory))
    raise typer.Exit(0 if found.winner else 1)


@app.command()
def hook(
    files: Annotated[
        list[str] | None, typer.Argument(help="Files to report on (pre-commit passes the changed ones).")
    ] = None,
    root: Annotated[
        str, typer.Option("--root", help="Folder read for context: every manifest in it [default: .].")
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
    is reported, like `pomgate check ROOT`.

    With --daemon, a run that found no worker runs here and then starts one in the background.
    """
    import os

    try:
        focus = None
        if files:
            focus = []
            for name in files:
                relative = os.path.relpath(name, root) if os.path.isabs(name) or root != "." else name
                focus.append(_display_under(root, os.path.normpath(relative)))
        _run_check(
            [root],
            focus,
            output_format,
            fail_on,
            prefix,
            namespace,
            controller_name,
            ingress_class,
            config_path,
            no_cache,
            cache_dir,
            color,
        )
    finally:
        if daemon:
            from pomgate.worker.server import start_in_background

            start_in_background(os.getcwd())


worker_app = typer.Typer(
    help="The resident worker of `pomgate hook --daemon` for the current directory.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(worker_app, name="worker")


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


def _display_under(root: str, relative: str) -> str:
    """The display path the scanner gives ``relative`` when it walks ``root``."""
    import os

    return relative if root in (".", "./") else os.path.normpath(os.path.join(root, relative))


@app.command()
def rules(
    rule_id: Annotated[
        str | None, typer.Argument(help="A rule id (e.g. routing/duplicate-tcp-host) to explain.")
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the whole catalog as Markdown (the source of docs/rules.md).")
    ] = False,
) -> None:
    """List the rules pomgate checks, or explain one with its example.

    Examples: `pomgate rules`, `pomgate rules access/public-route`, `pomgate rules --markdown`.
    """
    from pomgate.rules import all_rules, get_rule

    if markdown:
        from pomgate.rules.catalog_docs import rules_markdown

        sys.stdout.write(rules_markdown())
        return
    if rule_id is None:
        for listed in all_rules().values():
            typer.echo(f"{listed.id:40} {listed.severity.value:8} {listed.summary}")
        return
    rule = get_rule(rule_id)
    if rule is None:
        known = ", ".join(all_rules())
        typer.echo(f"pomgate: error: no rule {rule_id!r}; known rules: {known}", err=True)
        raise typer.Exit(2)
    import textwrap

    from pomgate.findings import docs_anchor

    typer.echo(f"{rule.id} ({rule.severity.value}): {rule.summary}\n")
    typer.echo(textwrap.fill(rule.explanation, width=100) + "\n")
    typer.echo(f"Docs: {docs_anchor(rule.id)}\n")
    typer.echo("Bad:\n" + _indent(rule.bad) + "\n")
    typer.echo("Good:\n" + _indent(rule.good))


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    import os

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _register_controller() -> None:
    from pomgate.cli.controller_command import controller

    app.command("controller")(controller)


_register_controller()


def main() -> None:
    """Console-script entry point."""
    app()
