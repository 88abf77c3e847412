"""`pomgate diff` for builds: the environments whose inputs changed, built on both sides and compared.

Each side is planned from its own files (git objects for a revision, the working tree for the
head by default); an environment is compared when its inputs differ between the sides (by git blob
id) or it exists on one side only, so an unchanged overlay is never built. The files builds read
are left out of the plain-file diff on both sides.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pomgate.config import Config
from pomgate.diff.compare import DiffResult, compare
from pomgate.diff.gitread import blob_id, files_declaring, files_named, repository_prefixes
from pomgate.diff.run import DiffConfiguration, diff_revisions
from pomgate.environments.applications import APPLICATION_GROUPS, find_applications
from pomgate.environments.build import BuildCache, build_all
from pomgate.environments.kustomization import KUSTOMIZATION_FILES
from pomgate.environments.plan import Environment, Plan, plan_builds, unique_names
from pomgate.environments.run import (
    CHART_FILE,
    analyze_parts,
    built_part,
    deployed_by_applications,
    directory_part,
    git_remotes,
    is_application,
)
from pomgate.environments.tree import GitTree, Tree, WorkingTree
from pomgate.findings import Finding
from pomgate.pipeline import Analysis, analyze_objects
from pomgate.scanning.cache import ScanCache
from pomgate.scanning.scan import scan_text
from pomgate.translation.options import TranslateOptions

if TYPE_CHECKING:
    import git


@dataclass
class Side:
    """One side of the diff: its files, the builds found in them, and each environment's input digest."""

    tree: Tree
    plan: Plan
    environments: list[Environment] = field(default_factory=list)  # the plan's, named by their applications
    digests: dict[str, tuple[object, ...]] = field(default_factory=dict)
    folder_files: set[str] = field(default_factory=set)  # files of plain folders an application deploys

    def environment(self, name: str) -> Environment | None:
        """The environment called ``name`` on this side."""
        return next((env for env in self.environments if env.name == name), None)

    def claims(self, path: str) -> bool:
        """Whether a build of this side reads ``path`` (so it is not a plain manifest here)."""
        return self.plan.is_claimed(path) or path in self.folder_files


def _under(path: str, prefixes: Sequence[str]) -> bool:
    return "" in prefixes or not prefixes or any(path == p or path.startswith(p + "/") for p in prefixes)


def plan_side(
    tree: Tree,
    paths: Collection[str],
    prefixes: Sequence[str],
    application_files: Sequence[str] = (),
    remotes: Sequence[str] = (),
) -> Side:
    """The builds among ``paths`` (the side's files, repository paths) under ``prefixes``.

    ``application_files`` may hold Argo CD or Flux objects: the roots, charts and plain folders they
    deploy are named by them and take their namespace and options, as in `check`.
    """
    kustomizations = [p for p in paths if posixpath.basename(p) in KUSTOMIZATION_FILES and _under(p, prefixes)]
    charts = [posixpath.dirname(p) for p in paths if posixpath.basename(p) == CHART_FILE and _under(p, prefixes)]
    plan = plan_builds(tree, kustomizations, charts)
    environments = plan.environments
    objects = []
    if isinstance(tree, GitTree):
        tree.prefetch(application_files)
    for path in application_files:
        try:
            objects.extend(scan_text(tree.read(path), path)[0])
        except OSError:
            continue
    if any(is_application(obj) for obj in objects):
        folders = {posixpath.dirname(path) for path in paths}
        applications, _notes = find_applications(objects, remotes, folders)
        environments, _taken = deployed_by_applications(tree, plan, applications, [""], lambda path: path, [])
    side = Side(tree, plan, unique_names(environments))
    side.folder_files = {path for env in environments if env.kind == "directory" for path in env.inputs}
    for environment in environments:
        side.digests[environment.name] = (environment, *(_digest(tree, path) for path in environment.inputs))
    return side


def _digest(tree: Tree, path: str) -> str | None:
    if isinstance(tree, GitTree):
        return tree.blob_id(path)
    try:
        return blob_id(tree.read(path))
    except OSError:
        return None


def worktree_paths(root: str) -> list[str]:
    """The files of the working tree that git does not ignore (repository paths)."""
    import os

    from pomgate.scanning.discover import discover

    inputs, _findings = discover([root])
    found = {os.path.relpath(item.fs_path, root).replace(os.sep, "/") for item in inputs if item.fs_path}
    for folder in {posixpath.dirname(path) for path in found}:  # `Kustomization` has no extension
        candidate = f"{folder}/Kustomization" if folder else "Kustomization"
        if os.path.isfile(os.path.join(root, candidate)):
            found.add(candidate)
    return sorted(found)


def sides(repo: git.Repo, base: str, head: str | None, prefixes: Sequence[str]) -> tuple[Side, Side]:
    """Both sides' builds: the base revision from git objects, the head from git or the working tree.

    When neither side has a kustomization or a ``Chart.yaml``, nothing more is looked at.
    """
    build_files = (*KUSTOMIZATION_FILES, CHART_FILE)
    root = str(repo.working_tree_dir)
    if not files_named(repo, base, build_files) and not files_named(repo, head, build_files):
        nothing = Side(WorkingTree(root), Plan())  # no build on either side
        return nothing, nothing
    base_tree = GitTree(repo, base)
    head_tree: Tree = GitTree(repo, head) if head is not None else WorkingTree(root)
    head_paths = head_tree.paths() if isinstance(head_tree, GitTree) else worktree_paths(root)
    remotes = git_remotes(root)
    base_apps = files_declaring(repo, base, APPLICATION_GROUPS)
    head_apps = files_declaring(repo, head, APPLICATION_GROUPS)
    return (
        plan_side(base_tree, base_tree.paths(), prefixes, base_apps, remotes),
        plan_side(head_tree, head_paths, prefixes, head_apps, remotes),
    )


def changed_environments(base: Side, head: Side) -> list[str]:
    """The environments whose inputs (or settings) differ between the sides, or that one side lacks."""
    names = sorted(base.digests.keys() | head.digests.keys())
    return [name for name in names if base.digests.get(name) != head.digests.get(name)]


def _side_analysis(
    side: Side,
    name: str,
    options: TranslateOptions,
    config: Config | None,
    default_namespace: str,
    build_cache: BuildCache,
) -> Analysis:
    """The analysis of environment ``name`` on one side (empty when it does not exist there)."""
    environment = side.environment(name)
    findings: list[Finding] = []
    if environment is not None and environment.kind == "directory":
        analysis = analyze_parts([directory_part(environment, side.tree, lambda path: path)], options, config)
        for finding in analysis.findings:
            finding.environments = (name,)
        return analysis
    if environment is not None and environment.buildable:
        if isinstance(side.tree, GitTree):
            side.tree.prefetch(environment.inputs)
        (result,) = build_all(side.tree, [environment], cache=build_cache)
        part = built_part(result, side.tree, side.plan, default_namespace, lambda path: path, findings)
        if part is not None:
            analysis = analyze_parts([part], options, config)
            for finding in analysis.findings:
                finding.environments = (name,)
            return analysis
    if environment is not None and not environment.buildable:
        findings.extend(f for f in side.plan.findings if f.path in environment.kustomizations)
    for finding in findings:
        finding.environments = (name,)
    return analyze_objects([], options, scan_findings=findings)


def diff_environments(
    base: Side,
    head: Side,
    options: TranslateOptions,
    *,
    config: Config | None = None,
    default_namespace: str = "default",
    build_cache: BuildCache | None = None,
) -> list[tuple[str, DiffResult]]:
    """Each changed environment's diff (routes, risks and findings of its build on both sides)."""
    cache = build_cache if build_cache is not None else BuildCache()
    owners = config.hosts if config is not None else {}
    results = []
    for name in changed_environments(base, head):
        before = _side_analysis(base, name, options, config, default_namespace, cache)
        after = _side_analysis(head, name, options, config, default_namespace, cache)
        results.append((name, compare(before, after, host_owners=owners)))
    return results


def diff_deployed(
    repo: git.Repo,
    base: str,
    head: str | None,
    paths: Sequence[str],
    options: TranslateOptions,
    *,
    default_namespace: str = "default",
    configuration: DiffConfiguration,
    cache: ScanCache | None = None,
    build: bool = True,
    build_cache: BuildCache | None = None,
) -> DiffResult:
    """`diff_revisions` of the plain manifests, plus each changed environment's diff (labelled with its name)."""
    before = after = None
    if build:
        before, after = sides(repo, base, head, repository_prefixes(repo, paths))
    result, _scans = diff_revisions(
        repo,
        base,
        head,
        paths,
        options,
        default_namespace=default_namespace,
        configuration=configuration,
        cache=cache,
        skip=_either_claims(before, after) if before is not None and after is not None else None,
    )
    if before is None or after is None:
        return result
    changes = diff_environments(
        before,
        after,
        options,
        config=configuration.used,
        default_namespace=default_namespace,
        build_cache=build_cache,
    )
    for name, changed in changes:
        result.include(changed, name)
    return result


def _either_claims(before: Side, after: Side) -> Callable[[str], bool] | None:
    """What to leave out of the plain-file diff: what a build of either side reads (None: no build at all)."""
    if not any(side.plan.kustomizations or side.plan.chart_folders or side.folder_files for side in (before, after)):
        return None
    return lambda path: before.claims(path) or after.claims(path)
