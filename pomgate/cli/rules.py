"""`pomgate rules`: the rule catalog, or one rule with its explanation and examples."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pomgate.cli.options import fail


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
        fail(f"no rule {rule_id!r}; known rules: {', '.join(all_rules())}")
    import textwrap

    from pomgate.findings import docs_anchor

    typer.echo(f"{rule.id} ({rule.severity.value}): {rule.summary}\n")
    typer.echo(textwrap.fill(rule.explanation, width=100) + "\n")
    typer.echo(f"Docs: {docs_anchor(rule.id)}\n")
    typer.echo("Bad:\n" + _indent(rule.bad) + "\n")
    typer.echo("Good:\n" + _indent(rule.good))


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
