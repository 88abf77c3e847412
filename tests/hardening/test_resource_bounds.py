"""Hostile repositories stay within stated time and memory, and end in a clear finding.

Each case runs `pomgate check` as a real process and measures it with wait4 (wall time, peak RSS
of the process and the second process it may fork). The limits are generous multiples of what the
cases take on a 2-core machine, so a test fails when a bound is broken (a parse that expands an
alias bomb, reads a 200 MB file, recurses 10,000 levels, follows a link loop), not on a slow day.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


@dataclass
class Run:
    findings: list[dict[str, Any]]
    summary: dict[str, Any]
    seconds: float
    peak_mib: float

    def rules(self) -> set[str]:
        return {finding["rule"] for finding in self.findings}


#: Runs the command and writes the peak RSS (KiB) of it and its children to argv[1]. The check is
#: started from this small process: a child forked straight from the test process would inherit the
#: test process's (large) resident-set high-water mark across exec, and report that instead.
LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def check(path: Path, cwd: Path) -> Run:
    start = time.perf_counter()
    peak_file = cwd / "peak.txt"
    with open(cwd / "out.json", "wb") as out, open(cwd / "err.txt", "wb") as err:
        code = subprocess.call(
            [sys.executable, "-c", LAUNCHER, str(peak_file), sys.executable, "-m", "pomgate", "check", str(path),
             "--format", "json", "--no-cache"],
            cwd=cwd,
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
        )  # fmt: skip
    seconds = time.perf_counter() - start
    stderr = (cwd / "err.txt").read_text(errors="replace")
    assert code in (0, 1), stderr[-2000:]
    assert "Traceback" not in stderr
    document = json.loads((cwd / "out.json").read_text())
    return Run(document["findings"], document["summary"], seconds, int(peak_file.read_text()) / 1024)


def test_billion_laughs(tmp_path: Path) -> None:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", 'a0: &a0 ["lol","lol","lol","lol"]']
    lines += [
        f"a{i}: &a{i} [*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1},*a{i - 1}]" for i in range(1, 12)
    ]
    (tmp_path / "bomb.yaml").write_text(
        "\n".join(lines) + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"
    )
    run = check(tmp_path / "bomb.yaml", tmp_path)
    assert "input/yaml-alias-limit" in run.rules()
    assert run.summary["objects"] == 1  # the next document still counts
    assert run.seconds < 10 and run.peak_mib < 150, (run.seconds, run.peak_mib)


def test_a_200_mb_file_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "dump.yaml"
    with big.open("wb") as handle:
        handle.write(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: |\n")
        handle.truncate(200 * MiB)  # sparse: the test does not write 200 MB
    run = check(big, tmp_path)
    [finding] = [f for f in run.findings if f["rule"] == "input/file-too-large"]
    assert "200.0 MiB" in finding["message"]
    assert run.seconds < 10 and run.peak_mib < 150, (run.seconds, run.peak_mib)


def test_ten_thousand_levels_of_nesting(tmp_path: Path) -> None:
    deep = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: " + "[" * 10_000 + "]" * 10_000 + "\n"
    (tmp_path / "deep.yaml").write_text(deep)
    run = check(tmp_path / "deep.yaml", tmp_path)
    assert "input/yaml-too-deep" in run.rules()
    assert run.seconds < 10 and run.peak_mib < 150, (run.seconds, run.peak_mib)


def test_a_1_mb_annotation_value(tmp_path: Path) -> None:
    value = "x" * MiB
    (tmp_path / "ingress.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: big\n  annotations:\n"
        f"    ingress.pomerium.io/description: {value}\nspec:\n  ingressClassName: pomerium\n"
    )
    run = check(tmp_path / "ingress.yaml", tmp_path)
    [finding] = [f for f in run.findings if f["rule"] == "k8s/annotations-too-large"]
    assert "262144" in finding["message"] or "256" in finding["message"]  # Kubernetes' cap: 256 KiB in all
    assert value not in json.dumps(run.findings)  # the megabyte is not echoed back
    assert run.seconds < 10 and run.peak_mib < 200, (run.seconds, run.peak_mib)


def test_symlink_loops_and_links_out_of_the_root_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside}\n")
    root = tmp_path / "repo"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inside}\n")
    (root / "apps" / "loop").symlink_to(root / "apps")  # a directory loop
    (root / "apps" / "self").symlink_to(root)
    (root / "escape").symlink_to(outside)  # a link out of the scanned root
    (root / "escape.yaml").symlink_to(outside / "secret.yaml")
    run = check(root, tmp_path)
    assert run.summary["objects"] == 1  # only apps/ok.yaml
    links = {
        (f["message"].split(" is ", 1)[0], f["severity"])
        for f in run.findings
        if f["rule"] == "input/link-not-followed"
    }
    assert links == {
        ("apps/loop", "info"),
        ("apps/self", "info"),
        ("escape", "warning"),
        ("escape.yaml", "warning"),
    }
    assert run.seconds < 10, run.seconds


def test_binary_and_broken_encodings_are_reported_crlf_and_bom_are_read(tmp_path: Path) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    (tmp_path / "nul.yaml").write_bytes(manifest.format("nul").encode() + b"\0\0binary")
    (tmp_path / "latin1.yaml").write_bytes(manifest.format("caf\xe9").encode("latin-1"))
    (tmp_path / "crlf.yaml").write_bytes(manifest.format("crlf").replace("\n", "\r\n").encode())
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + manifest.format("bom").encode())
    run = check(tmp_path, tmp_path)
    not_text = {f["path"] for f in run.findings if f["rule"] == "input/not-text"}
    assert not_text == {"nul.yaml", "latin1.yaml"}
    assert run.summary["objects"] == 2  # the CRLF and the BOM file
    assert run.seconds < 10, run.seconds


def test_a_hundred_thousand_tiny_files(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for folder in range(100):
        directory = root / f"d{folder:03d}"
        directory.mkdir(parents=True)
        for index in range(1000):
            (directory / f"f{index:04d}.yaml").write_text(
                f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{index}}}\n"
            )
    run = check(root, tmp_path)
    assert run.summary["files"] == 100_000
    assert run.seconds < 180 and run.peak_mib < 600, (run.seconds, run.peak_mib)


def regex_ingress(patterns: list[str]) -> str:
    """One Ingress with an ImplementationSpecific regex path per pattern, and its Service (JSON is YAML)."""
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    paths = [{"path": pattern, "pathType": "ImplementationSpecific", "backend": backend} for pattern in patterns]
    annotations = {"ingress.pomerium.io/path_regex": "true", "ingress.pomerium.io/allow_any_authenticated_user": "true"}
    document = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "costly", "namespace": "default", "annotations": annotations},
        "spec": {"ingressClassName": "pomerium", "rules": [{"host": "a.example.com", "http": {"paths": paths}}]},
    }
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    return json.dumps(document) + "\n---\n" + json.dumps(service) + "\n"


def test_ten_path_regexes_that_take_re2_seconds_each_to_compile(tmp_path: Path) -> None:
    # 20,000 case-folded negated Unicode classes: RE2 parses this for ~3-4 s (unbounded: 40 s for ten).
    slow = "(?i)[" + "\\PL" * 20_000 + "]"
    (tmp_path / "ingress.yaml").write_text(regex_ingress([f"/t{index}/{slow}" for index in range(10)]))
    run = check(tmp_path / "ingress.yaml", tmp_path)
    costly = [f for f in run.findings if f["rule"] == "regex/too-costly"]
    assert len(costly) == 10 and {f["severity"] for f in costly} == {"error"}
    assert "is too costly to compile" in costly[0]["message"] and "20,000 Unicode classes" in costly[0]["message"]
    assert slow not in json.dumps(run.findings)  # the 60 KB pattern is not echoed back
    assert run.seconds < 10 and run.peak_mib < 150, (run.seconds, run.peak_mib)


def test_an_ingress_whose_regexes_exceed_its_translation_budget(tmp_path: Path) -> None:
    # Each compiles in ~0.15 s (a large RE2 program within its 8 MiB): 40 of them, ~6 s unbounded.
    patterns = [f"/v{index}/\\pL{{1,250}}" for index in range(40)]
    (tmp_path / "ingress.yaml").write_text(regex_ingress(patterns))
    run = check(tmp_path / "ingress.yaml", tmp_path)
    [finding] = [f for f in run.findings if f["rule"] == "regex/too-costly"]
    assert "used up its translation budget of 1 s" in finding["message"], finding["message"]
    assert run.summary["errors"] >= 1
    assert run.seconds < 5, run.seconds  # the 1 s budget, one compile and the process start
