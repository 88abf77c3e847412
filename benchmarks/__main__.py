"""`python -m benchmarks hook|diff|check|peers|builds|render|controller`: pomgate side by side with its baselines.

`hook`: the pre-commit hook on one changed file vs a full check.

The corpus is a directory (``--corpus``) or one generated with the bench generator next to the
project (``--ingresses N``, needs ../shared/bench/gen_corpus.py). The hook runs with a warm scan
cache, each repetition after one manifest was edited (so that file is parsed again); the baseline
is a full cold `pomgate check` of the same tree. Prints a Markdown table of medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.runner import Case, side_by_side, table

PROJECT = Path(__file__).resolve().parents[1]
GENERATOR = PROJECT.parent / "shared" / "bench" / "gen_corpus.py"
SUITE_FLOOR = PROJECT.parent / "shared" / "bench" / "parse_floor.py"


def pomgate(*args: str) -> list[str]:
    return [sys.executable, "-m", "pomgate", *args]


def corpus_dir(args: argparse.Namespace, scratch: Path, ingresses: int | None = None) -> Path:
    """--corpus, else a generated corpus: the bench suite's generator when present, else the project's."""
    count = ingresses or args.ingresses
    if args.corpus and ingresses is None:
        return Path(args.corpus)
    out = scratch / f"corpus-{count}"
    if GENERATOR.is_file() and not getattr(args, "own_generator", False):
        subprocess.run([sys.executable, str(GENERATOR), "--ingresses", str(count), str(out)], check=True)
        return out
    from benchmarks.corpus import write_corpus

    return write_corpus(out, count)


def bench_check(args: argparse.Namespace) -> None:
    """`pomgate check` (one and two workers, no cache) next to the YAML parse floor, at two sizes."""
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="pomgate-bench-") as scratch_name:
        scratch = Path(scratch_name)
        results = {}
        for size in sizes:
            corpus = Path(args.corpus) if args.corpus and len(sizes) == 1 else corpus_dir(args, scratch, size)
            cases = []
            if SUITE_FLOOR.is_file():  # the yardstick: text read as str, then the C loader
                cases.append(
                    Case("parse floor, suite pyyaml-c", [sys.executable, str(SUITE_FLOOR), "pyyaml-c", str(corpus)])
                )
            cases += [
                Case("parse floor, bytes to the C loader", [sys.executable, "-m", "benchmarks.floor", str(corpus)]),
                Case(
                    "pomgate check, 2 workers",
                    pomgate("check", str(corpus), "-f", "json", "--no-cache", "--workers", "2"),
                ),
                Case(
                    "pomgate check, 1 worker",
                    pomgate("check", str(corpus), "-f", "json", "--no-cache", "--workers", "1"),
                ),
            ]
            timings = side_by_side(cases, args.repetitions)
            results[size] = timings
            files = sum(1 for _ in corpus.rglob("*.y*ml"))
            print(f"\n{size:,} Ingresses ({files:,} YAML files, {corpus})")
            print(table(timings, cases[0].name))
        print(
            f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"{args.repetitions} alternating repetitions after a warm-up, {time.strftime('%Y-%m-%d')}"
        )
        if len(sizes) == 2:
            small, large = sizes
            for index in (len(cases) - 2, len(cases) - 1):
                ratio = results[large][index].median / results[small][index].median
                print(f"scaling {small:,} -> {large:,}, {results[large][index].name}: {ratio:.2f}x time")


def bench_hook(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="pomgate-bench-") as scratch_name:
        scratch = Path(scratch_name)
        corpus = corpus_dir(args, scratch)
        manifests = sorted(p for p in corpus.rglob("*.yaml") if p.name != "kustomization.yaml")
        changed = manifests[len(manifests) // 2]
        original = changed.read_bytes()
        cache = scratch / "cache"

        def edit(repetition: int) -> None:
            changed.write_bytes(original + f"# edit {repetition} {time.time_ns()}\n".encode())

        relative = str(changed.relative_to(corpus))
        os.chdir(corpus)
        hook = pomgate("hook", relative, "--format", "json", "--cache-dir", str(cache))

        def settle(_repetition: int) -> None:
            # The worker writes its scan cache 2 s after a run (in a child): let that finish first,
            # so it does not share the cores with the baseline.
            time.sleep(3.0)

        cases = [
            Case("full check, no cache", pomgate("check", ".", "--format", "json", "--no-cache"), before=settle),
            Case("hook, 1 changed file, warm cache", hook, before=edit),
            Case("hook --daemon, 1 changed file, warm worker", [*hook, "--daemon"], before=edit),
        ]
        subprocess.run(pomgate("hook", "--format", "json", "--cache-dir", str(cache)), stdout=subprocess.DEVNULL)
        subprocess.run([*hook, "--daemon"], stdout=subprocess.DEVNULL)  # starts the worker
        try:
            _wait_for_worker()
            timings = side_by_side(cases, args.repetitions)
        finally:
            changed.write_bytes(original)
            subprocess.run(pomgate("worker", "stop"), stdout=subprocess.DEVNULL)
        files = sum(1 for _ in corpus.rglob("*.y*ml"))
        print(f"corpus: {corpus} ({files} YAML files); changed file: {relative}")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"{args.repetitions} alternating repetitions after a warm-up, {time.strftime('%Y-%m-%d')}"
        )
        print(table(timings, "full check, no cache"))
        print("(peak RSS of the --daemon row is the client's; the worker is a separate, long-lived process)")


def _wait_for_worker(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(pomgate("worker", "status"), stdout=subprocess.DEVNULL).returncode == 0:
            return
        time.sleep(0.2)
    raise SystemExit("the hook worker did not start")


def bench_diff(args: argparse.Namespace) -> None:
    """`pomgate diff` between two commits that differ in one file, next to one `check` of the tree."""
    import shutil

    with tempfile.TemporaryDirectory(prefix="pomgate-bench-") as scratch_name:
        scratch = Path(scratch_name)
        source = corpus_dir(args, scratch)
        repo = scratch / "repo"
        shutil.copytree(source, repo, ignore=shutil.ignore_patterns(".pomgate_cache", ".git"))

        def git(*command: str) -> None:
            subprocess.run(["git", *command], cwd=repo, check=True, capture_output=True)

        git("init", "-q", "-b", "main")
        git("-c", "user.email=b@example.com", "-c", "user.name=bench", "add", "-A")
        git("-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-q", "-m", "base")
        manifests = sorted(p for p in repo.rglob("ingress*.y*ml"))
        changed = manifests[len(manifests) // 2]
        changed.write_bytes(changed.read_bytes().replace(b"example.com", b"example.org", 1))
        git("-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-q", "-am", "one file")
        os.chdir(repo)
        cache = scratch / "cache"
        cases = [
            Case("check (one tree, no cache)", pomgate("check", ".", "--format", "json", "--no-cache")),
            Case("diff HEAD~1..HEAD (no cache)", pomgate("diff", "--base", "HEAD~1", "--head", "HEAD", "--no-cache")),
            Case(
                "diff HEAD~1..HEAD (warm cache)",
                pomgate("diff", "--base", "HEAD~1", "--head", "HEAD", "--cache-dir", str(cache)),
            ),
        ]
        subprocess.run(cases[2].argv, stdout=subprocess.DEVNULL)
        timings = side_by_side(cases, args.repetitions)
        print(f"corpus: {source}; changed file: {changed.relative_to(repo)}")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"{args.repetitions} alternating repetitions after a warm-up, {time.strftime('%Y-%m-%d')}"
        )
        print(table(timings, "check (one tree, no cache)"))


def bench_peers(args: argparse.Namespace) -> None:
    """`pomgate check` next to the peer tools of BASELINES.md that are installed (missing ones are listed)."""
    import shutil

    with tempfile.TemporaryDirectory(prefix="pomgate-bench-") as scratch_name:
        corpus = corpus_dir(args, Path(scratch_name))
        manifests = sorted(
            str(p)
            for p in corpus.rglob("*")
            if p.suffix in (".yaml", ".yml", ".json") and p.name != "corpus-manifest.json"
        )
        bin_dir = Path(sys.executable).parent
        cases = [Case("pomgate check, 2 workers", pomgate("check", str(corpus), "-f", "json", "--no-cache"))]
        tools = {
            "yamllint": ["-f", "parsable", str(corpus)],
            "kubernetes-validate": ["--quiet", *manifests],
            "checkov": ["--framework", "kubernetes", "-d", str(corpus), "--quiet", "--compact", "--skip-download"],
        }
        missing = []
        for tool, tool_args in tools.items():
            configured = os.environ.get(tool.upper().replace("-", "_"))  # e.g. CHECKOV=/path/to/venv/bin/checkov
            found = configured or (bin_dir / tool if (bin_dir / tool).exists() else shutil.which(tool))
            if found is None:
                missing.append(tool)
                continue
            cases.append(Case(tool, [str(found), *tool_args], ok_codes=tuple(range(256))))
        timings = side_by_side(cases, args.repetitions)
        print(f"corpus: {corpus} ({len(manifests)} manifest files)")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"{args.repetitions} alternating repetitions after a warm-up, {time.strftime('%Y-%m-%d')}"
        )
        print(table(timings, cases[0].name))
        if missing:
            print(f"not installed, not run: {', '.join(missing)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="bench", required=True)

    def corpus_options(parser: argparse.ArgumentParser, ingresses: int, repetitions: int) -> None:
        parser.add_argument("--corpus", help="an existing corpus directory")
        parser.add_argument(
            "--ingresses", type=int, default=ingresses, help=f"generate a corpus of N Ingresses (default {ingresses})"
        )
        parser.add_argument("--repetitions", type=int, default=repetitions)

    corpus_options(sub.add_parser("hook", help="pre-commit hook on one changed file vs a full check"), 10000, 5)
    corpus_options(sub.add_parser("diff", help="diff of two commits differing in one file vs one check"), 10000, 5)
    check = sub.add_parser("check", help="check vs the YAML parse floor, at two corpus sizes")
    check.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (default 1000,10000)")
    check.add_argument("--corpus", help="an existing corpus directory (with one size)")
    check.add_argument(
        "--own-generator", action="store_true", help="use benchmarks/corpus.py even if the suite's is there"
    )
    check.add_argument("--repetitions", type=int, default=3)
    peers = sub.add_parser("peers", help="check vs the installed peer tools (yamllint, kubernetes-validate, checkov)")
    corpus_options(peers, 1000, 3)
    builds = sub.add_parser("builds", help="kustomize overlays: pomgate's time on top of the builds, warm hook")
    builds.add_argument("--bases", type=int, default=50, help="base folders (default 50)")
    builds.add_argument("--overlays", type=int, default=200, help="overlays over them, each a root (default 200)")
    builds.add_argument("--repetitions", type=int, default=3)
    corpus_options(sub.add_parser("render", help="render as YAML next to render as JSON"), 2000, 5)
    controller = sub.add_parser("controller", help="controller: Ingress change -> written config, initial sync")
    controller.add_argument("--ingresses", default="1000,10000", help="comma-separated sizes (default 1000,10000)")
    controller.add_argument("--changes", type=int, default=40, help="Ingress changes timed per size (default 40)")
    controller.add_argument("--keep-logs", metavar="DIR", help="write the controller logs (and configs) to DIR")
    args = parser.parse_args()
    if args.bench == "hook":
        bench_hook(args)
    elif args.bench == "diff":
        bench_diff(args)
    elif args.bench == "check":
        bench_check(args)
    elif args.bench == "peers":
        bench_peers(args)
    elif args.bench == "render":
        from benchmarks.render import bench_render

        bench_render(args)
    elif args.bench == "builds":
        from benchmarks.overlays import bench_builds

        bench_builds(args)
    else:
        from benchmarks.controller import bench_controller

        bench_controller(args)


if __name__ == "__main__":
    main()
