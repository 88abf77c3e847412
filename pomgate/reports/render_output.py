"""`pomgate render` output: config.yaml routes on stdout, translation errors on stderr."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pomgate.escaping import terminal_line
from pomgate.findings import Finding, Severity
from pomgate.pipeline import Analysis
from pomgate.reports.routes import routes_config


def dump_yaml(document: dict[str, Any], out: TextIO) -> None:
    """Write YAML that Pomerium's config.yaml accepts, keys in the given order."""
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
    return f"{where}: {finding.severity}: {finding.message}{obj} [{finding.rule}]"


def write_render(analysis: Analysis, output_format: str, show_secrets: bool, out: TextIO, err: TextIO) -> bool:
    """Print the routes; report failures and warnings on ``err``. True when an Ingress failed."""
    document = routes_config(analysis.translation.routes, show_secrets=show_secrets)
    if output_format == "json":
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        dump_yaml(document, out)
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
    return bool(failed)
