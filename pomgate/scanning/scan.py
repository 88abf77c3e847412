"""Scan inputs for Kubernetes objects: files and directories in, raw objects with origins out.

A document is a Kubernetes object when it is a mapping with a string ``apiVersion`` and ``kind`` and
a ``metadata`` mapping with a string ``name``. ``List`` documents (``kind: List``, ``IngressList``,
...) give one object per item. Other documents (kustomization.yaml, Helm values, renovate.json,
empty documents) are skipped without a word; only a stray scalar or list document, or a mapping with
just one of ``apiVersion``/``kind``, in a file that also holds objects gets a ``not-an-object`` warning.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pomgate.collector import collector_paused
from pomgate.findings import Finding, ObjectRef, Severity
from pomgate.parallel import split_map
from pomgate.scanning.cache import ScanCache, content_hash
from pomgate.scanning.discover import InputFile, discover
from pomgate.scanning.loader import LoadedDocument, load_documents
from pomgate.scanning.manifest import LineDict, ManifestObject, Origin

#: Kinds that live outside namespaces: their objects get namespace "".
CLUSTER_SCOPED_KINDS = frozenset(
    {
        # core/v1 and built-in API groups
        "Namespace",
        "Node",
        "PersistentVolume",
        "ComponentStatus",
        "IngressClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "APIService",
        "StorageClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "VolumeAttributesClass",
        "PriorityClass",
        "RuntimeClass",
        "PodSecurityPolicy",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "CertificateSigningRequest",
        "ClusterTrustBundle",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "IPAddress",
        "ServiceCIDR",
        "DeviceClass",
        "ResourceSlice",
        "StorageVersion",
        # common CRDs next to an ingress controller
        "Pomerium",  # ingress.pomerium.io/v1: the controller's global settings
        "GatewayClass",
        "ClusterIssuer",
        "ClusterSecretStore",
        "ClusterPolicy",
    }
)
#: API groups of tool configuration files (kustomization.yaml, kubeadm, kubelet, kind clusters):
#: they carry apiVersion and kind but are not cluster objects.
_TOOL_CONFIG_GROUP_SUFFIXES = (".config.k8s.io", "kubeadm.k8s.io", "kind.x-k8s.io")


#: What `discover` gives: the files to read and the problems met finding them.
Discovered = tuple[list[InputFile], list[Finding]]


@dataclass
class ScanResult:
    """Everything a scan read: the objects, the problems, and the files (display paths) read."""

    objects: list[ManifestObject] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    #: The bytes of inputs that are not files (stdin), by display path (reporters quote source lines).
    sources: dict[str, bytes | str] = field(default_factory=dict)
    #: Where each file read lives, by display path: its lines are read again only when a finding
    #: quotes them, so the whole repository's text is not held in memory.
    source_paths: dict[str, str] = field(default_factory=dict)


def scan(
    paths: Sequence[str],
    *,
    default_namespace: str = "default",
    stdin_text: str | bytes | None = None,
    cache: ScanCache | None = None,
    discovered: Discovered | None = None,
) -> ScanResult:
    """Read every manifest behind ``paths`` (files, directories, ``-`` for stdin) into objects.

    With a ``cache``, files whose bytes are unchanged since an earlier run are not parsed again.
    ``discovered`` is `discover(paths)` when the caller already has it (the folders are not walked again).
    """
    inputs, findings = discovered if discovered is not None else discover(paths)
    findings = list(findings)
    result = ScanResult(findings=findings)
    with collector_paused():
        if cache is None:
            # Each process reads and parses its half, one file at a time (`pomgate.parallel`), so the
            # bytes of only one file are held at once.
            pieces = split_map(
                lambda part: [_parse(_read_input(item, stdin_text), default_namespace) for item in part],
                inputs,
                minimum=PARALLEL_MINIMUM_FILES,
                child_share=CHILD_PARSE_SHARE,
            )
        else:
            pieces = [_read_input(item, stdin_text) for item in inputs]
            to_parse: list[_Piece] = []
            for piece in pieces:
                if piece.content is None:
                    continue
                if piece.fs_path is not None:
                    piece.digest = content_hash(piece.content)
                    cached = cache.get(piece.path, piece.digest, default_namespace)
                    if cached is not None:
                        piece.objects, piece.findings = cached
                        continue
                to_parse.append(piece)
            parsed = split_map(
                lambda part: [_parse(piece, default_namespace) for piece in part],
                to_parse,
                minimum=PARALLEL_MINIMUM_FILES,
                child_share=CHILD_PARSE_SHARE,
            )
            for piece, done in zip(to_parse, parsed, strict=True):
                piece.objects, piece.findings = done.objects, done.findings
                if piece.digest is not None:
                    cache.put(piece.path, piece.digest, default_namespace, piece.objects, piece.findings)
        for piece in pieces:
            if not piece.readable:
                result.findings.extend(piece.findings)
                continue
            result.files.append(piece.path)
            if piece.fs_path is None:
                result.sources[piece.path] = piece.content or b""
            else:
                result.source_paths[piece.path] = piece.fs_path
            result.objects.extend(piece.objects)
            result.findings.extend(piece.findings)
    return result


def _parse(piece: _Piece, default_namespace: str) -> _Piece:
    """Parse ``piece`` in place; a file's bytes are let go of once parsed (stdin's are kept)."""
    if piece.content is not None:
        piece.objects, piece.findings = scan_text(piece.content, piece.path, default_namespace)
        if piece.fs_path is not None:
            piece.content = None
    return piece


def scan_selected(
    paths: Sequence[str],
    *,
    default_namespace: str,
    cache: ScanCache,
    indexer: Callable[[list[ManifestObject]], Any],
    choose: Callable[[list[tuple[str, Any]]], set[str]],
    discovered: Discovered | None = None,
) -> ScanResult:
    """Read every file, but load the objects of only the files ``choose`` picks from their indexes.

    ``indexer`` summarises a file's objects; the cache keeps that index beside the pickled objects,
    so an unchanged file costs a read and a hash, not an unpickle. The result holds the objects and
    findings of the chosen files (in input order) and the names of all files.
    """
    inputs, findings = discovered if discovered is not None else discover(paths)
    findings = list(findings)
    result = ScanResult(findings=findings)
    indexed: list[tuple[str, Any]] = []
    digests: dict[str, bytes] = {}
    files: dict[str, str] = {}
    loaded: dict[str, tuple[list[ManifestObject], list[Finding]]] = {}
    with collector_paused():
        for item in inputs:
            if item.fs_path is None:
                continue  # stdin is not offered to the hook
            path = item.display_path
            fs_path = str(item.fs_path)
            try:
                info = os.stat(fs_path)
                stat = (info.st_size, info.st_mtime_ns, info.st_ino)
                known = cache.unchanged(path, stat, default_namespace)
                if known is not None:  # unchanged size, mtime and inode: neither read nor hashed
                    result.files.append(path)
                    digests[path], files[path] = known[0], fs_path
                    indexed.append((path, known[1]))
                    continue
                # An unchanged size, mtime and inode: the recorded digest stands, the file is not read.
                digest = cache.digest_by_stat(path, stat, default_namespace)
                content = None
                if digest is None:
                    content = _read_file(fs_path)
                    digest = content_hash(content)
            except OSError as error:
                result.findings.append(
                    Finding(
                        "input/unreadable",
                        Severity.ERROR,
                        f"{path}: cannot read file ({error.strerror or error})",
                        path=path,
                    )
                )
                continue
            result.files.append(path)
            digests[path], files[path] = digest, fs_path
            index = cache.index_of(path, digest, default_namespace)
            if index is None:
                cached = cache.get(path, digest, default_namespace)
                if cached is None:
                    if content is None:  # the recorded digest was for a damaged entry: read after all
                        content = _read_file(fs_path)
                    cached = scan_text(content, path, default_namespace)
                    cache.put(path, digest, default_namespace, *cached, index=indexer(cached[0]))
                else:
                    cache.set_index(path, indexer(cached[0]))
                loaded[path] = cached
                index = indexer(cached[0])
            cache.set_stat(path, stat)
            indexed.append((path, index))
        wanted = choose(indexed)
        for path, _index in indexed:
            if path not in wanted:
                continue
            found = loaded.get(path) or cache.get(path, digests[path], default_namespace)
            if found is None:  # a damaged entry: parse again
                found = scan_text(_read_file(files[path]), path, default_namespace)
            result.objects.extend(found[0])
            result.findings.extend(found[1])
            result.source_paths[path] = files[path]
    return result


#: The second process parses this share of the files: it also pickles what it read back to us, so
#: an even split leaves this one waiting (measured on the 10k bench corpus: 0.44 beats 0.5 by ~0.15 s).
CHILD_PARSE_SHARE = 0.44

#: Files larger than this are not read (the API server takes at most 3 MiB per request).
MAX_FILE_BYTES = 32 * 1024 * 1024


def too_large(display_path: str, size: int) -> Finding:
    """The ``input/file-too-large`` finding of a file of ``size`` bytes."""
    return Finding(
        "input/file-too-large",
        Severity.ERROR,
        f"{display_path}: {size / 1048576:.1f} MiB is far over any manifest Kubernetes accepts (3 MiB per "
        f"request); the file is not read (limit {MAX_FILE_BYTES // 1048576} MiB)",
        path=display_path,
    )


#: Below this many files to parse, a second process costs more than it saves.
PARALLEL_MINIMUM_FILES = 200


@dataclass
class _Piece:
    """One input on its way through `scan`: its bytes, then its objects and findings."""

    path: str
    content: str | bytes | None
    fs_path: str | None
    readable: bool = True
    digest: bytes | None = None
    objects: list[ManifestObject] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _read_input(item: InputFile, stdin_text: str | bytes | None) -> _Piece:
    """The bytes of one input, or an ``input/unreadable`` or ``input/file-too-large`` finding."""
    if item.fs_path is None:
        content: str | bytes = stdin_text if stdin_text is not None else _read_stdin()
        return _Piece(item.display_path, content, None)
    try:
        with open(item.fs_path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                return _Piece(
                    item.display_path, None, None, readable=False, findings=[too_large(item.display_path, size)]
                )
            return _Piece(item.display_path, handle.read(MAX_FILE_BYTES + 1), str(item.fs_path))
    except OSError as error:
        unreadable = Finding(
            "input/unreadable",
            Severity.ERROR,
            f"{item.display_path}: cannot read file ({error.strerror or error})",
            path=item.display_path,
        )
        return _Piece(item.display_path, None, None, readable=False, findings=[unreadable])


def _read_file(fs_path: str) -> bytes:
    """A file's bytes, at most one more than `MAX_FILE_BYTES` (scan_text refuses larger)."""
    with open(fs_path, "rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def _read_stdin() -> bytes:
    stream = sys.stdin
    return b"" if stream is None else stream.buffer.read(MAX_FILE_BYTES + 1)  # more is refused unread


def scan_text(
    text: str | bytes, display_path: str, default_namespace: str = "default"
) -> tuple[list[ManifestObject], list[Finding]]:
    """Read one file's content (or stdin, or a git blob) into objects and findings; never raises."""
    if len(text) > MAX_FILE_BYTES:
        return [], [too_large(display_path, len(text))]
    with collector_paused():
        documents, findings = load_documents(text, display_path)
        reader = _ObjectReader(display_path, default_namespace)
        for document in documents:
            reader.read_document(document)
    findings.extend(reader.findings())
    findings.sort(key=lambda finding: finding.line or 0)
    return reader.objects, findings


class _ObjectReader:
    """Turns one file's documents into ManifestObjects and object-level findings."""

    def __init__(self, display_path: str, default_namespace: str) -> None:
        self.path = display_path
        self.default_namespace = default_namespace
        self.objects: list[ManifestObject] = []
        self._findings: list[Finding] = []
        # Warnings about stray documents: reported only when the file also holds objects.
        self._stray: list[Finding] = []
        self._holds_objects = False
        self._document_is_object = False

    def findings(self) -> list[Finding]:
        """The findings of the file, stray-document warnings included when they matter."""
        return [*self._findings, *(self._stray if self._holds_objects else [])]

    def read_document(self, document: LoadedDocument) -> None:
        value = document.value
        first_object = len(self.objects)
        self._document_is_object = False
        if isinstance(value, LineDict):
            self._read_mapping(value, document, None)
        elif value is not None:
            shape = "a list" if isinstance(value, list) else f"a scalar ({type(value).__name__})"
            self._stray.append(
                self._stray_warning(f"document {document.index + 1} is {shape}, not a Kubernetes object", document.line)
            )
        if self._document_is_object:  # notes about other documents (Helm values, ...) are noise
            self._attach(document.findings, self.objects[first_object:])

    def _read_mapping(self, value: LineDict, document: LoadedDocument, item: int | None) -> None:
        api_version, kind = value.get("apiVersion"), value.get("kind")
        if not (isinstance(api_version, str) and isinstance(kind, str)):
            if item is not None or isinstance(api_version, str) or isinstance(kind, str):
                missing = "kind" if isinstance(api_version, str) else "apiVersion"
                where = (
                    f"item {item} of document {document.index + 1}"
                    if item is not None
                    else (f"document {document.index + 1}")
                )
                self._stray.append(
                    self._stray_warning(f"{where} is not a Kubernetes object: it has no string {missing}", value.line)
                )
            return
        if _is_tool_config(api_version, kind):
            return
        self._holds_objects = self._document_is_object = True
        if item is None and kind.endswith("List") and "items" in value:
            items = value["items"]
            if items is None or isinstance(items, list):  # "items:" left empty is an empty list
                self._read_list(items or [], value, document)
                return
        self._read_object(value, api_version, kind, document, item)

    def _read_list(self, items: list[Any], value: LineDict, document: LoadedDocument) -> None:
        items_line = value.key_line("items", value.line) or value.line
        for position, entry in enumerate(items):
            if isinstance(entry, LineDict):
                self._read_mapping(entry, document, position)
            else:
                self._stray.append(
                    self._stray_warning(
                        f"item {position} of {value.get('kind')} in document {document.index + 1} is not a "
                        "Kubernetes object",
                        items_line,
                    )
                )

    def _read_object(
        self, value: LineDict, api_version: str, kind: str, document: LoadedDocument, item: int | None
    ) -> None:
        metadata = value.get("metadata")
        if not isinstance(metadata, dict):
            metadata = None
        name = metadata.get("name") if metadata is not None else None
        if metadata is None or not isinstance(name, str) or not name:
            self._findings.append(
                Finding(
                    "input/object-missing-name",
                    Severity.ERROR,
                    _missing_name_message(kind, metadata, name),
                    path=self.path,
                    line=_name_line(value),
                )
            )
            return
        namespace, defaulted = "", False
        if kind not in CLUSTER_SCOPED_KINDS:
            given = metadata.get("namespace")
            if given is None or given == "":
                namespace, defaulted = self.default_namespace, True
            elif isinstance(given, str):
                namespace = given
            else:
                line = metadata.key_line("namespace", value.line) if isinstance(metadata, LineDict) else value.line
                self._findings.append(
                    Finding(
                        "input/object-invalid-namespace",
                        Severity.ERROR,
                        f"{kind} {name}: metadata.namespace must be a string, not {type(given).__name__} "
                        f"({given!r}); kubectl refuses the object",
                        obj=ObjectRef(kind, "", name),
                        path=self.path,
                        line=line,
                    )
                )
                return
        origin = Origin(self.path, document.index, value.line, item)
        self.objects.append(
            ManifestObject(api_version, kind, name, namespace, value, origin, namespace_defaulted=defaulted)
        )

    def _attach(self, findings: Sequence[Finding], objects: list[ManifestObject]) -> None:
        """Keep a document's own findings, naming the object each one falls in (by line)."""
        for finding in findings:
            owner = None
            for candidate in objects:
                if candidate.origin.line <= (finding.line or 0):
                    owner = candidate
            if owner is not None and finding.obj is None:
                finding = dataclasses.replace(finding, obj=owner.ref)
            self._findings.append(finding)

    def _stray_warning(self, message: str, line: int) -> Finding:
        return Finding("input/not-an-object", Severity.WARNING, message, path=self.path, line=line)


def _is_tool_config(api_version: str, kind: str) -> bool:
    group = api_version.rpartition("/")[0]
    return (
        group.endswith(_TOOL_CONFIG_GROUP_SUFFIXES)
        or api_version.startswith("skaffold/")
        or (api_version == "v1" and kind == "Config")  # kubeconfig
    )


def _missing_name_message(kind: str, metadata: dict[str, Any] | None, name: Any) -> str:
    if metadata is None:
        return f"{kind} has no metadata mapping, so no metadata.name; kubectl refuses it"
    if name is None or name == "":
        if isinstance(metadata.get("generateName"), str):
            return f"{kind} has metadata.generateName but no metadata.name; pomgate needs a fixed name"
        return f"{kind} has no metadata.name; kubectl refuses it"
    return f"{kind} metadata.name must be a string, not {type(name).__name__} ({name!r})"


def _name_line(value: LineDict) -> int:
    metadata = value.get("metadata")
    if isinstance(metadata, LineDict):
        return metadata.key_line("name") or value.key_line("metadata") or value.line
    return value.key_line("metadata") or value.line
