"""The incremental head analysis of `diff` gives exactly the diff of a full analysis."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from pomgate.diff.compare import diff_json
from pomgate.diff.gitread import changed_listing, open_repository, revision_listing
from pomgate.diff.run import diff_revisions
from pomgate.translation.options import TranslateOptions
from tests.diff.test_diff import git
from tests.diff.test_diff import repo as repo

GENERATOR = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "gen_corpus.py"


def both_ways(root: Path, base: str, head: str | None) -> tuple[dict[str, object], dict[str, object]]:
    git_repo = open_repository(str(root))
    options = TranslateOptions()
    fast, _ = diff_revisions(git_repo, base, head, [str(root)], options, incremental=True)
    full, _ = diff_revisions(git_repo, base, head, [str(root)], options, incremental=False)
    return diff_json(fast), diff_json(full)


def test_same_diff_on_the_pull_request_repository(repo: Path) -> None:
    fast, full = both_ways(repo, "HEAD~1", "HEAD")
    assert fast == full
    assert fast["added"] and fast["risks"]


MUTATIONS = ("host", "service", "delete", "copy", "annotation", "tcp", "wildcard", "catch-all")


def mutate(root: Path, rng: random.Random) -> str:
    ingresses = sorted(root.rglob("ingress*.y*ml"))
    target = rng.choice(ingresses)
    text = target.read_text()
    kind = rng.choice(MUTATIONS)
    if kind == "host":
        other = rng.choice(ingresses).read_text()
        host = other.split("host: ", 1)[1].split("\n", 1)[0] if "host: " in other else "x.example.com"
        text = text.replace("host: ", f"host: {host}\n#", 1) if "host: " in text else text
    elif kind == "wildcard":  # a wildcard over another Ingress's host: it may now take requests of that host
        other = rng.choice(ingresses).read_text()
        host = other.split("host: ", 1)[1].split("\n", 1)[0] if "host: " in other else "x.example.com"
        wildcard = '"*.' + host.strip('"').split(".", 1)[-1] + '"'
        text = text.replace("host: ", f"host: {wildcard}\n#", 1) if "host: " in text else text
    elif kind == "catch-all":  # an allowed empty host routes every hostname
        text = text.replace("- host: ", "- #", 1).replace(
            "annotations:\n", 'annotations:\n    ingress.pomerium.io/subtle_allow_empty_host: "true"\n', 1
        )
    elif kind == "service":
        text = text.replace("name: ", "name: renamed-", 1) if "service:" in text else text + "\n"
    elif kind == "delete":
        target.unlink()
        return f"delete {target.name}"
    elif kind == "copy":
        (target.parent / f"copy-{target.name}").write_text(text)
        return f"copy {target.name}"
    elif kind == "annotation":
        text = text.replace("annotations:\n", 'annotations:\n    ingress.pomerium.io/tls_skip_verify: "true"\n', 1)
    else:
        text = text.replace("annotations:\n", 'annotations:\n    ingress.pomerium.io/tcp_upstream: "true"\n', 1)
    target.write_text(text)
    return f"{kind} {target.name}"


def test_same_diff_after_random_changes_to_a_bench_corpus(tmp_path: Path) -> None:
    if not GENERATOR.is_file():
        pytest.skip(f"bench corpus generator not found at {GENERATOR}")
    root = tmp_path / "repo"
    subprocess.run(
        [sys.executable, str(GENERATOR), "--ingresses", "120", "--bad-fraction", "0.2", str(root)],
        check=True,
        capture_output=True,
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ci@example.com")
    git(root, "config", "user.name", "CI")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    rng = random.Random(11)
    changed_rounds = 0
    for _round in range(14):
        done = [mutate(root, rng) for _ in range(rng.randint(1, 3))]
        fast, full = both_ways(root, "HEAD", None)
        assert fast == full, done
        changed_rounds += bool(fast["added"] or fast["removed"] or fast["changed"] or fast["findings"])
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "step")
        git_repo = open_repository(str(root))
        base_listing = revision_listing(git_repo, "HEAD~1", [""])
        assert changed_listing(git_repo, base_listing, "HEAD~1", "HEAD", [""]) == revision_listing(
            git_repo, "HEAD", [""]
        )
    assert changed_rounds >= 5
