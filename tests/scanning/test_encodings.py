"""Manifests in UTF-16 and UTF-32 with a byte-order mark are read; other undecodable files get one clear finding."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest

from pomgate.pipeline import analyze_paths
from pomgate.reports.check_output import write_check
from pomgate.translation.options import TranslateOptions
from tests.helpers import docs, ingress, service

P = "ingress.pomerium.io"
MANIFEST = docs(ingress(annotations={f"{P}/bogus": "x"}), service())


def check_folder(folder: Path) -> tuple[list[tuple[str, int | None, str]], str]:
    analysis = analyze_paths([str(folder)], TranslateOptions())
    out = io.StringIO()
    write_check(analysis, "text", out)
    return [(f.rule, f.line, f.message) for f in analysis.findings], out.getvalue()


@pytest.mark.parametrize(
    ("encoding", "mark"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-8", codecs.BOM_UTF8),
    ],
)
def test_a_manifest_with_a_byte_order_mark_reads_like_its_utf8_twin(tmp_path: Path, encoding: str, mark: bytes) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "app.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "wide").mkdir()
    (tmp_path / "wide" / "app.yaml").write_bytes(mark + MANIFEST.encode(encoding))
    expected, expected_text = check_folder(tmp_path / "plain")
    found, text = check_folder(tmp_path / "wide")
    assert "annotation/unknown" in {rule for rule, _line, _message in expected}
    assert [(rule, line, message) for rule, line, message in found] == expected
    assert text.replace("/wide/", "/plain/") == expected_text and "\x00" not in text
    assert f'    7 │     {P}/bogus: "x"' in text  # the excerpt is the right line, decoded


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-32-be"])
def test_a_wide_encoding_without_a_mark_is_one_clear_finding_without_a_garbled_excerpt(
    tmp_path: Path, encoding: str
) -> None:
    (tmp_path / "app.yaml").write_bytes(MANIFEST.encode(encoding))
    found, text = check_folder(tmp_path)
    assert [rule for rule, _line, _message in found] == ["input/not-text"]
    (_rule, _line, message) = found[0]
    assert encoding.upper()[:6] in message and "byte-order mark" in message and "UTF-8" in message
    assert "\x00" not in text and "│" not in text


def test_a_latin1_file_is_one_finding_and_its_bytes_are_not_quoted(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_bytes(MANIFEST.replace("bogus", "b\xf6gus").encode("latin-1"))
    found, text = check_folder(tmp_path)
    assert [rule for rule, _line, _message in found] == ["input/not-text"]
    assert "UTF-8" in found[0][2]
    assert "│" not in text and "\ufffd" not in text
