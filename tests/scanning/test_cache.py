"""The scan cache's pack: payloads read on demand, the open file kept across a rewrite, damage is a miss."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pomgate.scanning.cache import PACK_NAME, ScanCache, content_hash
from pomgate.scanning.scan import scan_text

TEXT = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"


def filled(folder: Path) -> ScanCache:
    """A saved pack of a.yaml and b.yaml (the files exist in the current directory: gone files are dropped)."""
    cache = ScanCache.open(folder)
    for name in ("a.yaml", "b.yaml"):
        Path(name).write_bytes(TEXT)
        cache.put(name, content_hash(TEXT + name.encode()), "default", *scan_text(TEXT, name), index={"name": name})
    cache.save(background=False)
    return cache


def test_payloads_are_read_on_demand_and_survive_a_rewrite_of_the_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    filled(tmp_path)
    reader = ScanCache.open(tmp_path)
    assert all(entry.payload is None for entry in reader.entries.values())  # only the index was loaded
    assert reader.index_of("a.yaml", content_hash(TEXT + b"a.yaml"), "default") == {"name": "a.yaml"}
    writer = ScanCache.open(tmp_path)
    del writer.entries["a.yaml"]
    writer.dirty = True
    writer.save(background=False)  # replaces the pack by name while `reader` holds the old one open
    found = reader.get("a.yaml", content_hash(TEXT + b"a.yaml"), "default")
    assert found is not None and found[0][0].name == "a"
    assert ScanCache.open(tmp_path).get("a.yaml", content_hash(TEXT + b"a.yaml"), "default") is None


def test_a_damaged_payload_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    filled(tmp_path)
    pack = tmp_path / PACK_NAME
    data = bytearray(pack.read_bytes())
    data[-20:] = b"\0" * 20  # the last payload
    pack.write_bytes(bytes(data))
    cache = ScanCache.open(tmp_path)
    results = [cache.get(name, content_hash(TEXT + name.encode()), "default") for name in ("a.yaml", "b.yaml")]
    assert results[0] is not None and results[1] is None
    assert cache.misses == 1


def test_an_unchanged_stat_stands_for_the_digest_unless_too_recent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cache = filled(tmp_path)
    old = time.time_ns() - 10_000_000_000
    cache.set_stat("a.yaml", (10, old, 7))
    assert cache.digest_by_stat("a.yaml", (10, old, 7), "default") == content_hash(TEXT + b"a.yaml")
    assert cache.digest_by_stat("a.yaml", (11, old, 7), "default") is None  # size changed
    assert cache.digest_by_stat("a.yaml", (10, old, 7), "other") is None  # another default namespace
    cache.set_stat("b.yaml", (10, time.time_ns(), 8))
    assert cache.digest_by_stat("b.yaml", (10, time.time_ns(), 8), "default") is None  # racy: read again
    assert os.path.exists(tmp_path / PACK_NAME)


def test_entries_are_found_by_digest_or_git_blob_id_and_built_only_when_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cache = ScanCache.open(tmp_path)
    Path("a.yaml").write_bytes(TEXT)
    digest = content_hash(TEXT)
    cache.put("a.yaml", digest, "default", *scan_text(TEXT, "a.yaml"), index=["summary"], blob="b" * 40)
    cache.save(background=False)
    reader = ScanCache.open(tmp_path)
    assert len(reader.entries) == 1
    assert reader.index_of("a.yaml", "b" * 40, "default") == ["summary"]  # by blob id, nothing unpickled
    assert reader.index_of("a.yaml", digest, "default") == ["summary"]  # by content digest
    assert reader.index_of("a.yaml", "c" * 40, "default") is None
    assert reader.index_of("a.yaml", digest, "other-namespace") is None
    assert "a.yaml" not in reader.entries._made  # type: ignore[attr-defined]  # still the pack's record
    found = reader.get("a.yaml", "b" * 40, "default")
    assert found is not None and found[0][0].name == "a"
    assert list(reader.entries) == ["a.yaml"]
