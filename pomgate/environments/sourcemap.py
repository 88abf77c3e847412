"""Pointing at the source of a built object's field: the base resource, or the patch that set it.

kustomize's origin annotation names the file each built object came from; the patches of the
build's kustomizations are read here (files and inline patches, strategic-merge and JSON 6902) and
matched to the object by target or kind and name. A field is located in the last patch that sets it,
else in the resource file; the annotations kustomize added are removed from the object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pomgate.environments.build import ORIGIN_PREFIX
from pomgate.environments.kustomization import Kustomization, PatchSource
from pomgate.environments.plan import Environment
from pomgate.environments.tree import Tree, inside
from pomgate.findings import FieldPath, ObjectRef
from pomgate.scanning.loader import load_documents
from pomgate.scanning.manifest import LineDict, ManifestObject

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations"
#: Annotations the build adds for us; they never reach routes or findings.
BUILD_ANNOTATIONS = (ORIGIN_ANNOTATION, TRANSFORMATIONS_ANNOTATION)


@dataclass
class _Document:
    """A parsed YAML document of a source file, with the line its text starts at in that file."""

    value: Any
    offset: int = 0  # added to the document's own lines (inline patches inside a kustomization)


@dataclass
class _Patch:
    path: str  # the file the patch is written in (the kustomization, for an inline patch)
    source: PatchSource
    documents: list[_Document] = field(default_factory=list)


@dataclass
class _Built:
    origin: str | None  # repository path of the resource file, when kustomize named one
    source: _Document | None  # the resource's document in that file
    original_name: str
    kustomization_line: tuple[str, int] | None  # for generated objects: where the generator is written


class SourceMap:
    """Where each field of one environment's built objects is written in the repository."""

    def __init__(self, tree: Tree, environment: Environment, kustomizations: dict[str, Kustomization]) -> None:
        self.tree = tree
        self.environment = environment
        self._files: dict[str, list[_Document]] = {}
        self._built: dict[ObjectRef, _Built] = {}
        self._patches: list[_Patch] = []
        for path in environment.kustomizations:  # the root's first: its patches were applied last
            kustomization = kustomizations.get(path)
            if kustomization is None:
                continue
            for patch in reversed(kustomization.patches):
                self._patches.append(self._read_patch(kustomization, patch))

    def _documents(self, path: str) -> list[_Document]:
        known = self._files.get(path)
        if known is None:
            try:
                documents, _problems = load_documents(self.tree.read(path), path)
            except OSError:
                documents = []
            known = self._files[path] = [_Document(document.value) for document in documents]
        return known

    def _read_patch(self, kustomization: Kustomization, patch: PatchSource) -> _Patch:
        if patch.path is not None:
            target = inside(kustomization.folder, patch.path)
            if target is None:
                return _Patch(kustomization.path, patch)
            return _Patch(target, patch, self._documents(target))
        documents, _problems = load_documents(patch.text or "", kustomization.path)
        # A block scalar's first line is the line after its key.
        return _Patch(kustomization.path, patch, [_Document(d.value, patch.text_line) for d in documents])

    def adopt(self, obj: ManifestObject) -> None:
        """Learn where ``obj`` (a built object) came from and take the build's annotations off it."""
        metadata = obj.raw.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        origin_text = None
        if isinstance(metadata, dict) and isinstance(annotations, dict):
            origin_text = annotations.get(ORIGIN_ANNOTATION)
            for key in BUILD_ANNOTATIONS:
                annotations.pop(key, None)
            if not annotations:
                metadata.pop("annotations", None)
        origin = _origin_fields(origin_text)
        path = origin.get("path")
        built = _Built(None, None, obj.name, None)
        if isinstance(path, str) and path.startswith(ORIGIN_PREFIX) and "repo" not in origin:
            built.origin = path[len(ORIGIN_PREFIX) :]
            built.source = self._matching_document(built.origin, obj)
            if built.source is not None:
                name = _name(built.source.value)
                built.original_name = name or obj.name
        configured_in = origin.get("configuredIn")
        if built.origin is None and isinstance(configured_in, str) and configured_in.startswith(ORIGIN_PREFIX):
            kustomization = configured_in[len(ORIGIN_PREFIX) :]
            built.kustomization_line = (kustomization, self._generator_line(kustomization, obj))
        self._built[obj.ref] = built

    def _matching_document(self, path: str, obj: ManifestObject) -> _Document | None:
        candidates = [d for d in self._documents(path) if isinstance(d.value, dict) and d.value.get("kind") == obj.kind]
        for document in candidates:
            name = _name(document.value)
            if name and name == obj.name:
                return document
        # Renamed by a prefix or suffix: the longest name inside the built one (web-admin before web).
        renamed = [(len(name), d) for d in candidates if (name := _name(d.value)) and name in obj.name]
        if renamed:
            return max(renamed, key=lambda pair: pair[0])[1]
        return candidates[0] if len(candidates) == 1 else None

    def _generator_line(self, kustomization: str, obj: ManifestObject) -> int:
        for document in self._documents(kustomization):
            if not isinstance(document.value, dict):
                continue
            for generator in ("configMapGenerator", "secretGenerator"):
                entries = document.value.get(generator)
                if not isinstance(entries, list):
                    continue
                for entry in entries:
                    name = entry.get("name") if isinstance(entry, dict) else None
                    if isinstance(name, str) and name in obj.name:
                        return getattr(entry, "line", 0) or 1
        return 1

    def origin_of(self, ref: ObjectRef) -> tuple[str, int] | None:
        """The file and line where the object ``ref`` is written (its resource, or its generator)."""
        built = self._built.get(ref)
        if built is None:
            return None
        if built.origin is not None:
            line = getattr(built.source.value, "line", 0) if built.source is not None else 0
            return built.origin, line or 1
        return built.kustomization_line

    def locate(self, ref: ObjectRef, field_path: FieldPath) -> tuple[str, int] | None:
        """The file and line that wrote ``field_path`` of the built object ``ref`` (None: not a built object)."""
        built = self._built.get(ref)
        if built is None:
            return None
        if field_path:
            for patch in self._patches:
                line = self._line_in_patch(patch, ref, built, field_path)
                if line is not None:
                    return patch.path, line
        if built.origin is not None and built.source is not None:
            line, _complete = _walk(built.source.value, field_path)
            return built.origin, line + built.source.offset
        return self.origin_of(ref)

    def _line_in_patch(self, patch: _Patch, ref: ObjectRef, built: _Built, field_path: FieldPath) -> int | None:
        target = patch.source.target
        if target and not _selected(target, ref, built.original_name):
            return None
        for document in patch.documents:
            value = document.value
            if isinstance(value, list):  # JSON 6902 operations
                if not target:
                    continue
                for operation in value:
                    line = _operation_line(operation, field_path)
                    if line is not None:
                        return line + document.offset
            elif isinstance(value, dict) and not patch.source.json6902:
                if not target and (
                    value.get("kind") != ref.kind or _name(value) not in (built.original_name, ref.name)
                ):
                    continue
                line, complete = _walk(value, field_path)
                if complete:
                    return line + document.offset
        return None


def _origin_fields(text: Any) -> dict[str, Any]:
    """The origin annotation's small YAML mapping (``path:``, ``configuredIn:``, ``repo:``)."""
    if not isinstance(text, str):
        return {}
    fields: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith((" ", "\t")) or ":" not in line:
            continue
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip().strip("'\"")
    return fields


def _name(document: Any) -> str | None:
    metadata = document.get("metadata") if isinstance(document, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


def _selected(target: dict[str, str], ref: ObjectRef, original_name: str) -> bool:
    kind = target.get("kind")
    if kind and kind != ref.kind:
        return False
    name = target.get("name")
    if name:
        try:
            pattern = re.compile(name)
        except re.error:
            return name in (original_name, ref.name)
        return any(pattern.fullmatch(candidate) for candidate in (original_name, ref.name))
    return True


def _walk(value: Any, field_path: FieldPath) -> tuple[int, bool]:
    """The line of the deepest part of ``field_path`` present in ``value``, and whether all of it is."""
    line = getattr(value, "line", 0) or 1
    node = value
    for part in field_path:
        if isinstance(node, dict) and part in node:
            if isinstance(node, LineDict):
                line = node.key_line(part, line) or line
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", 0) or line
        else:
            return line, False
    return line, True


def _pointer(text: str) -> FieldPath:
    parts: list[str | int] = []
    for raw in text.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def _operation_line(operation: Any, field_path: FieldPath) -> int | None:
    """The line of a JSON patch operation that sets ``field_path`` (or a part of it, or a field within it)."""
    if not isinstance(operation, dict) or operation.get("op") not in ("add", "replace", "copy", "move"):
        return None
    pointer = operation.get("path")
    if not isinstance(pointer, str):
        return None
    path = _pointer(pointer)
    shorter = min(len(path), len(field_path))
    if path[:shorter] != field_path[:shorter]:
        return None
    if len(field_path) > len(path) and "value" in operation:  # the field sits inside the value written
        line, _complete = _walk(operation["value"], field_path[len(path) :])
        if getattr(operation["value"], "line", 0):
            return line
    if isinstance(operation, LineDict):
        return operation.key_line("value", operation.line) or operation.line
    return None


#: `helm template` writes the template each document came from before it: `# Source: web/templates/x.yaml`.
_HELM_SOURCE = re.compile(r"^# Source: (?P<path>\S.*)$", re.MULTILINE)


class HelmSourceMap:
    """Where a rendered chart's objects are written: the template file, at the line of the key (best effort).

    A Go template's lines do not survive rendering, so a field is looked up by its key's text in the
    template; a value that comes from the chart's values is pointed at the template line that uses it.
    """

    def __init__(self, tree: Tree, environment: Environment, output: str) -> None:
        self.tree = tree
        self.environment = environment
        self._starts: list[tuple[int, str]] = []  # (line in the output, repository path of the template)
        for match in _HELM_SOURCE.finditer(output):
            line = output.count("\n", 0, match.start()) + 1
            template = match.group("path").split("/", 1)[-1]  # "<chart name>/templates/x.yaml"
            joined = inside(environment.root, template)
            if joined is not None:
                self._starts.append((line, joined))
        self._built: dict[ObjectRef, str] = {}
        self._texts: dict[str, list[str]] = {}

    def adopt(self, obj: ManifestObject) -> None:
        """Learn which template ``obj`` came from."""
        template = None
        for start, path in self._starts:
            if start > obj.origin.line:
                break
            template = path
        if template is not None:
            self._built[obj.ref] = template

    def _lines(self, path: str) -> list[str]:
        known = self._texts.get(path)
        if known is None:
            try:
                known = self.tree.read(path).decode("utf-8", "replace").splitlines()
            except OSError:
                known = []
            self._texts[path] = known
        return known

    def origin_of(self, ref: ObjectRef) -> tuple[str, int] | None:
        """The template of the object ``ref``, at its ``kind:`` line."""
        template = self._built.get(ref)
        if template is None:
            return None
        lines = self._lines(template)
        return template, next((n for n, text in enumerate(lines, 1) if text.startswith("kind:")), 1)

    def locate(self, ref: ObjectRef, field_path: FieldPath) -> tuple[str, int] | None:
        """The template line holding the deepest key of ``field_path`` that is written there literally."""
        template = self._built.get(ref)
        if template is None:
            return None
        lines = self._lines(template)
        for part in reversed(field_path):
            if not isinstance(part, str):
                continue
            pattern = re.compile(r"^\s*-?\s*[\"']?" + re.escape(part) + r"[\"']?\s*:")
            for number, text in enumerate(lines, 1):
                if pattern.match(text):
                    return template, number
        return self.origin_of(ref)
