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


def test_same_diff_with_host_owners_and_cross_namespace_hosts(tmp_path: Path) -> None:
    """Host overlaps across namespaces and `hosts:` violations: the focused analysis sees whole host groups."""
    from pomgate.diff.run import diff_configuration
    from tests.helpers import ingress, service, simple_rule

    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ci@example.com")
    git(root, "config", "user.name", "CI")
    (root / ".pomgate.yaml").write_text("hosts:\n  '*.owned.example.com': [team-0]\n  app.example.com: [team-1]\n")
    for index in range(24):
        namespace = f"team-{index % 4}"
        host = f"svc{index}.example.com" if index % 6 else f"svc{index}.owned.example.com"
        (root / f"ingress{index}.yaml").write_text(
            service(namespace=namespace)
            + "---\n"
            + ingress(name=f"i{index}", namespace=namespace, rules=simple_rule(host=host))
        )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    changes = [
        ("ingress3.yaml", "svc3.example.com", "svc5.example.com"),  # another namespace's host
        ("ingress9.yaml", "svc9.example.com", "x.owned.example.com"),  # a host team-0 owns
        ("ingress10.yaml", "svc10.example.com", "app.example.com"),  # team-2 on team-1's host
        ("ingress7.yaml", "svc7.example.com", '"*.example.com"'),  # a wildcard over everyone's hosts (last: all)
    ]
    git_repo = open_repository(str(root))
    for path, old, new in changes:
        target = root / path
        target.write_text(target.read_text().replace(f"host: {old}", f"host: {new}"))
        configuration = diff_configuration(git_repo, "HEAD", None, start=root)
        options = TranslateOptions()
        fast, _ = diff_revisions(git_repo, "HEAD", None, [str(root)], options, configuration=configuration)
        full, _ = diff_revisions(
            git_repo, "HEAD", None, [str(root)], options, configuration=configuration, incremental=False
        )
        assert diff_json(fast) == diff_json(full), path
    report = diff_json(fast)
    rules = {(f["rule"], f["severity"], f["object"]["name"]) for f in report["findings"]["introduced"]}
    assert {
        ("routing/cross-namespace-host", "warning", "i3"),
        ("routing/cross-namespace-host", "warning", "i5"),
        ("routing/cross-namespace-host", "warning", "i7"),
        ("routing/cross-namespace-host", "error", "i9"),
        ("routing/cross-namespace-host", "error", "i10"),
    } <= rules
    assert sorted(r["detail"].split(" serves ")[0] for r in report["risks"] if r["kind"] == "host_not_allowed") == [
        "Ingress team-1/i9",
        "Ingress team-2/i10",
    ]
