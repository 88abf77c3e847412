"""`pomgate explain URL`: which route serves a URL, who it lets in, and what it shadows."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pomgate.cli.analysis import AnalysisSettings, analyze, environment_analysis
from pomgate.cli.options import (
    CacheDirOpt,
    ClassOpt,
    ConfigOpt,
    ControllerOpt,
    EnvironmentOpt,
    ExplainFormat,
    NamespaceOpt,
    NoBuildOpt,
    NoCacheOpt,
    PrefixOpt,
    check_choice,
    fail,
)

if TYPE_CHECKING:
    from pomgate.diff.explain import Explanation, Verdict
    from pomgate.translation.evaluation import Identity


def explain(
    url: Annotated[str, typer.Argument(metavar="URL", help="The URL to resolve, e.g. https://app.example.com/api/x.")],
    paths: Annotated[
        list[str] | None, typer.Argument(metavar="PATH", help="Manifest files or directories [default: .].")
    ] = None,
    output_format: Annotated[ExplainFormat, typer.Option("--format", "-f", help="Output format.")] = "text",
    prefix: PrefixOpt = None,
    namespace: NamespaceOpt = None,
    controller_name: ControllerOpt = None,
    ingress_class: ClassOpt = None,
    config_path: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    environment: EnvironmentOpt = None,
    no_build: NoBuildOpt = False,
    as_who: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="EMAIL|anonymous",
            help="Evaluate the serving route's policy for this user (an email) or for `anonymous`.",
        ),
    ] = None,
    user_id: Annotated[
        str | None, typer.Option("--user", metavar="ID", help="The user's IdP user id (for `user` criteria).")
    ] = None,
    groups: Annotated[
        list[str] | None, typer.Option("--group", metavar="GROUP", help="A directory group id of the user (repeat).")
    ] = None,
    claims: Annotated[
        list[str] | None, typer.Option("--claim", metavar="NAME=VALUE", help="An IdP claim of the user (repeat).")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method", metavar="METHOD", help="The request's HTTP method [default: GET; CONNECT for TCP/UDP]."
        ),
    ] = None,
    source_ip: Annotated[
        str | None, typer.Option("--from", metavar="IP", help="The client's IP address (for `source_ip` criteria).")
    ] = None,
) -> None:
    """Which route (Ingress, file, line) serves a URL, who it lets in, and what it shadows.

    Lists the routes of the URL's host in the order Pomerium tries them: a less specific route
    that comes first wins. TCP and UDP routes are explained by their URL (tcp+https://db.example.com:5432).
    An Ingress for the host that fails translation is named, with its error. With --as, the serving
    route's policy is evaluated for that user (add --group, --claim, --user, --method, --from) and the
    decision and the rule that made it are printed; inputs pomgate cannot know offline (the device, a
    client certificate) make it "depends". Exit status 1 when no route serves the URL. In a repository
    with several environments, the one whose routes serve the URL is used (name it with --environment
    when several do).

    \b
    Examples:
      pomgate explain https://grafana.example.com/admin
      pomgate explain https://grafana.example.com/admin --as alice@example.com --group admins
      pomgate explain tcp+https://db.example.com:5432 --as anonymous
    """
    import json

    from pomgate.diff.explain import ExplainError, explanation_json, explanation_text, table_of
    from pomgate.escaping import terminal_text

    check_choice(output_format, ("text", "json"), "--format")
    identity = requester(as_who, user_id, groups or [], claims or [])
    settings = AnalysisSettings(
        config_path, prefix, namespace, controller_name, ingress_class, no_cache, cache_dir, no_build
    )
    deployment, _config = analyze(paths or ["."], settings)
    names = [environment] if environment else [item.environment.name for item in deployment.environments]
    try:
        candidates = [(name, environment_analysis(deployment, name)) for name in names]
        answers = [
            (name, analysis, table_of(analysis.translation, analysis.inventory).resolve(url))
            for name, analysis in candidates
        ]
    except ExplainError as err:
        raise typer.BadParameter(str(err), param_hint="URL") from None
    served = [answer for answer in answers if answer[2].winner]
    served = served or [answer for answer in answers if answer[2].failing][:1] or answers[:1]
    if len(served) > 1:
        fail(
            f"{url} is served in several environments ({', '.join(a[0] for a in served)}): name one with --environment"
        )
    _name, analysis, found = served[0]
    verdict = None
    if identity is not None and found.winner is not None:
        verdict = decide(found.winner.fields, identity, found, method, source_ip)
    if output_format == "json":
        json.dump(explanation_json(found, analysis.inventory, verdict), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(terminal_text(explanation_text(found, analysis.inventory, verdict)))
    raise typer.Exit(0 if found.winner else 1)


def requester(as_who: str | None, user_id: str | None, groups: list[str], claims: list[str]) -> Identity | None:
    """The identity of --as and its details (None without --as); a usage error for a malformed one."""
    from pomgate.translation.evaluation import ANONYMOUS, Identity

    if as_who is None:
        if user_id or groups or claims:
            raise typer.BadParameter("--user, --group and --claim describe the user of --as", param_hint="--as")
        return None
    if as_who == "anonymous":
        if user_id or groups or claims:
            raise typer.BadParameter("an anonymous visitor has no user id, groups or claims", param_hint="--as")
        return ANONYMOUS
    values: dict[str, list[str]] = {}
    for claim in claims:
        name, equals, value = claim.partition("=")
        if not equals or not name:
            raise typer.BadParameter(f"{claim!r} is not NAME=VALUE", param_hint="--claim")
        values.setdefault(name, []).append(value)
    return Identity(
        email=as_who,
        user_id=user_id,
        groups=frozenset(groups),
        claims={name: tuple(items) for name, items in values.items()},
    )


def decide(
    fields: dict[str, Any], identity: Identity, found: Explanation, method: str | None, source_ip: str | None
) -> Verdict:
    """The serving route's decision for ``identity``."""
    from pomgate.diff.explain import Verdict
    from pomgate.translation.evaluation import Request, evaluate_route

    if source_ip is not None:
        import ipaddress

        try:
            ipaddress.ip_address(source_ip)
        except ValueError:
            raise typer.BadParameter(f"{source_ip!r} is not an IP address", param_hint="--from") from None
    if method is None:
        method = "GET" if found.path else "CONNECT"  # a TCP or UDP tunnel is opened with CONNECT
    request = Request(method=method.upper(), path=found.path or "/", source_ip=source_ip)
    outcome = evaluate_route(fields, identity, request)
    return Verdict(identity.describe(), outcome.decision, outcome.deciding, outcome.depends_on)
