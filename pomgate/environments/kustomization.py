"""What one kustomization file refers to: the files and folders its build reads, and its patches.

Pure: a parsed kustomization document in, references out. Every field of kustomize's Kustomization
(and Component) type that names a file or folder is read, so that the plan knows every input of a
build (what is not known is not copied into the build's sandbox, and the build then fails loudly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pomgate.scanning.manifest import LineDict

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

#: Fields whose entries are files or kustomization folders (``resources`` may be either).
_RESOURCE_FIELDS = ("resources", "bases")
_COMPONENT_FIELDS = ("components",)
#: Fields whose entries are files (or, for plugins, file-or-folder) read as they are.
_FILE_LIST_FIELDS = ("crds", "configurations")
_PLUGIN_FIELDS = ("generators", "transformers", "validators")


@dataclass(frozen=True)
class Reference:
    """One file or folder named in a kustomization: the field it is in, the text, its line."""

    field: str
    value: str
    line: int
    role: str  # "resource" (file or kustomization folder), "component" (folder) or "file"

    @property
    def remote(self) -> bool:
        """Whether it names something outside this repository (a URL or a remote git base)."""
        return is_remote(self.value)


@dataclass(frozen=True)
class PatchSource:
    """A patch of this kustomization: in a file (``path``) or inline (``text`` starting at ``line``)."""

    line: int  # where the entry is written in the kustomization
    path: str | None = None
    text: str | None = None
    text_line: int = 0  # first line of the inline text in the kustomization file
    target: dict[str, str] = field(default_factory=dict)
    json6902: bool = False  # declared as a JSON patch (patchesJson6902); others are detected by shape


@dataclass
class Kustomization:
    """The references of one kustomization file (``path``, a repository path)."""

    path: str
    is_component: bool = False
    references: list[Reference] = field(default_factory=list)
    patches: list[PatchSource] = field(default_factory=list)
    plugins: list[Reference] = field(default_factory=list)
    helm_charts_line: int | None = None
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message) of entries not understood

    @property
    def folder(self) -> str:
        """The folder the kustomization's references are relative to."""
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""


def is_remote(value: str) -> bool:
    """A URL, an ssh/git address, or a kustomize remote base such as ``github.com/org/repo//dir?ref=v1``."""
    return (
        "://" in value
        or value.startswith(("git@", "github.com/", "gitlab.com/", "bitbucket.org/"))
        or "?ref=" in value
        or "?version=" in value
    )


def read_kustomization(path: str, document: Any) -> Kustomization:
    """The references of the kustomization document ``document`` read from ``path``."""
    found = Kustomization(path)
    if not isinstance(document, dict):
        found.problems.append((1, "a kustomization must be a mapping"))
        return found
    found.is_component = document.get("kind") == "Component"
    for name in _RESOURCE_FIELDS:
        _add_strings(found, document, name, "resource")
    for name in _COMPONENT_FIELDS:
        _add_strings(found, document, name, "component")
    for name in _FILE_LIST_FIELDS:
        _add_strings(found, document, name, "file")
    for name in _PLUGIN_FIELDS:
        for entry, line in _entries(document, name, found):
            if isinstance(entry, str) and "\n" not in entry:
                found.plugins.append(Reference(name, entry, line, "resource"))
            elif not isinstance(entry, str | dict):
                found.problems.append((line, f"{name}: entries must be paths or inline configurations"))
    _read_generators(found, document)
    _read_patches(found, document)
    for name in ("replacements",):
        for entry, line in _entries(document, name, found):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                found.references.append(Reference(name, entry["path"], _line(entry, "path", line), "file"))
    openapi = document.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        found.references.append(Reference("openapi", openapi["path"], _line(openapi, "path", 1), "file"))
    if document.get("helmCharts") or document.get("helmChartInflationGenerator"):
        found.helm_charts_line = _line(document, "helmCharts", 1)
    return found


def _line(mapping: Any, key: str, default: int) -> int:
    if isinstance(mapping, LineDict):
        return mapping.key_line(key, default) or default
    return default


def _entries(document: dict[str, Any], name: str, found: Kustomization) -> list[tuple[Any, int]]:
    """The items of list field ``name`` with their lines (the field's line for each, at worst)."""
    value = document.get(name)
    if value is None:
        return []
    line = _line(document, name, 1)
    if not isinstance(value, list):
        found.problems.append((line, f"{name} must be a list"))
        return []
    return [(item, getattr(item, "line", 0) or line + index + 1) for index, item in enumerate(value)]


def _add_strings(found: Kustomization, document: dict[str, Any], name: str, role: str) -> None:
    for entry, line in _entries(document, name, found):
        if isinstance(entry, str) and entry:
            found.references.append(Reference(name, entry, line, role))
        else:
            found.problems.append((line, f"{name}: every entry must be a path"))


def _read_generators(found: Kustomization, document: dict[str, Any]) -> None:
    for name in ("configMapGenerator", "secretGenerator"):
        for entry, line in _entries(document, name, found):
            if not isinstance(entry, dict):
                continue
            files = entry.get("files") or []
            envs = entry.get("envs") or []
            if isinstance(entry.get("env"), str):
                envs = [*envs, entry["env"]] if isinstance(envs, list) else [entry["env"]]
            for group, strip_key in ((files, True), (envs, False)):
                if not isinstance(group, list):
                    continue
                for index, item in enumerate(group):
                    if isinstance(item, str) and item:
                        target = item.split("=", 1)[1] if strip_key and "=" in item else item
                        found.references.append(Reference(name, target, line + index + 1, "file"))


def _read_patches(found: Kustomization, document: dict[str, Any]) -> None:
    for name in ("patches", "patchesJson6902"):
        for entry, line in _entries(document, name, found):
            if not isinstance(entry, dict):
                found.problems.append((line, f"{name}: every entry must be a mapping with path or patch"))
                continue
            target = entry.get("target")
            selector = {str(k): str(v) for k, v in target.items()} if isinstance(target, dict) else {}
            json6902 = name == "patchesJson6902"
            if isinstance(entry.get("path"), str):
                path_line = _line(entry, "path", line)
                found.references.append(Reference(name, entry["path"], path_line, "file"))
                found.patches.append(PatchSource(path_line, path=entry["path"], target=selector, json6902=json6902))
            elif isinstance(entry.get("patch"), str):
                text_line = _line(entry, "patch", line)
                found.patches.append(
                    PatchSource(line, text=entry["patch"], text_line=text_line, target=selector, json6902=json6902)
                )
    for entry, line in _entries(document, "patchesStrategicMerge", found):
        if not isinstance(entry, str):
            found.problems.append((line, "patchesStrategicMerge: every entry must be a path or an inline patch"))
        elif "\n" in entry or entry.lstrip().startswith(("{", "apiVersion:", "kind:")):
            found.patches.append(PatchSource(line, text=entry, text_line=line))
        else:
            found.references.append(Reference("patchesStrategicMerge", entry, line, "file"))
            found.patches.append(PatchSource(line, path=entry))
