"""Argo CD and Flux applications that deploy a path of this repository: each one is an environment.

Pure: the objects of the plain manifests in, the applications out. An Argo CD ``Application`` (one
source or several), an ``ApplicationSet`` with a git directory generator, a Flux ``Kustomization``
and a Flux ``HelmRelease`` whose chart comes from a git source are read; one that deploys something
this repository does not hold (another repository, a chart repository) is an ``info`` finding.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pomgate.environments.tree import inside
from pomgate.findings import Finding, Severity
from pomgate.scanning.manifest import ManifestObject

ARGO_GROUP = "argoproj.io/"
FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io/"
FLUX_HELM_GROUP = "helm.toolkit.fluxcd.io/"
FLUX_SOURCE_GROUP = "source.toolkit.fluxcd.io/"
#: API groups of objects that may deploy something from a repository.
APPLICATION_GROUPS = (ARGO_GROUP, FLUX_KUSTOMIZE_GROUP, FLUX_HELM_GROUP)


@dataclass(frozen=True)
class Application:
    """What one application deploys from this repository, and how."""

    name: str
    path: str  # repository path of the folder it deploys ("" is the top)
    source: ManifestObject  # the application object (its file and line)
    namespace: str | None = None  # destination: for objects without a namespace
    kustomize_options: tuple[tuple[str, str], ...] = ()
    release: str | None = None
    values_files: tuple[str, ...] = ()  # as written: relative to the chart (Argo CD) or the source's top (Flux)
    values: str = ""
    recurse: bool = True  # a plain folder: its subfolders too
    confirmed: bool = False  # the source's URL matched one of the repository's remotes (not just assumed)
    values_from_top: bool = False  # values files are relative to the repository's top (Flux), not the chart


def normalize_url(url: str) -> str:
    """A git URL reduced to host and path, so https, ssh and scp-like forms of one repository compare equal."""
    text = url.strip().lower()
    text = re.sub(r"^[a-z+]+://", "", text)
    text = re.sub(r"^[^@/]+@", "", text)
    text = text.replace(":", "/", 1) if re.match(r"^[^/]+:[^/]", text) and "://" not in url else text
    return text.removesuffix("/").removesuffix(".git")


def _path(value: Any) -> str | None:
    """A path from an application (``./overlays/prod/``) as a repository path, or None when it leaves it."""
    if not isinstance(value, str):
        return None
    return inside("", value.strip().lstrip("/") or ".")


def _mapping(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class _Reader:
    def __init__(self, remotes: Sequence[str], objects: Sequence[ManifestObject], folders: Iterable[str]) -> None:
        self.remotes = {normalize_url(url) for url in remotes}
        self.git_sources = {
            (obj.namespace, obj.name): _text(_mapping(obj.raw, "spec", "url"))
            for obj in objects
            if obj.api_version.startswith(FLUX_SOURCE_GROUP) and obj.kind == "GitRepository"
        }
        self.folders = sorted(set(folders))
        self.applications: list[Application] = []
        self.findings: list[Finding] = []

    def elsewhere(self, obj: ManifestObject, what: str) -> None:
        self.findings.append(
            Finding(
                "build/application-elsewhere",
                Severity.INFO,
                f"{obj.kind} {obj.name} deploys {what}, which is not in this repository: it is not checked here",
                obj=obj.ref,
                path=obj.origin.path,
                line=obj.origin.line,
            )
        )

    def ours(self, url: str | None) -> bool:
        """Whether a repository URL is this repository (any URL when it has no remote to compare with)."""
        return url is not None and (not self.remotes or normalize_url(url) in self.remotes)

    def confirmed(self, url: str | None) -> bool:
        """Whether ``url`` matched one of the repository's remotes (rather than being assumed to be it)."""
        return url is not None and normalize_url(url) in self.remotes

    def argo_source(self, obj: ManifestObject, name: str, source: Any, destination: Any) -> None:
        if not isinstance(source, dict):
            return
        url = _text(source.get("repoURL"))
        if source.get("chart"):
            self.elsewhere(obj, f"the chart {source.get('chart')} from {url or 'an unnamed repository'}")
            return
        if not self.ours(url):
            self.elsewhere(obj, f"{url or 'an unnamed source'}")
            return
        path = _path(source.get("path"))
        if path is None:
            shown = "no path" if source.get("path") is None else f"the path {source.get('path')!r}"
            self.elsewhere(obj, shown)
            return
        namespace = _text(_mapping(destination, "namespace"))
        kustomize: dict[str, Any] = source["kustomize"] if isinstance(source.get("kustomize"), dict) else {}
        options = tuple(
            (key, kustomize[key]) for key in ("namespace", "namePrefix", "nameSuffix") if _text(kustomize.get(key))
        )
        helm: dict[str, Any] = source["helm"] if isinstance(source.get("helm"), dict) else {}
        values: str = helm["values"] if isinstance(helm.get("values"), str) else ""
        if not values and isinstance(helm.get("valuesObject"), dict):
            values = json.dumps(helm["valuesObject"])
        files = helm.get("valueFiles")
        directory: dict[str, Any] = source["directory"] if isinstance(source.get("directory"), dict) else {}
        self.applications.append(
            Application(
                name,
                path,
                obj,
                namespace,
                options,
                _text(helm.get("releaseName")) or name,
                tuple(f for f in files if isinstance(f, str)) if isinstance(files, list) else (),
                values,
                recurse=directory.get("recurse") is True,
                confirmed=self.confirmed(url),
            )
        )

    def argo_application(self, obj: ManifestObject) -> None:
        spec = obj.raw.get("spec")
        if not isinstance(spec, dict):
            return
        listed = spec.get("sources")
        sources: list[Any] = listed if isinstance(listed, list) else [spec.get("source")]
        with_path = [s for s in sources if isinstance(s, dict) and s.get("path") is not None]
        for index, source in enumerate(with_path or sources[:1]):
            name = obj.name if len(with_path) <= 1 else f"{obj.name}[{index}]"
            self.argo_source(obj, name, source, spec.get("destination"))

    def argo_application_set(self, obj: ManifestObject) -> None:
        spec = obj.raw.get("spec")
        template = _mapping(spec, "template", "spec")
        generators = _mapping(spec, "generators")
        if not isinstance(template, dict) or not isinstance(generators, list):
            return
        for generator in generators:
            git = _mapping(generator, "git")
            if not isinstance(git, dict) or not isinstance(git.get("directories"), list):
                continue
            if not self.ours(_text(git.get("repoURL"))):
                self.elsewhere(obj, f"{git.get('repoURL')}")
                continue
            for folder in self._matching_folders(git["directories"]):
                base = posixpath.basename(folder)
                values = {"path": folder, "path.basename": base, "path.basenameNormalized": _normalized(base)}
                source = _substitute(template.get("source"), values)
                destination = _substitute(template.get("destination"), values)
                name = _substitute(_mapping(spec, "template", "metadata", "name"), values)
                self.argo_source(obj, name if isinstance(name, str) else f"{obj.name}-{base}", source, destination)

    def _matching_folders(self, directories: list[Any]) -> list[str]:
        included = [d["path"] for d in directories if isinstance(d, dict) and isinstance(d.get("path"), str)]
        excluded = [d["path"] for d in directories if isinstance(d, dict) and d.get("exclude") is True]
        wanted = [p for p in included if p not in excluded]
        return [
            folder
            for folder in self.folders
            if any(path_match(folder, pattern) for pattern in wanted)
            and not any(path_match(folder, pattern) for pattern in excluded)
        ]

    def flux_confirmed(self, obj: ManifestObject, reference: Any) -> bool:
        """Whether a Flux git source's URL matched one of the repository's remotes."""
        namespace = _text(_mapping(reference, "namespace")) or obj.namespace
        return self.confirmed(self.git_sources.get((namespace, str(_mapping(reference, "name")))))

    def flux_source_url(self, obj: ManifestObject, reference: Any) -> str | None:
        """The URL of a Flux git source (None when it is not a git source of this repository)."""
        if not isinstance(reference, dict) or reference.get("kind") != "GitRepository":
            return None
        namespace = _text(reference.get("namespace")) or obj.namespace
        key = (namespace, str(reference.get("name")))
        if key not in self.git_sources:
            return "this repository"  # e.g. flux-system, made by `flux bootstrap` for this repository
        url = self.git_sources[key]
        return url if self.ours(url) else None

    def flux_kustomization(self, obj: ManifestObject) -> None:
        spec = obj.raw.get("spec")
        if not isinstance(spec, dict):
            return
        if self.flux_source_url(obj, spec.get("sourceRef")) is None:
            self.elsewhere(obj, f"the source {_mapping(spec, 'sourceRef', 'name')}")
            return
        path = _path(spec.get("path") or "./")
        if path is None:
            self.elsewhere(obj, f"path {spec.get('path')!r}")
            return
        namespace = _text(spec.get("targetNamespace"))
        options = tuple(
            (key, value)
            for key, value in (
                ("namespace", namespace),
                ("namePrefix", _text(spec.get("namePrefix"))),
                ("nameSuffix", _text(spec.get("nameSuffix"))),
            )
            if value
        )
        confirmed = self.flux_confirmed(obj, spec.get("sourceRef"))
        self.applications.append(
            Application(obj.name, path, obj, namespace or obj.namespace, options, confirmed=confirmed)
        )

    def flux_helm_release(self, obj: ManifestObject) -> None:
        spec = obj.raw.get("spec")
        chart = _mapping(spec, "chart", "spec")
        if not isinstance(spec, dict) or not isinstance(chart, dict):
            return
        if self.flux_source_url(obj, chart.get("sourceRef")) is None:
            self.elsewhere(obj, f"the chart {chart.get('chart')!r} from {_mapping(chart, 'sourceRef', 'name')}")
            return
        path = _path(chart.get("chart"))
        if path is None:
            self.elsewhere(obj, f"the chart {chart.get('chart')!r}")
            return
        values = spec.get("values")
        files = chart.get("valuesFiles")
        self.applications.append(
            Application(
                obj.name,
                path,
                obj,
                _text(spec.get("targetNamespace")) or obj.namespace,
                (),
                _text(spec.get("releaseName")) or obj.name,
                tuple(f for f in files if isinstance(f, str)) if isinstance(files, list) else (),
                json.dumps(values) if isinstance(values, dict) else "",
                confirmed=self.flux_confirmed(obj, chart.get("sourceRef")),
                values_from_top=True,
            )
        )


def path_match(path: str, pattern: str) -> bool:
    """Go's ``path.Match``, as Argo CD matches directories: ``*`` and ``?`` never cross a ``/``."""
    parts, wanted = path.split("/"), pattern.strip("/").split("/")
    return len(parts) == len(wanted) and all(fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=True))


def _normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9-.]", "-", text.lower())


def _substitute(value: Any, values: dict[str, str]) -> Any:
    """An ApplicationSet template with ``{{path}}``-style parameters filled in."""
    if isinstance(value, str):
        return re.sub(r"\{\{\s*\.?([\w.]+)\s*\}\}", lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {key: _substitute(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    return value


#: Readers by (API group prefix, kind).
_READERS: dict[tuple[str, str], Callable[[_Reader, ManifestObject], None]] = {
    (ARGO_GROUP, "Application"): _Reader.argo_application,
    (ARGO_GROUP, "ApplicationSet"): _Reader.argo_application_set,
    (FLUX_KUSTOMIZE_GROUP, "Kustomization"): _Reader.flux_kustomization,
    (FLUX_HELM_GROUP, "HelmRelease"): _Reader.flux_helm_release,
}


def find_applications(
    objects: Sequence[ManifestObject], remotes: Sequence[str], folders: Iterable[str] = ()
) -> tuple[list[Application], list[Finding]]:
    """The applications among ``objects`` that deploy a path of this repository, and notes on the others.

    ``remotes`` are this repository's git remote URLs (an application's repoURL must be one of them;
    with none, every git URL counts as this repository); ``folders`` are its folders, for
    ApplicationSet directory generators.
    """
    reader = _Reader(remotes, objects, folders)
    for obj in objects:
        for (group, kind), read in _READERS.items():
            if obj.kind == kind and obj.api_version.startswith(group):
                read(reader, obj)
    return reader.applications, reader.findings
