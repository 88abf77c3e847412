"""Focused analysis (the pre-commit hook): the same findings as a full run, restricted to some files."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from pomgate.pipeline import analyze_paths
from pomgate.scanning.cache import ScanCache
from pomgate.translation.options import TranslateOptions
from tests.helpers import docs, ingress, secret, service, simple_rule

P = "ingress.pomerium.io"
GENERATOR = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "gen_corpus.py"


def write_repo(root: Path) -> None:
    """Cross-file relations: TCP host pairs, shadowed routes, Secrets, Issuers, duplicates."""
    tcp = {f"{P}/tcp_upstream": "true", f"{P}/allowed_users": '["a@example.com"]'}
    tcp_rule = simple_rule(host="db.example.com", path=None, path_type="ImplementationSpecific")
    files = {
        "a/tcp1.yaml": ingress(name="tcp1", annotations=tcp, rules=tcp_rule),
        "b/tcp2.yaml": ingress(name="tcp2", annotations=tcp, rules=tcp_rule.replace("number: 80", "number: 81")),
        "a/web.yaml": ingress(
            name="web",
            annotations={f"{P}/set_request_headers": '{"X-A": "1"}', f"{P}/set_request_headers_secret": "hdrs"},
            extra_spec="tls:\n  - hosts: [app.example.com]\n    secretName: app-tls",
        ),
        "b/web-copy.yaml": ingress(name="web2", annotations={f"{P}/issuer": "x", "cert-manager.io/issuer": "le"}),
        "c/secrets.yaml": docs(secret("hdrs", {"X-A": "2"}), secret("app-tls", {"tls.crt": "x"}, secret_type=None)),
        "c/services.yaml": docs(service(), service(name="other")),
        "c/issuer.yaml": (
            "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: le, namespace: default}\n"
            "spec:\n  acme:\n    solvers:\n      - http01:\n          ingress: {class: nginx}\n"
        ),
        "d/dup.yaml": service(name="other"),
        "d/unrelated.yaml": ingress(name="alone", rules=simple_rule(host="alone.example.com", service="other")),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def finding_dicts(root: Path, focus: set[str] | None, cache: ScanCache | None = None) -> list[dict[str, object]]:
    analysis = analyze_paths([str(root)], TranslateOptions(), focus=focus, cache=cache)
    return [f.as_dict() for f in analysis.findings]


def check_every_focus(root: Path, rng: random.Random, rounds: int) -> None:
    full = finding_dicts(root, None)
    files = sorted(str(p) for p in root.rglob("*.y*ml") if "corpus-manifest" not in p.name)
    assert full
    for _ in range(rounds):
        focus = set(rng.sample(files, rng.randint(1, min(4, len(files)))))
        expected = [f for f in full if f["path"] in focus]
        assert finding_dicts(root, focus) == expected, sorted(focus)


def test_focus_matches_the_full_run_on_cross_file_relations(tmp_path: Path) -> None:
    write_repo(tmp_path)
    check_every_focus(tmp_path, random.Random(3), 25)


def test_focus_matches_the_full_run_on_the_bench_corpus(tmp_path: Path) -> None:
    if not GENERATOR.is_file():
        pytest.skip(f"bench corpus generator not found at {GENERATOR}")
    root = tmp_path / "repo"
    subprocess.run(
        [sys.executable, str(GENERATOR), "--ingresses", "150", "--bad-fraction", "0.3", str(root)],
        check=True,
        capture_output=True,
    )
    check_every_focus(root, random.Random(5), 15)


def test_cache_gives_identical_findings_and_reuses_unchanged_files(tmp_path: Path) -> None:
    write_repo(tmp_path / "repo")
    root = tmp_path / "repo"
    cold = ScanCache.open(tmp_path / "cache")
    first = finding_dicts(root, None, cold)
    assert cold.misses == 9 and cold.hits == 0
    warm = ScanCache.open(tmp_path / "cache")
    assert finding_dicts(root, None, warm) == first
    assert warm.hits == 9 and warm.misses == 0
    (root / "d/dup.yaml").write_text(service(name="changed"))
    changed = ScanCache.open(tmp_path / "cache")
    after = finding_dicts(root, None, changed)
    assert changed.hits == 8 and changed.misses == 1
    assert after == finding_dicts(root, None, None)


def test_a_damaged_pack_is_ignored(tmp_path: Path) -> None:
    write_repo(tmp_path / "repo")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "scan.pack").write_bytes(b"not a pickle")
    cache = ScanCache.open(tmp_path / "cache")
    assert finding_dicts(tmp_path / "repo", None, cache) == finding_dicts(tmp_path / "repo", None)
    assert (tmp_path / "cache" / ".gitignore").read_text().strip().endswith("*")


def test_focus_with_the_cache_loads_only_the_needed_files_and_matches(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    write_repo(root)
    full = finding_dicts(root, None)
    files = sorted(str(p) for p in root.rglob("*.yaml"))
    rng = random.Random(9)
    for round_number in range(12):
        focus = set(rng.sample(files, rng.randint(1, 3)))
        cache = ScanCache.open(tmp_path / "cache")
        got = finding_dicts(root, focus, cache)
        assert got == [f for f in full if f["path"] in focus], sorted(focus)
        if round_number >= 2:  # warm, with indexes: unchanged files are not unpickled unless needed
            assert cache.misses == 0
            assert cache.hits < len(files)
