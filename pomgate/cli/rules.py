"""`pomgate rules`: the rule catalog, one family of it, or one rule with its explanation and examples."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import typer

from pomgate.cli.options import fail

if TYPE_CHECKING:
    from pomgate.rules import Rule


def rules(
    rule_id: Annotated[
        str | None,
        typer.Argument(
            help="A rule id (e.g. routing/duplicate-tcp-host) to explain, or a family (e.g. routing) to list.",
            show_default=False,
        ),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the whole catalog as Markdown (the source of docs/rules.md).")
    ] = False,
) -> None:
    """List the rules pomgate checks, list one family, or explain one rule with its example.

    A rule's own name without its family (`re2` for regex/re2) explains it too when no other family
    has a rule of that name. Examples: `pomgate rules`, `pomgate rules routing`,
    `pomgate rules access/public-route`, `pomgate rules --markdown`.
    """
    from pomgate.rules import all_rules, get_rule

    if markdown:
        from pomgate.rules.catalog_docs import rules_markdown

        sys.stdout.write(rules_markdown())
        return
    if rule_id is None:
        _list(all_rules().values())
        return
    family = rule_id.removesuffix("*").removesuffix("/")
    members = [listed for listed in all_rules().values() if listed.family == family]
    if members:
        _list_family(family, members)
        return
    rule = get_rule(rule_id) or _by_short_name(rule_id)
    if rule is None:
        from pomgate.config import nearest_rule_names

        candidates = nearest_rule_names(rule_id)
        families = sorted({listed.family for listed in all_rules().values()})
        suggestion = f"did you mean {' or '.join(candidates)}? " if candidates else ""
        fail(f"no rule or family {rule_id!r}; {suggestion}Families: {', '.join(families)} (`pomgate rules` lists all)")
    import textwrap

    from pomgate.findings import docs_anchor

    typer.echo(f"{rule.id} ({rule.severity.value}): {rule.summary}\n")
    typer.echo(textwrap.fill(rule.explanation, width=100) + "\n")
    typer.echo(f"Docs: {docs_anchor(rule.id)}\n")
    typer.echo("Bad:\n" + _indent(rule.bad) + "\n")
    typer.echo("Good:\n" + _indent(rule.good))


def _list(listed: Iterable[Rule]) -> None:
    for rule in listed:
        typer.echo(f"{rule.id:40} {rule.severity.value:8} {rule.summary}")


def _list_family(family: str, members: list[Rule]) -> None:
    """The family's summary, then one line per rule (id, default severity, summary)."""
    import importlib

    doc = importlib.import_module(f"pomgate.rules.{family}").__doc__ or ""
    summary = doc.strip().split("\n", 1)[0]
    typer.echo(f"{family}: {summary} ({len(members)} rule(s))\n" if summary else f"{family} ({len(members)} rule(s))\n")
    _list(members)
    typer.echo(f"\n`pomgate rules {members[0].id}` explains one rule with its example.")


def _by_short_name(name: str) -> Rule | None:
    """The rule whose name after the family is ``name``, when exactly one family has it."""
    from pomgate.rules import all_rules

    found = [rule for rule in all_rules().values() if rule.id.split("/", 1)[1] == name]
    return found[0] if len(found) == 1 else None


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
