"""The offline pipeline shared by `render` and `check`: scan -> inventory -> translate."""

from __future__ import annotations

import gc
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pomgate.collector import collector_paused
from pomgate.config import Config
from pomgate.findings import Finding
from pomgate.kube.apivalidation import drop_shadowed
from pomgate.kube.context import select_context, select_files, summarize_file
from pomgate.kube.inventory import Inventory, api_validation, build_inventory
from pomgate.parallel import ForkedCall, split_map
from pomgate.rules import RuleContext, run_checks
from pomgate.rules.missing_objects import one_finding_per_missing_object
from pomgate.rules.routing.cross_namespace_host import ownership_findings
from pomgate.scanning.cache import ScanCache
from pomgate.scanning.manifest import ManifestObject
from pomgate.scanning.scan import Discovered, scan, scan_selected
from pomgate.scanning.source import SourceLines, fill_columns, point_at_tokens
from pomgate.suppression import apply_suppressions
from pomgate.translation.options import TranslateOptions
from pomgate.translation.route import TranslationResult
from pomgate.translation.translator import assemble, translate_each

#: Below this many objects a second process costs more than it saves.
PARALLEL_MINIMUM = 400


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
    source_paths: Mapping[str, str] | None = None,
) -> Analysis:
    """Type and translate already-scanned objects."""
    # The API server's checks of the raw objects run in a second process while this one types them;
    # then each process translates half of the Ingresses (`pomgate.parallel`; same result with one).
    with collector_paused():
        checked = ForkedCall(lambda: api_validation(objects), enabled=len(objects) >= PARALLEL_MINIMUM)
        inventory, inventory_findings = build_inventory(objects, api_errors=checked.result)
        gc.freeze()  # before the fork below: the child must not touch (so copy) every page in a collection
        outcomes = split_map(
            lambda part: translate_each(part, inventory, options), inventory.ingresses, minimum=PARALLEL_MINIMUM
        )
        translation = assemble(outcomes, inventory)
        host_owners = config.hosts if config is not None else {}
        version = config.controller_release if config is not None else None
        rule_findings = run_checks(RuleContext(inventory, translation, options, host_owners, version))
    translated = one_finding_per_missing_object(translation.findings)
    findings = [*scan_findings, *inventory_findings, *translated, *rule_findings]
    findings = drop_shadowed(findings)
    findings = apply_suppressions(findings, inventory)
    if config is not None:  # host ownership after suppressions: only the configuration allows a namespace
        owners = ownership_findings(translation.routes, host_owners, inventory)
        findings = config.apply([*findings, *owners])
    lines = SourceLines(sources or {}, source_paths)
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
    cache: ScanCache | None = None,
    focus: Collection[str] | None = None,
    wait_for_cache: bool = True,
    discovered: Discovered | None = None,
) -> Analysis:
    """Scan files/directories/stdin and translate what they hold (unchanged files from ``cache``).

    With ``focus`` (display paths), only findings in those files are reported, and only the objects
    such findings depend on are typed and translated (`pomgate.kube.context`); the routes are then
    those of that subset. ``discovered``: `discover(paths)`, when the caller has it already.
    """
    if focus is not None and cache is not None and stdin_text is None:
        wanted_files = set(focus)
        result = scan_selected(
            paths,
            default_namespace=default_namespace,
            cache=cache,
            indexer=summarize_file,
            choose=lambda indexed: select_files(indexed, wanted_files),
            discovered=discovered,
        )
    else:
        result = scan(
            paths, default_namespace=default_namespace, stdin_text=stdin_text, cache=cache, discovered=discovered
        )
    # (The scan froze what it read: later stages' collections do not walk those objects again.)
    if cache is not None:
        cache.save(background=True)  # pickles new entries on the other core while we translate
    objects = result.objects
    scan_findings = result.findings
    if focus is not None:
        wanted = set(focus)
        objects = select_context(objects, wanted)
        scan_findings = [f for f in scan_findings if f.path in wanted]
    try:
        analysis = analyze_objects(
            objects,
            options,
            scan_findings=scan_findings,
            files=result.files,
            config=config,
            sources=result.sources,
            source_paths=result.source_paths,
        )
    finally:
        if cache is not None and wait_for_cache:
            cache.wait()
    if focus is not None:
        analysis.findings = [f for f in analysis.findings if f.path in wanted]
    return analysis
