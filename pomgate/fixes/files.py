"""`pomgate check --fix`: apply the safe fixes to the files under review, or show them as a diff.

The files are untrusted: a file is only written when it is a regular file (not a symbolic link)
inside the repository, its text is what the analysis read, each edit finds exactly the characters
it expects, and the result still parses with the same number of documents. Only the fixed values
change: the rest of the file keeps its bytes, its encoding and byte-order mark, and its mode.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from pomgate.findings import Finding
from pomgate.fixes.locate import compose_documents
from pomgate.fixes.suggest import Fix, TextEdit, suggest_fix
from pomgate.scanning.loader import byte_order_mark
from pomgate.scanning.source import SourceLines


@dataclass
class FilePlan:
    """The safe fixes of one file: its text before and after, and why a file is left alone."""

    path: str  # as the findings name it
    location: str | None  # the file on disk
    edits: list[TextEdit] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    before: str = ""
    after: str = ""
    refused: str | None = None


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str | None:
    """``text`` with every edit made; None when two overlap or one does not find what it expects."""
    ordered = sorted(set(edits), key=lambda edit: edit.start)
    pieces: list[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position or text[edit.start : edit.end] != edit.expected:
            return None
        pieces += [text[position : edit.start], edit.replacement]
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def safe_fixes(findings: Iterable[Finding], sources: SourceLines) -> dict[str, list[tuple[Finding, Fix]]]:
    """The findings with a safe fix, by file."""
    by_file: dict[str, list[tuple[Finding, Fix]]] = {}
    for finding in findings:
        if finding.path is None:
            continue
        fix = suggest_fix(finding, sources.text(finding.path))
        if fix is not None and fix.edit is not None:
            by_file.setdefault(finding.path, []).append((finding, fix))
    return by_file


def plan_fixes(findings: Iterable[Finding], sources: SourceLines, root: str) -> list[FilePlan]:
    """What `--fix` would change, file by file (nothing is written)."""
    plans = []
    for path, fixes in sorted(safe_fixes(findings, sources).items()):
        plan = FilePlan(path, sources.file_path(path))
        plans.append(plan)
        read = _read_inside(plan.location, root)
        if isinstance(read, str):
            plan.refused = read
            continue
        text, _encoding, _bom = read
        if text != sources.text(path):
            plan.refused = "the file changed since it was read"
            continue
        edits = [fix.edit for _finding, fix in fixes if fix.edit is not None]
        after = apply_edits(text, edits)
        if after is None:
            plan.refused = "its fixes overlap"
            continue
        documents_before, documents_after = compose_documents(text), compose_documents(after)
        if documents_after is None or len(documents_after) != len(documents_before or []):
            plan.refused = "the fixed file would not read back the same way"
            continue
        plan.before, plan.after, plan.edits = text, after, edits
        plan.fixed = [finding for finding, _fix in fixes]
    return plans


def write_plans(plans: Iterable[FilePlan], root: str) -> int:
    """Write each plan that has edits; return the number of files written (a refusal is noted on its plan)."""
    written = 0
    for plan in plans:
        if plan.refused or not plan.edits or plan.location is None:
            continue
        read = _read_inside(plan.location, root)
        if isinstance(read, str) or read[0] != plan.before:
            plan.refused = read if isinstance(read, str) else "the file changed since it was read"
            continue
        _text, encoding, bom = read
        try:
            _replace(plan.location, bom + plan.after.encode(encoding, "surrogateescape"))
        except (OSError, UnicodeEncodeError) as err:
            plan.refused = f"cannot write it ({getattr(err, 'strerror', None) or err})"
            continue
        written += 1
    return written


def _masked_lines(text: str, path: str, sources: SourceLines | None, original: str | None = None) -> list[str]:
    """The lines of ``text`` with Secret data and sensitive values masked as excerpts mask them.

    A fix never changes how many lines a file has, so line ``n`` is masked as line ``n`` of the file
    was (a context line of a diff may be a Secret's data), unless it differs from line ``n`` of
    ``original`` (the other side of the diff): the fixed lines (an annotation's value, a path) are
    shown as they are.
    """
    lines = text.splitlines(keepends=True)
    if sources is None:
        return lines
    before = original.splitlines(keepends=True) if original is not None else lines
    masked = []
    for number, line in enumerate(lines, 1):
        if number > len(before) or before[number - 1] != line:
            masked.append(line)
            continue
        shown = sources.excerpt(path, number)
        body = line.rstrip("\r\n")
        if shown is not None and shown != body and not shown.endswith("..."):
            line = shown + line[len(body) :]
        elif shown is not None and shown != body:
            line = "<redacted line>" + line[len(body) :]
        masked.append(line)
    return masked


def unified_diff(plans: Iterable[FilePlan], sources: SourceLines | None = None) -> str:
    """The planned changes as one unified diff (paths as the findings name them); with ``sources``,
    Secret data and sensitive values in the lines shown are masked."""
    chunks = []
    for plan in plans:
        if plan.refused or not plan.edits:
            continue
        lines = difflib.unified_diff(
            _masked_lines(plan.before, plan.path, sources, plan.after),
            _masked_lines(plan.after, plan.path, sources, plan.before),
            f"a/{plan.path}",
            f"b/{plan.path}",
        )
        chunks.append("".join(line if line.endswith("\n") else line + "\n" for line in lines))
    return "".join(chunks)


# ---------------------------------------------------------------- reading and writing, carefully


def _inside(location: str, root: str) -> bool:
    resolved = os.path.realpath(location)
    return os.path.commonpath([resolved, root]) == root


def _read_inside(location: str | None, root: str) -> tuple[str, str, bytes] | str:
    """(text, encoding, byte-order mark) of a regular file inside ``root``, else why it is not fixed."""
    if location is None:
        return "it was not read from a file"
    if os.path.islink(location):
        return "it is a symbolic link"
    if not _inside(location, root) or not _inside(os.path.dirname(os.path.abspath(location)) or ".", root):
        return "it is outside the repository"
    try:
        descriptor = os.open(location, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as err:
        return f"cannot read it ({err.strerror or err})"
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return "it is not a regular file"
        data = handle.read()
    bom, encoding = byte_order_mark(data)
    try:
        return data[len(bom) :].decode(encoding), encoding, bom
    except UnicodeDecodeError:
        return f"it is not valid {encoding}"


def _replace(location: str, data: bytes) -> None:
    """Write ``data`` to a new file next to ``location``, with its mode, then rename it over ``location``."""
    folder = os.path.dirname(os.path.abspath(location))
    mode = stat.S_IMODE(os.stat(location, follow_symlinks=False).st_mode)
    handle, temporary = tempfile.mkstemp(prefix=".pomgate-fix-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        if os.path.islink(location):  # swapped for a link meanwhile: leave it alone
            raise OSError(f"{location} became a symbolic link")
        os.replace(temporary, location)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
