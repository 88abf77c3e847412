"""Render both sides of a diff: scan the files of each revision (each distinct blob once), translate."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pomgate.config import Config
from pomgate.diff.compare import DiffResult, compare
from pomgate.diff.gitread import SourceFile, repository_prefixes, revision_files, worktree_files
from pomgate.findings import Finding
from pomgate.pipeline import Analysis, analyze_objects
from pomgate.scanning.cache import ScanCache, content_hash
from pomgate.scanning.manifest import ManifestObject
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions

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
) -> tuple[DiffResult, BlobScans]:
    """Compare revision ``base`` with ``head`` (the working tree when None) under ``paths``."""
    prefixes = repository_prefixes(repo, paths)
    scans = BlobScans(default_namespace, cache)
    base_files = revision_files(repo, base, prefixes)
    head_files = worktree_files(repo, prefixes) if head is None else revision_files(repo, head, prefixes)
    base_analysis = analyze_sources(base_files, scans, options, config)
    head_analysis = analyze_sources(head_files, scans, options, config)
    return compare(base_analysis, head_analysis), scans
