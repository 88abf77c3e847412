"""The offline pipeline shared by `render` and `check`: scan -> inventory -> translate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pomgate.config import Config
from pomgate.findings import Finding
from pomgate.kube.apivalidation import drop_shadowed
from pomgate.kube.inventory import Inventory, build_inventory
from pomgate.rules import RuleContext, run_checks
from pomgate.scanning.manifest import ManifestObject
from pomgate.scanning.scan import scan
from pomgate.scanning.source import SourceLines, fill_columns, point_at_tokens
from pomgate.suppression import apply_suppressions
from pomgate.translation.options import TranslateOptions
from pomgate.translation.route import TranslationResult
from pomgate.translation.translator import translate


@dataclass
class Analysis:
    """Everything one run learned: the objects, the translation and every finding."""

    objects: list[ManifestObject]
    inventory: Inventory
    translation: TranslationResult
    findings: list[Finding]
    files: list[str]
    sources: SourceLines


def analyze_objects(
    objects: list[ManifestObject],
    options: TranslateOptions,
    *,
    scan_findings: Sequence[Finding] = (),
    files: Sequence[str] = (),
    config: Config | None = None,
    sources: Mapping[str, bytes | str] | None = None,
) -> Analysis:
    """Type and translate already-scanned objects."""
    inventory, inventory_findings = build_inventory(objects)
    translation = translate(inventory, options)
    rule_findings = run_checks(RuleContext(inventory, translation, options))
    findings = [*scan_findings, *inventory_findings, *translation.findings, *rule_findings]
    findings = drop_shadowed(findings)
    findings = apply_suppressions(findings, inventory)
    if config is not None:
        findings = config.apply(findings)
    lines = SourceLines(sources or {})
    point_at_tokens(findings, lines)
    fill_columns(findings, lines)
    findings.sort(key=Finding.sort_key)
    return Analysis(objects, inventory, translation, findings, list(files), lines)


def analyze_paths(
    paths: Sequence[str],
    options: TranslateOptions,
    *,
    default_namespace: str = "default",
    stdin_text: str | bytes | None = None,
    config: Config | None = None,
) -> Analysis:
    """Scan files/directories/stdin and translate what they hold."""
    result = scan(paths, default_namespace=default_namespace, stdin_text=stdin_text)
    return analyze_objects(
        result.objects,
        options,
        scan_findings=result.findings,
        files=result.files,
        config=config,
        sources=result.sources,
    )
