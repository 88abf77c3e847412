"""Analysing a repository as it is deployed: each environment through the unchanged core, then merged.

The plain manifests are scanned as before; each kustomize root is built (`build`), its objects are
analysed on their own (so cross-object rules stay inside one environment), and findings on built
objects are pointed back at the source (`sourcemap`). The same rule at the same place in several
environments is reported once, naming them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pomgate.config import Config
from pomgate.environments.build import BuildCache, BuildResult, build_all
from pomgate.environments.kustomization import KUSTOMIZATION_FILES, Reference
from pomgate.environments.plan import PLAIN, Environment, Plan, plan_builds
from pomgate.environments.sourcemap import SourceMap
from pomgate.environments.tree import WorkingTree, repository_root
from pomgate.findings import Finding, Severity
from pomgate.pipeline import Analysis, analyze_objects, analyze_paths
from pomgate.scanning.cache import ScanCache
from pomgate.scanning.discover import InputFile, discover
from pomgate.scanning.scan import scan_text
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
    """Analyse ``paths`` the way they are deployed: plain manifests, and every kustomize root and chart."""
    inputs, _findings = discover([path for path in paths if path != "-"])
    root = repository_root(next((path for path in paths if path != "-"), "."))
    kustomizations, charts = _build_files(inputs, root)
    if not kustomizations and not charts:
        analysis = analyze_paths(
            paths, options, default_namespace=default_namespace, config=config, cache=cache, stdin_text=stdin_text
        )
        plain = Environment(PLAIN, "plain", "")
        return Deployment([EnvironmentAnalysis(plain, analysis)], analysis.findings, sources=analysis.sources)
    tree = WorkingTree(root)
    plan = plan_builds(tree, kustomizations, charts)
    cwd = os.getcwd()

    def display(path: str) -> str:
        """A repository path as the scanner shows it (relative to the current folder when under it)."""
        absolute = tree.absolute(path)
        if absolute == cwd or absolute.startswith(os.path.join(cwd, "")):
            return os.path.relpath(absolute, cwd)
        return absolute

    plain_paths = _plain_paths(paths, inputs, plan, root)
    results: list[EnvironmentAnalysis] = []
    plain_analysis = analyze_paths(
        plain_paths, options, default_namespace=default_namespace, config=config, cache=cache, stdin_text=stdin_text
    )
    results.append(EnvironmentAnalysis(Environment(PLAIN, "plain", ""), plain_analysis))
    extra: list[Finding] = [_displayed(finding, display) for finding in plan.findings]
    buildable = [env for env in plan.environments if env.kind == "kustomize" and env.buildable]
    built = build_all(tree, buildable, cache=build_cache if build_cache is not None else BuildCache())
    for result in built:
        built_analysis = _analyze_build(result, tree, plan, options, default_namespace, config, display, extra)
        if built_analysis is not None:
            results.append(EnvironmentAnalysis(result.environment, built_analysis))
    for environment in plan.environments:
        if environment.kind == "helm":
            extra.append(_chart_not_rendered(environment, display))
    sources = SourceLines({}, {display(path): tree.absolute(path) for path in _all_inputs(plan)})
    merged = merge_findings(results, extra)
    point_at_tokens(merged, sources)
    fill_columns(merged, sources)
    merged.sort(key=Finding.sort_key)
    return Deployment(results, merged, plan, sources)


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


def _all_inputs(plan: Plan) -> set[str]:
    inputs: set[str] = set(plan.kustomizations)
    for environment in plan.environments:
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
    root_file = environment.kustomizations[0]
    if result.output is None:
        path, line = _failure_place(result.error or "", environment, plan)
        failed = Finding(
            "build/kustomize-failed",
            Severity.ERROR,
            f"kustomize cannot build {environment.name}: {result.error}",
            path=path,
            line=line,
        )
        extra.append(_displayed(failed, display))
        return None
    synthetic = f"<kustomize build {environment.name}>"
    objects, scan_findings = scan_text(result.output, synthetic, default_namespace)
    source_map = SourceMap(tree, environment, plan.kustomizations)
    for obj in objects:
        source_map.adopt(obj)
    analysis = analyze_objects(
        objects, options, scan_findings=scan_findings, files=[synthetic], config=config, sources={}
    )
    for finding in analysis.findings:
        if finding.path != synthetic:
            continue
        place = source_map.locate(finding.obj, finding.field) if finding.obj is not None else None
        path, line = place if place is not None else (root_file, 1)
        finding.path, finding.line, finding.column = display(path), line, None
        finding.extra.pop("token_at", None)
    if config is not None:  # include/exclude and severities, now that findings name the source files
        analysis.findings[:] = config.apply(analysis.findings)
    return analysis


def _failure_place(message: str, environment: Environment, plan: Plan) -> tuple[str, int]:
    """Where a failed build's message points: the entry it names in a kustomization, else the root's file."""
    for path in environment.kustomizations:
        kustomization = plan.kustomizations.get(path)
        if kustomization is None:
            continue
        entries: list[Reference] = [*kustomization.references, *kustomization.plugins]
        for reference in entries:
            if reference.value and reference.value in message:
                return path, reference.line
    return environment.kustomizations[0], 1


def _chart_not_rendered(environment: Environment, display: Display) -> Finding:
    chart_file = f"{environment.root}/{CHART_FILE}" if environment.root else CHART_FILE
    if shutil.which("helm"):
        why = "rendering charts is not built yet in this version of pomgate"
    else:
        why = "helm is not on PATH"
    return Finding(
        "build/chart-not-rendered",
        Severity.INFO,
        f"the Helm chart {environment.name} is not rendered ({why}); its templates are not read as manifests",
        path=display(chart_file),
        line=1,
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
