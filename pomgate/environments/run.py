"""Analysing a repository as it is deployed: each environment through the unchanged core, then merged.

The plain manifests are scanned as before; each kustomize root is built (`build`), its objects are
analysed on their own (so cross-object rules stay inside one environment), and findings on built
objects are pointed back at the source (`sourcemap`). The same rule at the same place in several
environments is reported once, naming them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pomgate.config import Config
from pomgate.environments.applications import APPLICATION_GROUPS, Application, find_applications, path_match
from pomgate.environments.build import BuildCache, BuildResult, Progress, build_all
from pomgate.environments.kustomization import KUSTOMIZATION_FILES, Reference
from pomgate.environments.plan import (
    PLAIN,
    Environment,
    Plan,
    environment_name,
    kustomization_in,
    plan_builds,
    unique_names,
)
from pomgate.environments.sourcemap import HelmSourceMap, SourceMap
from pomgate.environments.tree import Tree, WorkingTree, inside, repository_root
from pomgate.findings import FieldPath, Finding, ObjectRef, Severity
from pomgate.pipeline import Analysis, analyze_objects, analyze_paths
from pomgate.scanning.cache import ScanCache
from pomgate.scanning.discover import InputFile, discover, git_environment
from pomgate.scanning.manifest import ManifestObject
from pomgate.scanning.scan import scan, scan_text
from pomgate.scanning.source import SourceLines, fill_columns, point_at_tokens
from pomgate.translation.options import TranslateOptions
from pomgate.translation.route import TranslationResult

CHART_FILE = "Chart.yaml"
#: A repository path as the scanner shows it.
Display = Callable[[str], str]


@dataclass
class EnvironmentAnalysis:
    """One environment and what the core made of it."""

    environment: Environment
    analysis: Analysis


@dataclass
class Deployment:
    """Every environment's analysis and the findings of all of them, merged."""

    environments: list[EnvironmentAnalysis]
    findings: list[Finding]
    plan: Plan = field(default_factory=Plan)
    sources: SourceLines = field(default_factory=lambda: SourceLines({}))
    #: The files (display paths) each environment's build reads, by environment name.
    inputs: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def has_builds(self) -> bool:
        """Whether anything in the input is a build (else there is one environment: the plain files)."""
        return any(item.environment.kind != "plain" for item in self.environments)

    def environment(self, name: str) -> EnvironmentAnalysis | None:
        """The environment called ``name``."""
        return next((item for item in self.environments if item.environment.name == name), None)

    def combined(self) -> Analysis:
        """One analysis for the reporters: every environment's objects, routes and files, the merged findings."""
        analyses = [item.analysis for item in self.environments]
        if len(analyses) == 1:
            return replace(analyses[0], findings=self.findings)
        translation = TranslationResult(
            [route for analysis in analyses for route in analysis.translation.routes],
            [outcome for analysis in analyses for outcome in analysis.translation.outcomes],
            [],
        )
        read = (name for analysis in analyses for name in analysis.files if not name.startswith("<"))
        files = list(dict.fromkeys([*read, *sorted({path for paths in self.inputs.values() for path in paths})]))
        objects = [obj for analysis in analyses for obj in analysis.objects]
        return Analysis(objects, analyses[0].inventory, translation, self.findings, files, self.sources)

    def only(self, name: str) -> Analysis | None:
        """The analysis of environment ``name``, with its findings and its build's own (None: no such environment)."""
        item = self.environment(name)
        if item is None:
            return None
        inputs = set(item.analysis.files) | self.inputs.get(name, frozenset())
        findings = [
            finding
            for finding in self.findings
            if name in finding.environments or (not finding.environments and finding.path in inputs)
        ]
        files = sorted(name for name in inputs if not name.startswith("<"))
        return replace(item.analysis, findings=findings, sources=self.sources, files=files)


def _build_files(inputs: Sequence[InputFile], root: str) -> tuple[list[str], list[str]]:
    """The kustomization files and chart folders among ``inputs``, as repository paths."""
    kustomizations: set[str] = set()
    charts: set[str] = set()
    found: list[str] = []
    folders: set[str] = set()
    for item in inputs:  # a 10,000-Ingress repository: names only, no system call per file
        if item.fs_path is not None:
            folder, name = os.path.split(item.fs_path)
            folders.add(folder)
            if name in KUSTOMIZATION_FILES or name == CHART_FILE:
                found.append(item.fs_path)
    # `Kustomization` has no extension, so the walk does not list it.
    found.extend(path for path in (os.path.join(f, "Kustomization") for f in folders) if os.path.isfile(path))
    for fs_path in found:
        relative = _relative(fs_path, root)
        if relative is None:
            continue
        folder, _, name = relative.rpartition("/")
        if name == CHART_FILE:
            charts.add(folder)
        else:
            kustomizations.add(relative)
    return sorted(kustomizations), sorted(charts)


def _relative(fs_path: str, root: str) -> str | None:
    real = os.path.realpath(fs_path)
    if real != root and not real.startswith(os.path.join(root, "")):
        return None
    return os.path.relpath(real, root).replace(os.sep, "/")


@dataclass
class _Part:
    """One environment's objects before analysis, and how to point findings on them at their source."""

    environment: Environment
    objects: list[ManifestObject]
    scan_findings: list[Finding]
    files: list[str]
    sources: dict[str, bytes | str] = field(default_factory=dict)
    source_paths: dict[str, str] = field(default_factory=dict)
    built: str | None = None  # the display name of the build output, for findings to point elsewhere
    locate: Callable[[ObjectRef, FieldPath], tuple[str, int] | None] | None = None
    fallback: str = ""  # where a finding on a built object goes when its source is not found


def analyze_deployed(
    paths: Sequence[str],
    options: TranslateOptions,
    *,
    default_namespace: str = "default",
    config: Config | None = None,
    cache: ScanCache | None = None,
    stdin_text: str | bytes | None = None,
    build_cache: BuildCache | None = None,
    focus: Collection[str] | None = None,
    build: bool = True,
    progress: Progress | None = None,
    wait_for_cache: bool = True,
) -> Deployment:
    """Analyse ``paths`` the way they are deployed: plain manifests, kustomize roots, charts and applications.

    With ``build`` False (or nothing to build, with a ``focus``), this is `analyze_paths`: every
    file read as it is. With a ``focus`` (display paths), only findings in those files are kept.
    """
    files = [path for path in paths if path != "-"]
    discovered = discover(files) if build else None
    inputs = discovered[0] if discovered is not None else []
    root = repository_root(next(iter(files), "."))
    tree = WorkingTree(root)
    kustomizations, charts = _build_files(inputs, root)
    walked = discovered if len(files) == len(paths) else None  # stdin is not in the walk
    if not build or (focus is not None and not kustomizations and not charts):
        return _plain_only(
            analyze_paths(
                paths,
                options,
                default_namespace=default_namespace,
                config=config,
                cache=cache,
                stdin_text=stdin_text,
                focus=focus,
                wait_for_cache=wait_for_cache,
                discovered=walked,
            )
        )
    plan = plan_builds(tree, kustomizations, charts)
    if plan.kustomizations or charts:
        plain_paths, walked = _plain_paths(paths, inputs, plan, root), None
    else:
        plain_paths = list(paths)
    scanned = scan(
        plain_paths, default_namespace=default_namespace, stdin_text=stdin_text, cache=cache, discovered=walked
    )
    if walked is None and discovered is not None:  # the folders' walk was not the scan's: keep what it met
        scanned.findings[:0] = discovered[1]
    if cache is not None:
        cache.save(background=True)
    repository_paths: dict[str, str | None] = {}
    applications: list[Application] = []
    application_findings: list[Finding] = []
    if any(is_application(obj) for obj in scanned.objects):
        repository_paths = {item.display_path: _relative(item.fs_path, root) for item in inputs if item.fs_path}
        folders = {path.rpartition("/")[0] for path in repository_paths.values() if path}
        applications, application_findings = find_applications(scanned.objects, git_remotes(root), folders)
    cwd = os.getcwd()

    def display(path: str) -> str:
        """A repository path as the scanner shows it (relative to the current folder when under it)."""
        absolute = tree.absolute(path)
        if absolute == cwd or absolute.startswith(os.path.join(cwd, "")):
            return os.path.relpath(absolute, cwd)
        return absolute

    extra: list[Finding] = [_displayed(finding, display) for finding in plan.findings]
    extra.extend(application_findings)
    scanned_folders = [_relative(path, root) for path in paths if path != "-" and os.path.isdir(path)]
    bases = ["", *sorted({folder for folder in scanned_folders if folder})]
    environments, directories = deployed_by_applications(tree, plan, applications, bases, display, extra)
    # A root found on its own is named by its folder as shown (relative to the current folder).
    environments = unique_names(
        [env if env.defined_at else replace(env, name=environment_name(display(env.root))) for env in environments]
    )
    parts = [
        _Part(
            Environment(PLAIN, "plain", ""),
            [obj for obj in scanned.objects if repository_paths.get(obj.origin.path) not in directories],
            [f for f in scanned.findings if repository_paths.get(f.path or "") not in directories],
            scanned.files,
            dict(scanned.sources),
            dict(scanned.source_paths),
        )
    ]
    builds = [env for env in environments if env.kind in ("kustomize", "helm") and env.buildable]
    built_cache = build_cache if build_cache is not None else BuildCache()
    for result in build_all(tree, builds, cache=built_cache, progress=progress):
        part = built_part(result, tree, plan, default_namespace, display, extra)
        if part is not None:
            parts.append(part)
    parts.extend(directory_part(env, tree, display) for env in environments if env.kind == "directory")
    groups = config.environments if config is not None else {}
    results = [
        EnvironmentAnalysis(environment, analyze_parts(members, options, config))
        for environment, members in _grouped(parts, groups)
    ]
    if cache is not None and wait_for_cache:
        cache.wait()  # the scan cache's writer (a forked child) has finished: library callers may read it
    if len(results) == 1 and not extra:
        analysis = results[0].analysis
        return Deployment(results, _focused(analysis.findings, focus), plan, analysis.sources)
    inputs_shown = {display(path): tree.absolute(path) for path in _all_inputs(plan, environments)}
    sources = SourceLines(scanned.sources, {**scanned.source_paths, **inputs_shown})
    merged = merge_findings(results, config.apply(extra) if config is not None else extra)
    point_at_tokens(merged, sources)
    fill_columns(merged, sources)
    merged.sort(key=Finding.sort_key)
    read = {env.name: frozenset(map(display, env.inputs)) for env in [*environments, *(i.environment for i in results)]}
    return Deployment(results, _focused(merged, focus, read), plan, sources, read)


def _focused(
    findings: list[Finding], focus: Collection[str] | None, inputs: Mapping[str, frozenset[str]] | None = None
) -> list[Finding]:
    """The findings in ``focus`` files; and the build findings of every environment that reads one of them.

    A broken patch makes its build fail at the kustomization: the hook on the patch must still fail.
    """
    if focus is None:
        return findings
    wanted = set(focus)
    touched: set[str] = set()
    for paths in (inputs or {}).values():
        if not paths.isdisjoint(wanted):
            touched |= paths
    return [f for f in findings if f.path in wanted or (f.rule.startswith("build/") and f.path in touched)]


def _plain_only(analysis: Analysis) -> Deployment:
    return Deployment([EnvironmentAnalysis(Environment(PLAIN, "plain", ""), analysis)], analysis.findings)


def is_application(obj: ManifestObject) -> bool:
    """Whether ``obj`` may be an Argo CD or Flux object that deploys something."""
    return obj.api_version.startswith(APPLICATION_GROUPS)


def _grouped(parts: Sequence[_Part], groups: Mapping[str, Sequence[str]]) -> list[tuple[Environment, list[_Part]]]:
    """Environments to analyse: each part alone, or with the others its configured group names."""
    grouped: dict[str, list[_Part]] = {}
    alone: list[tuple[Environment, list[_Part]]] = []
    for part in parts:
        environment = part.environment
        name = next(
            (
                group
                for group, patterns in groups.items()
                if any(path_match(environment.root, p) or path_match(environment.name, p) for p in patterns)
            ),
            None,
        )
        if name is None:
            alone.append((environment, [part]))
        else:
            grouped.setdefault(name, []).append(part)
    together = [
        (Environment(name, "group", "", tuple(sorted({i for p in members for i in p.environment.inputs}))), members)
        for name, members in grouped.items()
    ]
    return alone + together


def analyze_parts(parts: Sequence[_Part], options: TranslateOptions, config: Config | None) -> Analysis:
    """One core analysis of the parts' objects together; findings on built objects pointed at their source."""
    objects = [obj for part in parts for obj in part.objects]
    sources: dict[str, bytes | str] = {}
    source_paths: dict[str, str] = {}
    for part in parts:
        sources.update(part.sources)
        source_paths.update(part.source_paths)
    analysis = analyze_objects(
        objects,
        options,
        scan_findings=[finding for part in parts for finding in part.scan_findings],
        files=[name for part in parts for name in part.files],
        config=config,
        sources=sources,
        source_paths=source_paths,
    )
    built = {part.built: part for part in parts if part.built is not None}
    if not built:
        return analysis
    for finding in analysis.findings:
        source = built.get(finding.path or "")
        if source is None:
            continue
        locate = source.locate
        place = locate(finding.obj, finding.field) if locate is not None and finding.obj is not None else None
        finding.path, finding.line = place if place is not None else (source.fallback, 1)
        finding.column = None
        finding.extra.pop("token_at", None)
    if config is not None:  # include/exclude and severities, now that findings name the source files
        analysis.findings[:] = config.apply(analysis.findings)
    return analysis


def git_remotes(root: str) -> list[str]:
    """The URLs of the repository's git remotes (none when it is not a git repository or has none)."""
    try:
        done = subprocess.run(
            ["git", "-C", root, "config", "--get-regexp", r"^remote\..*\.url$"],
            capture_output=True,
            text=True,
            timeout=30,
            env=git_environment(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split(None, 1)[1] for line in done.stdout.splitlines() if " " in line]


def deployed_by_applications(
    tree: Tree,
    plan: Plan,
    applications: Sequence[Application],
    bases: Sequence[str],
    display: Display,
    extra: list[Finding],
) -> tuple[list[Environment], set[str]]:
    """The plan's environments with those the applications deploy; and the plain folders they take over.

    A root or chart that an application deploys becomes that application's environment (named by
    it, with its namespace and options); a plain folder becomes one too, and its files leave the
    plain environment.
    """
    environments = list(plan.environments)
    taken: set[str] = set()  # roots/charts an application deploys: not environments of their own
    directory_files: set[str] = set()
    for listed in applications:
        # An application's path is relative to the repository; a folder checked on its own (an example
        # repository inside another one) is tried as the repository's top too.
        located = (inside(base, listed.path) for base in bases)
        path = next((p for p in located if p is not None and tree.kind(p) is not None), listed.path)
        application = replace(listed, path=path)
        where = (application.source.origin.path, application.source.origin.line)
        kustomization = kustomization_in(tree, application.path)
        chart_file = f"{application.path}/{CHART_FILE}" if application.path else CHART_FILE
        deployed: Environment | None = None
        if kustomization is not None:
            own = plan_builds(tree, [kustomization])
            extra.extend(_displayed(f, display) for f in own.findings if f not in plan.findings)
            plan.kustomizations.update(own.kustomizations)
            built = own.environments[0] if own.environments else Environment("", "kustomize", application.path)
            deployed = replace(built, kustomize_options=application.kustomize_options)
        elif tree.kind(chart_file) == "file":
            base = "" if application.values_from_top else application.path
            values = [inside(base, name) for name in application.values_files if not name.startswith("$")]
            found = tuple(value for value in values if value is not None and tree.kind(value) == "file")
            deployed = Environment(
                "",
                "helm",
                application.path,
                tuple(sorted({*tree.files(application.path), *found})),
                release=application.release,
                values_files=found,  # repository paths, copied into the build with the chart
                values=application.values,
            )
        elif tree.kind(application.path) == "dir":
            files = [
                path
                for path in tree.files(application.path)
                if path.endswith((".yaml", ".yml", ".json"))
                and (application.recurse or path.rpartition("/")[0] == application.path)
                and not plan.is_claimed(path)
            ]
            directory_files.update(files)
            deployed = Environment("", "directory", application.path, tuple(files))
        if deployed is not None:
            environments.append(
                replace(deployed, name=application.name, default_namespace=application.namespace, defined_at=where)
            )
        else:
            unsure = (
                "" if application.confirmed else " (the repository has no git remote that confirms it is its source)"
            )
            extra.append(
                Finding(
                    "build/application-path-missing",
                    Severity.ERROR if application.confirmed else Severity.INFO,
                    f"{application.source.kind} {application.name} deploys {application.path or '.'}, "
                    f"which is not in this repository{unsure}",
                    obj=application.source.ref,
                    path=where[0],
                    line=where[1],
                )
            )
            continue
        taken.add(application.path)
    kept = [env for env in environments if env.defined_at is not None or env.root not in taken]
    return kept, directory_files


def directory_part(environment: Environment, tree: Tree, display: Display) -> _Part:
    """The plain folder an application deploys, read with the application's namespace."""
    objects = []
    findings: list[Finding] = []
    paths: dict[str, str] = {}
    for path in environment.inputs:
        shown = display(path)
        if isinstance(tree, WorkingTree):
            paths[shown] = tree.absolute(path)
        try:
            found, problems = scan_text(tree.read(path), shown, environment.default_namespace or "default")
        except OSError:
            continue
        objects.extend(found)
        findings.extend(problems)
    return _Part(environment, objects, findings, list(paths) or list(environment.inputs), source_paths=paths)


def _plain_paths(paths: Sequence[str], inputs: Sequence[InputFile], plan: Plan, root: str) -> list[str]:
    """The files of ``inputs`` that no build reads (stdin stays as it is)."""
    kept: list[str] = ["-"] if "-" in paths else []
    for item in inputs:
        if item.fs_path is None:
            continue
        relative = _relative(item.fs_path, root)
        if relative is not None and plan.is_claimed(relative):
            continue
        kept.append(item.fs_path)
    return kept


def _all_inputs(plan: Plan, environments: Sequence[Environment]) -> set[str]:
    inputs: set[str] = set(plan.kustomizations)
    for environment in environments:
        inputs.update(environment.inputs)
    return inputs


def _displayed(finding: Finding, display: Display) -> Finding:
    if finding.path is not None:
        finding.path = display(finding.path)
    return finding


def built_part(
    result: BuildResult,
    tree: Tree,
    plan: Plan,
    default_namespace: str,
    display: Display,
    extra: list[Finding],
) -> _Part | None:
    """The objects of one build, with where their fields are written (None: the build failed, ``extra`` says)."""
    environment = result.environment
    if result.output is None:
        extra.append(_displayed(_build_failure(result, plan), display))
        return None
    tool = "helm template" if environment.kind == "helm" else "kustomize build"
    synthetic = f"<{tool} {environment.name}>"
    objects, scan_findings = scan_text(result.output, synthetic, environment.default_namespace or default_namespace)
    source_map: SourceMap | HelmSourceMap
    if environment.kind == "helm":
        source_map = HelmSourceMap(tree, environment, result.output)
        fallback = _chart_file(environment)
    else:
        source_map = SourceMap(tree, environment, plan.kustomizations)
        fallback = environment.kustomizations[0]
    for obj in objects:
        source_map.adopt(obj)

    def locate(ref: ObjectRef, field_path: FieldPath) -> tuple[str, int] | None:
        place = source_map.locate(ref, field_path)
        return None if place is None else (display(place[0]), place[1])

    return _Part(
        environment, objects, scan_findings, [synthetic], built=synthetic, locate=locate, fallback=display(fallback)
    )


def _chart_file(environment: Environment) -> str:
    return f"{environment.root}/{CHART_FILE}" if environment.root else CHART_FILE


def _build_failure(result: BuildResult, plan: Plan) -> Finding:
    """The finding of a build that failed: at the entry its message names, else the root's file."""
    environment = result.environment
    message = result.error or ""
    if environment.kind == "helm":
        if message.startswith("helm is not on PATH"):
            return Finding(
                "build/chart-not-rendered",
                Severity.INFO,
                f"the Helm chart {environment.name} is not rendered (helm is not on PATH); "
                "its templates are not read as manifests",
                path=_chart_file(environment),
                line=1,
            )
        return Finding(
            "build/helm-failed",
            Severity.ERROR,
            f"helm cannot render {environment.name}: {message}",
            path=_chart_file(environment),
            line=1,
        )
    place = (environment.kustomizations[0], 1) if environment.kustomizations else (environment.root, 1)
    for path in environment.kustomizations:
        kustomization = plan.kustomizations.get(path)
        entries: list[Reference] = [*kustomization.references, *kustomization.plugins] if kustomization else []
        named = next((entry for entry in entries if entry.value and entry.value in message), None)
        if named is not None:
            place = (path, named.line)
            break
    return Finding(
        "build/kustomize-failed",
        Severity.ERROR,
        f"kustomize cannot build {environment.name}: {message}",
        path=place[0],
        line=place[1],
    )


def merge_findings(results: Sequence[EnvironmentAnalysis], extra: Sequence[Finding] = ()) -> list[Finding]:
    """Every environment's findings; the same rule at the same place is reported once, naming its environments.

    Environments are named only when there is more than the plain one. At one place, a finding of
    another environment joins one with the same message, else one that lacks that environment (the
    message may differ by a namespace or a name suffix); findings of discovery and of failed builds
    (``extra``) name none.
    """
    label = len(results) > 1
    places: dict[tuple[object, ...], list[Finding]] = {}
    for item in results:
        name = item.environment.name
        for finding in item.analysis.findings:
            slots = places.setdefault((finding.rule, finding.path, finding.line), [])
            same = next((slot for slot in slots if slot.message == finding.message), None)
            if same is None or (label and name in same.environments):
                same = next((slot for slot in slots if label and name not in slot.environments), None)
            if same is None:
                if label:
                    finding.environments = (name,)
                slots.append(finding)
            elif label and name not in same.environments:
                same.environments = (*same.environments, name)
    return [finding for slots in places.values() for finding in slots] + list(extra)
