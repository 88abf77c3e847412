"""Render both sides of a diff: each distinct blob parsed once, only the files a change can affect translated.

A diff reports routes and findings that differ, and those of a file that no change can reach are
the same on both sides. So both revisions are listed (`git ls-tree`), every distinct blob is
summarised (what its objects provide, need and which hosts they route; from the scan cache by git
blob id when it was seen before, so an unchanged blob is not even read), the affected files are
worked out from the summaries (`pomgate.kube.context.affected_files`), and each side is typed and
translated for those files only, with the objects they depend on. When that would not pay (an
IngressClass changed, or most files are affected) both sides are analysed in full. Both ways give
the same diff (tested on random changes).

The configuration both sides are judged by comes from the base revision (`diff_configuration`):
the pull request under review cannot switch its own gate off. What its version of the file would
loosen is reported as the risk ``config_changed``.
"""

from __future__ import annotations

import copy
import gc
import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pomgate.collector import collector_paused
from pomgate.config import (
    Config,
    ConfigError,
    config_candidates,
    find_config,
    is_config_file,
    load_config,
    parse_config,
)
from pomgate.diff.compare import DiffResult, compare, config_risk
from pomgate.diff.gitread import (
    RevisionError,
    changed_listing,
    read_blobs,
    repository_prefixes,
    revision_listing,
    revision_paths,
    worktree_files,
    worktree_listing,
)
from pomgate.findings import Finding
from pomgate.kube.context import ObjectSummary, affected_files, select_context, select_files, summarize_file
from pomgate.parallel import split_map
from pomgate.pipeline import Analysis, analyze_objects
from pomgate.scanning.cache import ScanCache, content_hash
from pomgate.scanning.manifest import ManifestObject
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions
from pomgate.translation.route import TranslationResult

if TYPE_CHECKING:
    import git

#: A file of a revision: (repository-relative path, git blob id).
FileKey = tuple[str, str]
Scanned = tuple[list[ManifestObject], list[Finding]]


@dataclass
class DiffConfiguration:
    """The configuration a diff is judged by, and the repository's own configuration on both sides."""

    used: Config  # both sides are analysed under it: the base revision's, or the one given by --config
    base: Config  # found in the base revision (empty when none)
    head: Config | None  # found in the head revision or working tree; None when it is not usable
    head_problem: str | None = None  # why the head's configuration is not usable


def revision_config(repo: git.Repo, rev: str, folder: str) -> Config:
    """The configuration `find_config` would find from ``folder`` (repository-relative), read from ``rev``.

    ``Config.path`` is ``rev:path``, so messages say which revision the file came from.
    """
    candidates = config_candidates(folder)
    files = revision_paths(repo, rev, candidates)
    for path in candidates:
        content = files.get(path)
        if content is None:
            continue
        source = f"{rev}:{path}"
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ConfigError(f"{source}: cannot read configuration: {err}") from err
        if is_config_file(path, text):
            return parse_config(text, source, pyproject=posixpath.basename(path) == "pyproject.toml")
    return Config()


def diff_configuration(
    repo: git.Repo, base: str, head: str | None, explicit: Path | None = None, start: Path | None = None
) -> DiffConfiguration:
    """The base revision's configuration (or ``explicit``, the user's own choice) and the head's, to compare.

    Both are found as `find_config` finds one from ``start`` (default: the current directory):
    the base's in git objects, the head's in the head revision or, without one, the working tree.
    An unusable base configuration is a `ConfigError` (unless ``explicit`` is given); an unusable
    head's is kept as ``head_problem``, reported as a risk.
    """
    root = Path(str(repo.working_tree_dir)).resolve()
    here = (start or Path.cwd()).resolve()
    try:
        folder = here.relative_to(root).as_posix()
    except ValueError:
        folder = ""
    folder = "" if folder == "." else folder
    if explicit is not None:
        used = load_config(explicit)
        try:
            base_config = revision_config(repo, base, folder)
        except (ConfigError, RevisionError):
            return DiffConfiguration(used, Config(), None)  # nothing usable to compare the head's with
    else:
        used = base_config = revision_config(repo, base, folder)
    try:
        if head is None:
            found = find_config(here)
            head_config = load_config(found)
            if found is not None and found.is_relative_to(root):
                head_config.path = found.relative_to(root).as_posix()  # as the base's, from the repository root
        else:
            head_config = revision_config(repo, head, folder)
    except (ConfigError, RevisionError) as err:
        return DiffConfiguration(used, base_config, None, str(err))
    return DiffConfiguration(used, base_config, head_config)


@dataclass
class BlobScans:
    """Blobs of one diff by (path, blob id): read, parsed and summarised at most once, cached across runs."""

    default_namespace: str
    cache: ScanCache | None = None
    repo: git.Repo | None = None
    contents: dict[str, bytes] = field(default_factory=dict)  # blob id -> bytes, read on demand
    parsed: dict[FileKey, Scanned] = field(default_factory=dict)
    summaries: dict[FileKey, list[ObjectSummary]] = field(default_factory=dict)
    parses: int = 0

    def read(self, blobs: Iterable[str]) -> None:
        """Fetch the bytes of the blobs not held yet (one `git cat-file --batch`)."""
        missing = sorted({blob for blob in blobs if blob not in self.contents})
        if missing and self.repo is not None:
            self.contents.update(read_blobs(self.repo, missing))

    def summarize(self, keys: Iterable[FileKey]) -> None:
        """Summaries of every file of ``keys``: cached ones by blob id, the rest parsed, half in a second process."""
        todo: list[FileKey] = []
        hit_paths: set[str] = set()  # the cache holds one version per path: keep the one this run reuses
        for key in dict.fromkeys(keys):
            if key in self.summaries:
                continue
            if self.cache is not None:
                index = self.cache.index_of(key[0], key[1], self.default_namespace)
                if index is not None:
                    self.summaries[key] = index
                    hit_paths.add(key[0])
                    continue
            todo.append(key)
        self.read(blob for _path, blob in todo)
        namespace, contents = self.default_namespace, self.contents

        def parse(part: Sequence[FileKey]) -> list[tuple[Scanned, list[ObjectSummary]]]:
            out = []
            for path, blob in part:
                found = scan_text(contents[blob], path, namespace)
                out.append((found, summarize_file(found[0])))
            return out

        for key, (found, summary) in zip(todo, split_map(parse, todo, minimum=200), strict=True):
            self.parses += 1
            self.parsed[key] = found
            self.summaries[key] = summary
            if self.cache is not None and key[0] not in hit_paths:
                digest = content_hash(contents[key[1]])
                self.cache.put(key[0], digest, namespace, *found, index=summary, blob=key[1])

    def scan(self, key: FileKey) -> Scanned:
        """The objects and findings of one file (findings copied: later stages fill in their columns)."""
        found = self.parsed.get(key)
        if found is None and self.cache is not None:
            found = self.cache.get(key[0], key[1], self.default_namespace)
        if found is None:  # not summarised first, or a damaged cache entry
            self.read([key[1]])
            self.parses += 1
            found = scan_text(self.contents[key[1]], key[0], self.default_namespace)
        self.parsed[key] = found
        objects, findings = found
        return objects, copy.deepcopy(findings)


def analyze_side(
    files: Sequence[FileKey],
    scans: BlobScans,
    options: TranslateOptions,
    config: Config | None,
    focus: set[str] | None,
    needed: set[str] | None = None,
) -> Analysis:
    """One revision typed and translated as `pomgate check` would, or only what findings in ``focus`` need.

    With ``focus``, only the files in ``needed`` are loaded (those holding what the focus files'
    objects need, `select_files`); the routes kept are those of Ingresses defined in the focus
    files and the findings those in the focus files; the rest is the same on both sides of the diff.
    """
    if focus is not None:
        if needed is None:
            needed = select_files([(path, scans.summaries[(path, blob)]) for path, blob in files], focus)
        files = [key for key in files if key[0] in needed]
    shown = [key for key in files if focus is None or key[0] in focus]
    scans.read(blob for _path, blob in shown)  # quoted under findings
    objects: list[ManifestObject] = []
    scan_findings: list[Finding] = []
    for key in files:
        found_objects, found_findings = scans.scan(key)
        objects.extend(found_objects)
        scan_findings.extend(found_findings)
    gc.freeze()  # as in `check`: the scanned objects stay; keep the collector from walking them
    if focus is not None:
        objects = select_context(objects, focus)
        scan_findings = [f for f in scan_findings if f.path in focus]
    analysis = analyze_objects(
        objects,
        options,
        scan_findings=scan_findings,
        files=[path for path, _blob in files],
        config=config,
        sources={path: scans.contents[blob] for path, blob in shown},
    )
    if focus is not None:
        defined_in = {obj.ref: obj.origin.path for obj in objects}  # the later definition wins, as in the inventory
        routes = [route for route in analysis.translation.routes if defined_in.get(route.ingress) in focus]
        analysis.translation = TranslationResult(routes, analysis.translation.outcomes, analysis.translation.findings)
        analysis.findings = [f for f in analysis.findings if f.path in focus]
    return analysis


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
    configuration: DiffConfiguration | None = None,
    skip: Callable[[str], bool] | None = None,
) -> tuple[DiffResult, BlobScans]:
    """Compare revision ``base`` with ``head`` (the working tree when None) under ``paths``.

    Both sides are analysed under ``configuration.used`` (else ``config``); a change of the
    repository's own configuration that loosens it becomes the risk ``config_changed``.
    ``incremental=False`` analyses both sides in full (the reference the focused way is tested against).
    Files for which ``skip`` is true (the inputs of builds) are left out on both sides.
    """
    if configuration is not None:
        config = configuration.used
    prefixes = repository_prefixes(repo, paths)
    scans = BlobScans(default_namespace, cache, repo)
    base_files = revision_listing(repo, base, prefixes)
    if head is None:
        from_index = worktree_listing(repo, prefixes)  # unchanged files are not even read
        if from_index is not None:
            head_files, read = from_index
            scans.contents.update(read)
        else:
            worktree = worktree_files(repo, prefixes)
            scans.contents.update((source.blob, source.content) for source in worktree)
            head_files = [(source.path, source.blob) for source in worktree]
    else:
        head_files = changed_listing(repo, base_files, base, head, prefixes)
    if skip is not None:
        base_files = [entry for entry in base_files if not skip(entry[0])]
        head_files = [entry for entry in head_files if not skip(entry[0])]
    with collector_paused():
        scans.summarize([*base_files, *head_files])
    focus = None
    if incremental:
        before, after = dict(base_files), dict(head_files)
        changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
        focus = affected_files(
            [(path, scans.summaries[(path, blob)]) for path, blob in base_files],
            [(path, scans.summaries[(path, blob)]) for path, blob in head_files],
            changed,
        )
        if focus is not None and len(focus) * 2 > max(len(head_files), 1):
            focus = None  # most files affected: the focused selection would not pay
    needed = None
    if focus is not None:  # the files both sides need, chosen once: head's files, and base's that differ
        head_paths = {path for path, _blob in head_files}
        union = [*head_files, *(key for key in base_files if key[0] in changed or key[0] not in head_paths)]
        needed = select_files([(path, scans.summaries[(path, blob)]) for path, blob in union], focus)
    base_analysis = analyze_side(base_files, scans, options, config, focus, needed)
    head_analysis = analyze_side(head_files, scans, options, config, focus, needed)
    extra = []
    if configuration is not None:
        paths_seen = sorted({path for path, _blob in (*base_files, *head_files)})
        risk = config_risk(configuration.base, configuration.head, configuration.head_problem, paths_seen)
        extra = [risk] if risk is not None else []
    owners = config.hosts if config is not None else {}
    return compare(base_analysis, head_analysis, host_owners=owners, extra_risks=extra), scans
