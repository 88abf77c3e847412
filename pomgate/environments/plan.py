"""Which builds a repository has, which files each one reads, and which files are left as plain manifests.

Pure apart from reading through a `Tree` (no subprocess): kustomization files and chart folders in,
a `Plan` out. A kustomization that no other one refers to (as a resource, base or component) is a
*root*: one environment. Every file a kustomization reads is an input of its build and is not read
as a plain manifest; so is everything under a folder with ``Chart.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from pomgate.environments.kustomization import KUSTOMIZATION_FILES, Kustomization, read_kustomization
from pomgate.environments.tree import Tree, inside
from pomgate.findings import Finding, Severity
from pomgate.scanning.loader import load_documents

#: The environment of the manifests that no build reads.
PLAIN = "plain"


@dataclass(frozen=True)
class Environment:
    """One thing that is deployed: a kustomize root, a Helm chart, or the plain manifests."""

    name: str
    kind: str  # "kustomize", "helm" or "plain"
    root: str  # the root kustomization's or chart's folder (repository path; "" is the top)
    inputs: tuple[str, ...] = ()  # every file the build reads, sorted (the cache key's parts)
    kustomizations: tuple[str, ...] = ()  # kustomization files of the build, the root's first
    buildable: bool = True  # False: something in it must not be fetched or read (see the plan's findings)
    #: Set by the application that deploys it (Argo CD, Flux); None/empty for a root found on its own.
    default_namespace: str | None = None  # for objects without one (the destination namespace)
    kustomize_options: tuple[tuple[str, str], ...] = ()  # namespace, namePrefix, nameSuffix set on the build
    release: str | None = None  # Helm release name
    values_files: tuple[str, ...] = ()  # Helm values files (repository paths)
    values: str = ""  # inline Helm values (YAML)
    defined_at: tuple[str, int] | None = None  # where the application is written (repository path, line)


@dataclass
class Plan:
    """The environments of a repository and what discovery found wrong on the way."""

    environments: list[Environment] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)  # files read by builds: not plain manifests
    chart_folders: list[str] = field(default_factory=list)  # everything under these belongs to a chart
    kustomizations: dict[str, Kustomization] = field(default_factory=dict)  # by kustomization file
    findings: list[Finding] = field(default_factory=list)

    def is_claimed(self, path: str) -> bool:
        """Whether ``path`` (a repository path) is read by a build rather than as a plain manifest.

        A kustomization file never is a plain manifest, even one no build reads.
        """
        if path in self.claimed or path.rpartition("/")[2] in KUSTOMIZATION_FILES:
            return True
        return any(not folder or path.startswith(folder + "/") for folder in self.chart_folders)


@dataclass(frozen=True)
class _Closure:
    inputs: frozenset[str]
    kustomizations: tuple[str, ...]
    buildable: bool


def kustomization_in(tree: Tree, folder: str) -> str | None:
    """The kustomization file of ``folder`` (repository path), if it has one."""
    for name in KUSTOMIZATION_FILES:
        candidate = f"{folder}/{name}" if folder else name
        if tree.kind(candidate) == "file":
            return candidate
    return None


def unique_names(environments: list[Environment]) -> list[Environment]:
    """The environments, renamed where two share a name (or one is called like the plain files' one).

    Flux layouts often have a Kustomization ``apps`` per cluster: each becomes ``apps (FILE)``, named
    by the file that defines it, or ``NAME (folder ROOT)`` for a root found on its own.
    """
    counts: dict[str, int] = {PLAIN: 1}
    for environment in environments:
        counts[environment.name] = counts.get(environment.name, 0) + 1
    renamed = []
    for environment in environments:
        if counts[environment.name] > 1:
            where = environment.defined_at[0] if environment.defined_at else f"folder {environment.root or '.'}"
            environment = replace(environment, name=f"{environment.name} ({where})")
        renamed.append(environment)
    return renamed


def environment_name(root: str) -> str:
    """How an environment is called: its folder (``.`` for the repository's top)."""
    return root or "."


class _Planner:
    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.plan = Plan()
        self.closures: dict[str, _Closure] = {}
        self.referenced: set[str] = set()  # kustomization folders some other kustomization uses
        self.reported: set[tuple[str, int, str]] = set()

    def problem(self, rule: str, severity: Severity, path: str, line: int, message: str) -> None:
        key = (path, line, rule)
        if key not in self.reported:
            self.reported.add(key)
            self.plan.findings.append(Finding(rule, severity, message, path=path, line=line))

    def load(self, path: str) -> Kustomization:
        known = self.plan.kustomizations.get(path)
        if known is not None:
            return known
        document = None
        try:
            documents, errors = load_documents(self.tree.read(path), path)
        except OSError as err:
            documents, errors = [], []
            self.problem("build/kustomize-failed", Severity.ERROR, path, 1, f"cannot read {path}: {err}")
        for error in errors:  # a kustomization that is not YAML: kustomize would refuse it too
            self.problem("build/kustomize-failed", Severity.ERROR, path, error.line or 1, error.message)
        if documents:
            document = documents[0].value
        kustomization = read_kustomization(path, document if document is not None else {})
        self.plan.kustomizations[path] = kustomization
        for line, message in kustomization.problems:
            self.problem("build/kustomize-failed", Severity.ERROR, path, line, message)
        if kustomization.helm_charts_line is not None:
            self.problem(
                "build/kustomize-failed",
                Severity.ERROR,
                path,
                kustomization.helm_charts_line,
                "helmCharts is not inflated: builds never run Helm from kustomize (--enable-helm), so this "
                "environment is not built; deploy the chart with an Argo CD or Flux application, or render it "
                "into the repository",
            )
        return kustomization

    def closure(self, folder: str, stack: tuple[str, ...]) -> _Closure:
        """Every file the build of the kustomization in ``folder`` reads (its own bases' too)."""
        known = self.closures.get(folder)
        if known is not None:
            return known
        path = kustomization_in(self.tree, folder)
        if path is None:
            return _Closure(frozenset(), (), True)
        kustomization = self.load(path)
        inputs: set[str] = {path}
        files: list[str] = [path]
        # A kustomization pomgate already reported (not a mapping, a field of the wrong shape, helmCharts)
        # is not handed to kustomize too: one finding, not two.
        buildable = not kustomization.problems and kustomization.helm_charts_line is None
        for reference in [*kustomization.references, *kustomization.plugins]:
            if reference.remote:
                self.problem(
                    "build/remote-reference",
                    Severity.INFO,
                    path,
                    reference.line,
                    f"the {reference.field} entry {reference.value!r} is outside this repository: it is not "
                    "fetched (builds run without network), so this environment is not built",
                )
                buildable = False
                continue
            target = inside(kustomization.folder, reference.value)
            if target is None:
                self.problem(
                    "build/outside-repository",
                    Severity.ERROR,
                    path,
                    reference.line,
                    f"the {reference.field} entry {reference.value!r} is outside the repository: builds read "
                    "nothing outside it, so this environment is not built",
                )
                buildable = False
                continue
            kind = self.tree.kind(target)
            if kind == "dir" and reference.role in ("resource", "component"):
                if target in stack:
                    self.problem(
                        "build/kustomize-failed",
                        Severity.ERROR,
                        path,
                        reference.line,
                        f"the {reference.field} entry {reference.value!r} includes this kustomization again (a cycle)",
                    )
                    buildable = False
                    continue
                self.referenced.add(target)
                inner = self.closure(target, (*stack, target))
                inputs |= inner.inputs
                files.extend(name for name in inner.kustomizations if name not in files)
                buildable = buildable and inner.buildable
            elif kind == "file":
                inputs.add(target)
            # Missing entries are left to the build: kustomize's own message says what is wrong.
        result = _Closure(frozenset(inputs), tuple(files), buildable)
        self.closures[folder] = result
        return result


def plan_builds(tree: Tree, kustomization_files: Iterable[str], chart_folders: Iterable[str] = ()) -> Plan:
    """The environments of the kustomizations (files) and charts (folders) found, and the files they claim."""
    planner = _Planner(tree)
    folders = sorted({path.rsplit("/", 1)[0] if "/" in path else "" for path in kustomization_files})
    for folder in folders:
        planner.closure(folder, (folder,))
    plan = planner.plan
    for folder in folders:
        closure = planner.closures.get(folder)
        if closure is None or not closure.kustomizations:
            continue
        plan.claimed |= closure.inputs
        root_file = closure.kustomizations[0]
        if folder in planner.referenced or plan.kustomizations[root_file].is_component:
            continue
        plan.environments.append(
            Environment(
                environment_name(folder),
                "kustomize",
                folder,
                tuple(sorted(closure.inputs)),
                closure.kustomizations,
                closure.buildable,
            )
        )
    for chart in sorted(set(chart_folders)):
        if any(not other or chart == other or chart.startswith(other + "/") for other in plan.chart_folders):
            continue  # a subchart (charts/ of another chart) is part of its parent
        plan.chart_folders.append(chart)
        plan.environments.append(Environment(environment_name(chart), "helm", chart, tuple(tree.files(chart))))
    return plan
