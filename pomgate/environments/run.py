"""Analysing a repository as it is deployed: each environment through the unchanged core, then merged.

The plain manifests are scanned as before; each kustomize root is built (`build`), its objects are
analysed on their own (so cross-object rules stay inside one environment), and findings on built
objects are pointed back at the source (`sourcemap`). The same rule at the same place in several
environments is reported once, naming them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from pomgate.config import Config
from pomgate.environments.applications import Application, find_applications
from pomgate.environments.build import BuildCache, BuildResult, build_all
from pomgate.environments.kustomization import KUSTOMIZATION_FILES, Reference
from pomgate.environments.plan import PLAIN, Environment, Plan, kustomization_in, plan_builds
from pomgate.environments.sourcemap import HelmSourceMap, SourceMap
from pomgate.environments.tree import WorkingTree, inside, repository_root
from pomgate.findings import Finding, Severity
from pomgate.pipeline import Analysis, analyze_objects
from pomgate.scanning.cache import ScanCache
from pomgate.scanning.discover import InputFile, discover, git_environment
from pomgate.scanning.scan import scan, scan_text
from pomgate.scanning.source import SourceLines, fill_columns, point_at_tokens
from pomgate.translation.options import TranslateOptions

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

    @property
    def has_builds(self) -> bool:
        """Whether anything in the input is a build (else there is one environment: the plain files)."""
        return any(item.environment.kind != "plain" for item in self.environments)

    def environment(self, name: str) -> EnvironmentAnalysis | None:
        """The environment called ``name``."""
        return next((item for item in self.environments if item.environment.name == name), None)


def _build_files(inputs: Sequence[InputFile], root: str) -> tuple[list[str], list[str]]:
    """The kustomization files and chart folders among ``inputs``, as repository paths."""
    kustomizations: set[str] = set()
    charts: set[str] = set()
    folders: set[str] = set()
    for item in inputs:
        if item.fs_path is None:
            continue
        relative = _relative(item.fs_path, root)
        if relative is None:
            continue
        folder, _, name = relative.rpartition("/")
        folders.add(folder)
        if name in KUSTOMIZATION_FILES:
            kustomizations.add(relative)
        elif name == CHART_FILE:
            charts.add(folder)
    for folder in folders:  # `Kustomization` has no extension: the walk does not list it
        candidate = os.path.join(root, folder, "Kustomization")
        if os.path.isfile(candidate):
            kustomizations.add(f"{folder}/Kustomization" if folder else "Kustomization")
    return sorted(kustomizations), sorted(charts)


def _relative(fs_path: str, root: str) -> str | None:
    real = os.path.realpath(fs_path)
    if real != root and not real.startswith(os.path.join(root, "")):
        return None
    return os.path.relpath(real, root).replace(os.sep, "/")


def analyze_deployed(
    paths: Sequence[str],
    options: TranslateOptions,
    *,
    default_namespace: str = "default",
    config: Config | None = None,
    cache: ScanCache | None = None,
    stdin_text: str | bytes | None = None,
    build_cache: BuildCache | None = None,
) -> Deployment:
    """Analyse ``paths`` the way they are deployed: plain manifests, kustomize roots, charts and applications."""
    inputs, _findings = discover([path for path in paths if path != "-"])
    root = repository_root(next((path for path in paths if path != "-"), "."))
    tree = WorkingTree(root)
    kustomizations, charts = _build_files(inputs, root)
    plan = plan_builds(tree, kustomizations, charts)
    plain_paths = _plain_paths(paths, inputs, plan, root) if plan.kustomizations or charts else list(paths)
    scanned = scan(plain_paths, default_namespace=default_namespace, stdin_text=stdin_text, cache=cache)
    if cache is not None:
        cache.save(background=True)
    repository_paths = {item.display_path: _relative(item.fs_path, root) for item in inputs if item.fs_path}
    applications, application_findings = find_applications(
        scanned.objects, git_remotes(root), {path.rpartition("/")[0] for path in repository_paths.values() if path}
    )
    cwd = os.getcwd()

    def display(path: str) -> str:
        """A repository path as the scanner shows it (relative to the current folder when under it)."""
        absolute = tree.absolute(path)
        if absolute == cwd or absolute.startswith(os.path.join(cwd, "")):
            return os.path.relpath(absolute, cwd)
        return absolute

    extra: list[Finding] = [_displayed(finding, display) for finding in plan.findings]
    extra.extend(application_findings)
    environments, directories = _deployed_by_applications(tree, plan, applications, display, extra)
    plain_objects = [obj for obj in scanned.objects if repository_paths.get(obj.origin.path) not in directories]
    results = [
        EnvironmentAnalysis(
            Environment(PLAIN, "plain", ""),
            analyze_objects(
                plain_objects,
                options,
                scan_findings=[f for f in scanned.findings if repository_paths.get(f.path or "") not in directories],
                files=scanned.files,
                config=config,
                sources=scanned.sources,
                source_paths=scanned.source_paths,
            ),
        )
    ]
    if cache is not None:
        cache.wait()
    builds = [env for env in environments if env.kind in ("kustomize", "helm") and env.buildable]
    for result in build_all(tree, builds, cache=build_cache if build_cache is not None else BuildCache()):
        built = _analyze_build(result, tree, plan, options, default_namespace, config, display, extra)
        if built is not None:
            results.append(EnvironmentAnalysis(result.environment, built))
    for environment in environments:
        if environment.kind == "directory":
            results.append(
                EnvironmentAnalysis(environment, _analyze_directory(environment, tree, options, config, display))
            )
    if len(results) == 1 and not extra:
        analysis = results[0].analysis
        return Deployment(results, analysis.findings, plan, analysis.sources)
    inputs_shown = {display(path): tree.absolute(path) for path in _all_inputs(plan, environments)}
    sources = SourceLines(scanned.sources, {**scanned.source_paths, **inputs_shown})
    merged = merge_findings(results, extra)
    point_at_tokens(merged, sources)
    fill_columns(merged, sources)
    merged.sort(key=Finding.sort_key)
    return Deployment(results, merged, plan, sources)


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


def _deployed_by_applications(
    tree: WorkingTree,
    plan: Plan,
    applications: Sequence[Application],
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
    for application in applications:
        where = (application.source.origin.path, application.source.origin.line)
        kustomization = kustomization_in(tree, application.path)
        chart_file = f"{application.path}/{CHART_FILE}" if application.path else CHART_FILE
        deployed: Environment | None = None
        if kustomization is not None:
            own = plan_builds(tree, [kustomization])
            extra.extend(_displayed(f, display) for f in own.findings if f not in plan.findings)
            plan.kustomizations.update(own.kustomizations)
            found = own.environments[0] if own.environments else Environment("", "kustomize", application.path)
            deployed = replace(found, kustomize_options=application.kustomize_options)
        elif tree.kind(chart_file) == "file":
            values = (inside(application.path, name) for name in application.values_files)
            prefix = len(application.path) + 1 if application.path else 0
            deployed = Environment(
                "",
                "helm",
                application.path,
                tuple(tree.files(application.path)),
                release=application.release,
                values_files=tuple(value[prefix:] for value in values if value),
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
            extra.append(
                Finding(
                    "build/application-path-missing",
                    Severity.ERROR,
                    f"{application.source.kind} {application.name} deploys {application.path or '.'}, "
                    "which is not in this repository",
                    obj=application.source.ref,
                    path=where[0],
                    line=where[1],
                )
            )
            continue
        taken.add(application.path)
    kept = [env for env in environments if env.defined_at is not None or env.root not in taken]
    return kept, directory_files


def _analyze_directory(
    environment: Environment, tree: WorkingTree, options: TranslateOptions, config: Config | None, display: Display
) -> Analysis:
    """The plain folder an application deploys, read with the application's namespace."""
    objects = []
    findings: list[Finding] = []
    paths: dict[str, str] = {}
    for path in environment.inputs:
        shown = display(path)
        paths[shown] = tree.absolute(path)
        try:
            found, problems = scan_text(tree.read(path), shown, environment.default_namespace or "default")
        except OSError:
            continue
        objects.extend(found)
        findings.extend(problems)
    return analyze_objects(
        objects, options, scan_findings=findings, files=list(paths), config=config, sources={}, source_paths=paths
    )


def _plain_paths(paths: Sequence[str], inputs: Sequence[InputFile], plan: Plan, root: str) -> list[str]:
    """The files of ``inputs`` that no build reads (stdin stays as it is)."""
    kept: list[str] = ["-"] if "-" in paths else []
    for item in inputs:
        if item.fs_path is None:
            continue
        relative = _relative(item.fs_path, root)
        name = (relative or "").rpartition("/")[2]
        if relative is not None and (plan.is_claimed(relative) or name in KUSTOMIZATION_FILES):
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


def _analyze_build(
    result: BuildResult,
    tree: WorkingTree,
    plan: Plan,
    options: TranslateOptions,
    default_namespace: str,
    config: Config | None,
    display: Display,
    extra: list[Finding],
) -> Analysis | None:
    """The core's analysis of one build's objects, its findings pointed at the source files."""
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
    analysis = analyze_objects(objects, options, scan_findings=scan_findings, files=[synthetic], config=config)
    for finding in analysis.findings:
        if finding.path != synthetic:
            continue
        place = source_map.locate(finding.obj, finding.field) if finding.obj is not None else None
        path, line = place if place is not None else (fallback, 1)
        finding.path, finding.line, finding.column = display(path), line, None
        finding.extra.pop("token_at", None)
    if config is not None:  # include/exclude and severities, now that findings name the source files
        analysis.findings[:] = config.apply(analysis.findings)
    return analysis


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
