"""`pomgate render` output: config.yaml routes on stdout, translation errors on stderr."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pomgate.escaping import terminal_line
from pomgate.findings import Finding, Severity
from pomgate.pipeline import Analysis
from pomgate.reports.routes import routes_config


def dump_yaml(document: dict[str, Any], out: TextIO) -> None:
    """Write YAML that Pomerium's config.yaml accepts, keys in the given order (as ruamel.yaml lays it out)."""
    from pomgate.reports.yaml_writer import to_yaml

    fast = to_yaml(document)
    if fast is not None:
        out.write(fast)
        return
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.dump(document, out)


def finding_line(finding: Finding) -> str:
    """`path:line: severity: message [rule]` — the compact form used on stderr."""
    where = finding.path or "<input>"
    if finding.line:
        where += f":{finding.line}"
    obj = f" ({finding.obj})" if finding.obj else ""
    return f"{where}: {finding.severity}: {finding.text}{obj} [{finding.rule}]"


def write_render(analysis: Analysis, output_format: str, show_secrets: bool, out: TextIO, err: TextIO) -> bool:
    """Print the routes; report findings on ``err``. True when an Ingress failed or an error was found."""
    document = routes_config(analysis.translation.routes, show_secrets=show_secrets)
    if output_format == "json":
        json.dump({"version": 1, **document}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        dump_yaml(document, out)
    return report_failures(analysis, err)


def write_environments(
    environments: list[tuple[str, Analysis]],
    combined: Analysis,
    output_format: str,
    show_secrets: bool,
    out: TextIO,
    err: TextIO,
) -> bool:
    """Print each environment's routes: JSON ``{"environments": [{name, routes}]}``, or one YAML document each.

    Each YAML document is the config.yaml of one environment, after a ``# environment:`` comment.
    Failures and warnings of all of them go to ``err`` once. True when an Ingress failed or an error was found.
    """
    if output_format == "json":
        listed = [
            {"name": name, **routes_config(analysis.translation.routes, show_secrets=show_secrets)}
            for name, analysis in environments
        ]
        json.dump({"version": 1, "environments": listed}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for index, (name, analysis) in enumerate(environments):
            if index:
                out.write("---\n")
            out.write(f"# environment: {json.dumps(name)}\n")  # quoted: a name from the repository is data
            dump_yaml(routes_config(analysis.translation.routes, show_secrets=show_secrets), out)
    return report_failures(combined, err)


def report_failures(analysis: Analysis, err: TextIO) -> bool:
    """Warnings and errors on ``err``, then the Ingresses that failed.

    True when there is an error finding (a failed Ingress is one), so that `render` fails like `check`.
    """
    failed = analysis.translation.failed
    for finding in analysis.findings:
        if finding.severity is not Severity.INFO:
            err.write(terminal_line(finding_line(finding)) + "\n")
    if failed:
        names = ", ".join(f"{o.ingress.namespace}/{o.ingress.name}" for o in failed)
        err.write(
            terminal_line(f"pomgate: {len(failed)} Ingress(es) failed translation and contribute no routes: {names}")
            + "\n"
        )
    return bool(failed) or any(finding.severity is Severity.ERROR for finding in analysis.findings)
