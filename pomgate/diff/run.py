"""Render both sides of a diff: scan the files of each revision (each distinct blob once), translate."""

from __future__ import annotations

import copy
import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pomgate.config import Config
from pomgate.diff.compare import DiffResult, compare
from pomgate.diff.gitread import SourceFile, repository_prefixes, revision_files, worktree_files
from pomgate.findings import Finding, ObjectRef
from pomgate.kube.context import affected_paths, select_context
from pomgate.parallel import split_map
from pomgate.pipeline import Analysis, analyze_objects, collector_paused
from pomgate.scanning.cache import ScanCache, content_hash
from pomgate.scanning.manifest import ManifestObject
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from pomgate.translation.route import Route, TranslationResult

if TYPE_CHECKING:
    import git


@dataclass
class BlobScans:
    """Parsed blobs by (path, blob id): a file unchanged between the revisions is parsed once."""

    default_namespace: str
    cache: ScanCache | None = None
    parsed: dict[tuple[str, str], tuple[list[ManifestObject], list[Finding]]] = field(default_factory=dict)
    parses: int = 0

    def scan(self, source: SourceFile) -> tuple[list[ManifestObject], list[Finding]]:
        key = (source.path, source.blob)
        found = self.parsed.get(key)
        if found is None:
            digest = content_hash(source.content)
            cached = self.cache.get(source.path, digest, self.default_namespace) if self.cache else None
            if cached is None:
                self.parses += 1
                cached = scan_text(source.content, source.path, self.default_namespace)
                if self.cache is not None:
                    self.cache.put(source.path, digest, self.default_namespace, *cached)
            found = cached
            self.parsed[key] = found
        objects, findings = found
        return objects, copy.deepcopy(findings)  # later stages fill in columns; keep the shared copy clean

    def prefetch(self, sources: Sequence[SourceFile]) -> None:
        """Parse every blob of ``sources`` not parsed or cached yet, half in a second process."""
        todo: dict[tuple[str, str], SourceFile] = {}
        for source in sources:
            key = (source.path, source.blob)
            if key in self.parsed or key in todo:
                continue
            if self.cache is not None:
                cached = self.cache.get(source.path, content_hash(source.content), self.default_namespace)
                if cached is not None:
                    self.parsed[key] = cached
                    continue
            todo[key] = source
        pending = list(todo.values())
        namespace = self.default_namespace
        parsed = split_map(
            lambda part: [scan_text(source.content, source.path, namespace) for source in part], pending, minimum=200
        )
        for source, found in zip(pending, parsed, strict=True):
            self.parses += 1
            self.parsed[(source.path, source.blob)] = found
            if self.cache is not None:
                self.cache.put(source.path, content_hash(source.content), namespace, *found)


def analyze_sources(
    sources: Sequence[SourceFile], scans: BlobScans, options: TranslateOptions, config: Config | None
) -> Analysis:
    """Scan (or reuse) each file, then type and translate, as `pomgate check` does."""
    objects: list[ManifestObject] = []
    findings: list[Finding] = []
    for source in sources:
        found_objects, found_findings = scans.scan(source)
        objects.extend(found_objects)
        findings.extend(found_findings)
    gc.freeze()  # as in `check`: the scanned objects stay; keep the collector from walking them
    return analyze_objects(
        objects,
        options,
        scan_findings=findings,
        files=[s.path for s in sources],
        config=config,
        sources={s.path: s.content for s in sources},
    )


def diff_revisions(
    repo: git.Repo,
    base: str,
    head: str | None,
    paths: Sequence[str],
    options: TranslateOptions,
    *,
    default_namespace: str = "default",
    config: Config | None = None,
    cache: ScanCache | None = None,
    incremental: bool = True,
) -> tuple[DiffResult, BlobScans]:
    """Compare revision ``base`` with ``head`` (the working tree when None) under ``paths``."""
    prefixes = repository_prefixes(repo, paths)
    scans = BlobScans(default_namespace, cache)
    contents: dict[str, bytes] = {}
    base_files = revision_files(repo, base, prefixes, contents)
    head_files = worktree_files(repo, prefixes) if head is None else revision_files(repo, head, prefixes, contents)
    with collector_paused():
        scans.prefetch([*base_files, *head_files])  # each distinct blob parsed once, in two processes
    base_analysis = analyze_sources(base_files, scans, options, config)
    head_analysis = None
    if incremental:
        head_analysis = incremental_head(base_analysis, base_files, head_files, scans, options, config)
    if head_analysis is None:
        head_analysis = analyze_sources(head_files, scans, options, config)
    return compare(base_analysis, head_analysis), scans


def incremental_head(
    base: Analysis,
    base_files: Sequence[SourceFile],
    head_files: Sequence[SourceFile],
    scans: BlobScans,
    options: TranslateOptions,
    config: Config | None,
) -> Analysis | None:
    """The head analysis from the base one, recomputing only the files a change can affect.

    None when that would not pay (an IngressClass changed, or most files are affected); the
    caller then analyses the head in full. Tested to give the same diff as the full analysis.
    """
    before = {f.path: f.blob for f in base_files}
    after = {f.path: f.blob for f in head_files}
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    head_objects: list[ManifestObject] = []
    head_scan_findings: list[Finding] = []
    for source in head_files:
        found_objects, found_findings = scans.scan(source)
        head_objects.extend(found_objects)
        head_scan_findings.extend(found_findings)
    affected = affected_paths(base.objects, head_objects, changed)
    if affected is None or len(affected) * 2 > max(len(head_files), 1):
        return None
    focused = analyze_objects(
        select_context(head_objects, affected),
        options,
        scan_findings=[f for f in head_scan_findings if f.path in affected],
        files=[s.path for s in head_files],
        config=config,
        sources={s.path: s.content for s in head_files if s.path in affected},
    )
    path_of = {obj.ref: obj.origin.path for obj in head_objects}
    base_path_of = {obj.ref: obj.origin.path for obj in base.objects}

    def in_affected(ref: ObjectRef, paths: dict[ObjectRef, str]) -> bool:
        return paths.get(ref) in affected

    routes = [r for r in base.translation.routes if not in_affected(r.ingress, base_path_of)]
    routes += [r for r in focused.translation.routes if in_affected(r.ingress, path_of)]
    routes.sort(key=Route.sort_key)
    findings = [f for f in base.findings if f.path not in affected]
    findings += [f for f in focused.findings if f.path in affected]
    findings.sort(key=Finding.sort_key)
    for obj in head_objects:
        focused.inventory.objects.setdefault(obj.ref, obj)
    translation = TranslationResult(routes=routes, outcomes=focused.translation.outcomes, findings=[])
    return Analysis(head_objects, focused.inventory, translation, findings, focused.files, focused.sources)
