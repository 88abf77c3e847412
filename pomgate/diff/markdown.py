"""`pomgate diff --format markdown`: the pull-request comment and the job summary.

Built from the diff's JSON contract, so the comment posted from a `workflow_run` (which only sees
the JSON artifact of an untrusted run) is the same as the one `diff --comment` posts. Every string
that comes from the manifests goes through `pomgate.escaping`, for the place it lands in: Markdown
text, Markdown code, or text inside the `<summary>` HTML block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pomgate.diff.yamldiff import is_structured, yaml_diff
from pomgate.escaping import code_block, code_span, html_code, html_text, markdown_text
from pomgate.github.markdown import details, link, table

RISK_TITLES = {
    "became_public": "🔓 became public",
    "access_widened": "➕ access widened",
    "deny_removed": "🗑️ deny rule removed",
    "policy_removed": "🚫 admits nobody",
    "access_narrowed": "➖ access narrowed",
    "host_takeover": "🔀 host taken over",
    "tls_skip_verify": "⚠️ TLS not verified",
    "identity_headers_off": "🪪 identity headers off",
    "route_removed": "➖ route removed",
    "host_not_allowed": "⛔ host not allowed",
    "config_changed": "⚙️ configuration loosened",
    "suppression_added": "🙈 suppression added",
}
SEVERITY_ICONS = {"error": "❌ error", "warning": "⚠️ warning", "info": "ℹ️ info"}


@dataclass(frozen=True)
class Links:
    """Where file links point: ``{server}/{repository}/blob/{sha}/{path}#L{line}``."""

    server: str
    repository: str
    sha: str

    def to(self, path: str, line: int | None) -> str:
        anchor = f"#L{line}" if line else ""
        return f"{self.server.rstrip('/')}/{self.repository}/blob/{self.sha}/{quote(path)}{anchor}"


def _route_label(route: dict[str, Any]) -> str:
    """`[environment] https://host prefix /x`, unescaped (wrap it for its destination)."""
    match = next((f" {kind} {route[kind]}" for kind in ("path", "prefix", "regex") if route.get(kind)), "")
    return f"{_environment(route)}{route.get('from', '')}{match}"


def _environment(item: dict[str, Any]) -> str:
    """``[name] `` for an item of one environment (a repository with builds), else nothing; unescaped."""
    name = item.get("environment")
    names = item.get("environments")
    if isinstance(name, str) and name:
        return f"[{name}] "
    if isinstance(names, list) and names:
        return f"[{', '.join(map(str, names))}] "
    return ""


def _ingress_name(route: dict[str, Any]) -> str:
    """`namespace/name`, unescaped (wrap it for its destination)."""
    ingress = route.get("ingress") or {}
    return f"{ingress.get('namespace', '')}/{ingress.get('name', '')}"


def _upstream(route: dict[str, Any]) -> str:
    to = route.get("to")
    return code_span(", ".join(map(str, to))) if isinstance(to, list) and to else ""


def _value(value: Any) -> str:
    return code_span(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _where(finding: dict[str, Any], links: Links | None) -> str:
    path, line = finding.get("path"), finding.get("line")
    if not path:
        return ""
    text = f"{path}:{line}" if line else str(path)
    shown = (
        code_span(text) if links is None else link(text, links.to(str(path), line if isinstance(line, int) else None))
    )
    names = _environment(finding)
    return f"{shown} {markdown_text(names.strip())}" if names else shown


def summary_section(document: dict[str, Any], title: str) -> str:
    """The headline and the counts table (always first, never dropped)."""
    counts = document.get("summary") or {}
    introduced = document.get("findings", {}).get("introduced", [])
    errors = sum(1 for f in introduced if f.get("severity") == "error")
    rows = [
        ["Routes added", str(counts.get("added", 0))],
        ["Routes removed", str(counts.get("removed", 0))],
        ["Routes changed", str(counts.get("changed", 0))],
        ["Risks", str(counts.get("risks", 0))],
        ["Findings introduced", f"{counts.get('introduced', 0)} ({errors} error(s))"],
        ["Findings fixed", str(counts.get("fixed", 0))],
    ]
    verdict = "❌ This change introduces errors." if errors else "✅ No new errors."
    if not any(counts.get(k) for k in ("added", "removed", "changed", "introduced", "fixed")):
        verdict = "No route or finding changes."
    return f"### {markdown_text(title)}\n\n{verdict}\n\n" + table(["", "Count"], rows)


def risks_section(document: dict[str, Any]) -> str | None:
    risks = document.get("risks") or []
    if not risks:
        return None
    rows = [
        [
            RISK_TITLES.get(r.get("kind", ""), markdown_text(str(r.get("kind")))),
            markdown_text(_environment(r) + str(r.get("detail", ""))),
        ]
        for r in risks
    ]
    return "#### Risks\n\n" + table(["Risk", "Detail"], rows)


_OUTCOMES = {"allow": "✅ allow", "deny": "⛔ deny", "depends": "❔ depends", "not-found": "∅ not found"}


def access_tests_section(document: dict[str, Any], links: Links | None) -> str | None:
    """The access tests whose result the change flips."""
    changes = document.get("access_tests") or []
    if not changes:
        return None
    rows = [
        [
            markdown_text(_environment(c) + str(c.get("test", ""))),
            _where(c, links),
            _OUTCOMES.get(str(c.get("expect")), markdown_text(str(c.get("expect")))),
            f"{_OUTCOMES.get(str(c.get('before')), '?')} → {_OUTCOMES.get(str(c.get('after')), '?')}",
            markdown_text(str(c.get("because", ""))),
        ]
        for c in changes
    ]
    return "#### Access tests whose outcome changes\n\n" + table(["Test", "Where", "Expects", "Outcome", "Why"], rows)


def routes_section(document: dict[str, Any]) -> str | None:
    rows = []
    for route in document.get("added") or []:
        rows.append(["➕ added", code_span(_route_label(route)), code_span(_ingress_name(route)), _upstream(route)])
    for route in document.get("removed") or []:
        rows.append(["➖ removed", code_span(_route_label(route)), code_span(_ingress_name(route)), _upstream(route)])
    for change in document.get("changed") or []:
        route = change.get("route") or {}
        fields = ", ".join(markdown_text(str(name)) for name in change.get("fields", []))
        rows.append(["✏️ changed", code_span(_route_label(route)), code_span(_ingress_name(route)), fields])
    if not rows:
        return None
    return "#### Routes\n\n" + table(["", "Route", "Ingress", "Upstream / fields"], rows)


def change_sections(document: dict[str, Any]) -> list[str]:
    """One collapsible block per changed route: each field before and after."""
    out = []
    for change in document.get("changed") or []:
        route = change.get("route") or {}
        before, after = change.get("before") or {}, change.get("after") or {}
        names = [str(name) for name in change.get("fields", [])]
        structured = [name for name in names if is_structured(before.get(name)) or is_structured(after.get(name))]
        rows = [
            [
                code_span(name),
                _value(before[name]) if name in before else "*(unset)*",
                _value(after[name]) if name in after else "*(unset)*",
            ]
            for name in names
            if name not in structured
        ]
        parts = [table(["Field", "Before", "After"], rows)] if rows else []
        parts += [code_block("\n".join(yaml_diff(name, before, after)), "diff") for name in structured]
        summary = f"{html_code(_route_label(route))} in {html_code(_ingress_name(route))}"
        out.append(details(summary, "\n\n".join(parts)))
    return out


def findings_section(findings: list[dict[str, Any]], title: str, links: Links | None, *, collapsed: bool) -> str | None:
    if not findings:
        return None
    rows = [
        [
            SEVERITY_ICONS.get(f.get("severity", ""), markdown_text(str(f.get("severity")))),
            code_span(str(f.get("rule", ""))),
            _where(f, links),
            markdown_text(str(f.get("message", ""))),
        ]
        for f in findings
    ]
    body = table(["Severity", "Rule", "Where", "Message"], rows)
    if collapsed:
        return details(f"{html_text(title)} ({len(findings)})", body)
    return f"#### {markdown_text(title)}\n\n{body}"


def diff_sections(
    document: dict[str, Any], title: str = "pomgate: route changes", links: Links | None = None
) -> list[str]:
    """The comment's sections, most important first (a too-long comment drops from the end)."""
    findings = document.get("findings") or {}
    sections = [
        summary_section(document, title),
        risks_section(document),
        access_tests_section(document, links),
        findings_section(findings.get("introduced") or [], "Findings introduced", links, collapsed=False),
        routes_section(document),
        *change_sections(document),
        findings_section(findings.get("fixed") or [], "Findings fixed", links, collapsed=True),
    ]
    return [section for section in sections if section]


def markdown_from_json(
    document: dict[str, Any], title: str = "pomgate: route changes", links: Links | None = None
) -> str:
    """The whole Markdown report (no length limit: the job summary and `--format markdown`)."""
    return "\n\n".join(diff_sections(document, title, links)) + "\n"


def diff_markdown(result: Any, label: str) -> str:
    """`--format markdown` for a computed diff."""
    from pomgate.diff.compare import diff_json

    return markdown_from_json(diff_json(result), f"pomgate: route changes ({label})")
