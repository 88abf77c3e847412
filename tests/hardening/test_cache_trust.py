"""Nothing a pull request (or another local user) can write is ever unpickled or imported.

Each test plants a pickle that creates a marker folder when it is loaded, in one place pomgate has
looked or looks for its scan cache, then runs the real command line as a subprocess.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pomgate.scanning.cache import PACK_NAME, ScanCache, content_hash, default_cache_dir, open_cache

PROJECT = Path(__file__).resolve().parents[2]
POMGATE = str(Path(sys.executable).with_name("pomgate"))
INGRESS = b"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    ingress.pomerium.io/allow_any_authenticated_user: "true"
spec:
  ingressClassName: pomerium
  rules:
    - host: web.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
"""


class _Planted:
    """Unpickling this creates ``marker``: proof that a planted file was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def planted_pack(marker: Path) -> bytes:
    """A pack in the old (unauthenticated) format whose index runs code when unpickled."""
    return pickle.dumps((_Planted(marker), {}))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], Path]]:
    """A git repository with one Ingress, the environment of a user with their own cache root, and a marker."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ingress.yaml").write_bytes(INGRESS)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    env = {key: value for key, value in os.environ.items() if key not in ("POMGATE_CACHE_DIR", "XDG_RUNTIME_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    env["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
    (tmp_path / "run").mkdir(mode=0o700)
    env["PYTHONPATH"] = str(PROJECT)
    env["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    yield repo, env, tmp_path / "PLANTED-CODE-RAN"


def pomgate(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as pre-commit and the Action run it (`python -m` would put cwd on the path)."""
    return subprocess.run([POMGATE, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120)


def assert_clean_run(result: subprocess.CompletedProcess[str], marker: Path) -> None:
    assert not marker.exists(), "a planted cache file was unpickled"
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr


def test_a_cache_committed_to_the_repository_is_never_read(world: tuple[Path, dict[str, str], Path]) -> None:
    repo, env, marker = world
    for folder in (repo / ".pomgate_cache", repo):  # where pomgate used to look, and the checkout itself
        folder.mkdir(exist_ok=True)
        (folder / PACK_NAME).write_bytes(planted_pack(marker))
    for command in (["check", "."], ["hook", "ingress.yaml"], ["render", "."]):
        assert_clean_run(pomgate(repo, env, *command), marker)
    assert_clean_run(pomgate(repo, env, "diff", "--base", "HEAD", "--format", "json"), marker)
    assert not (repo / ".pomgate_cache" / ".gitignore").exists(), "pomgate wrote into the repository"


def test_the_default_cache_is_outside_the_checkout_and_private(world: tuple[Path, dict[str, str], Path]) -> None:
    repo, env, marker = world
    assert_clean_run(pomgate(repo, env, "check", "."), marker)
    packs = list(Path(env["XDG_CACHE_HOME"], "pomgate", "scan").glob(f"*/{PACK_NAME}"))
    deadline = time.monotonic() + 20
    while not packs and time.monotonic() < deadline:  # written by a background child after the command
        time.sleep(0.05)
        packs = list(Path(env["XDG_CACHE_HOME"], "pomgate", "scan").glob(f"*/{PACK_NAME}"))
    assert len(packs) == 1
    assert repo not in packs[0].parents
    assert packs[0].parent.stat().st_mode & 0o077 == 0
    key = Path(env["XDG_CACHE_HOME"], "pomgate", "key")
    assert key.stat().st_mode & 0o077 == 0 and key.stat().st_size == 32


def test_a_forged_pack_in_the_users_own_cache_folder_is_refused_with_a_warning(
    world: tuple[Path, dict[str, str], Path],
) -> None:
    repo, env, marker = world
    first = pomgate(repo, env, "check", "--format", "json", ".")
    folder = Path(env["XDG_CACHE_HOME"], "pomgate", "scan")
    deadline = time.monotonic() + 20
    while not list(folder.glob(f"*/{PACK_NAME}")) and time.monotonic() < deadline:
        time.sleep(0.05)
    (pack,) = folder.glob(f"*/{PACK_NAME}")
    # The old format, and the new format with a digest made without the key: both refused before unpickling.
    genuine = pack.read_bytes()
    forged_index = pickle.dumps((_Planted(marker), {}))
    new_format = genuine[:8] + b"\0" * 32 + len(forged_index).to_bytes(8, "big") + forged_index
    for forged in (planted_pack(marker), new_format):
        pack.write_bytes(forged)
        result = pomgate(repo, env, "check", "--format", "json", ".")
        assert_clean_run(result, marker)
        assert "scan cache" in result.stderr and "not written by pomgate" in result.stderr
        assert result.stdout == first.stdout  # the run goes on, parsing every file


def test_a_swapped_payload_is_a_miss_not_a_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setattr("pomgate.scanning.cache._KEYS", {})
    folder = tmp_path / "cache"
    cache, problem = open_cache(folder)
    assert cache is not None and problem is None
    cache.put("b.yaml", content_hash(b"b"), "default", ["x" * 400], [])  # type: ignore[list-item]
    cache.save(background=False)
    assert ScanCache.open(folder).get("b.yaml", content_hash(b"b"), "default") == (["x" * 400], [])
    # The payload is last in the pack: overwrite it in place with a pickle that runs code (the
    # bytes after its STOP are ignored by pickle, so the length recorded in the index still fits).
    marker = tmp_path / "PLANTED-CODE-RAN"
    packed = (folder / PACK_NAME).read_bytes()
    genuine = pickle.dumps((["x" * 400], []), protocol=pickle.HIGHEST_PROTOCOL)
    assert packed.endswith(genuine)
    evil = pickle.dumps(_Planted(marker)).ljust(len(genuine), b".")
    (folder / PACK_NAME).write_bytes(packed[: -len(genuine)] + evil)
    assert ScanCache.open(folder).get("b.yaml", content_hash(b"b"), "default") is None
    assert not marker.exists()


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_cache_folder_others_can_write_to_is_not_used(world: tuple[Path, dict[str, str], Path], mode: int) -> None:
    repo, env, marker = world
    shared = repo.parent / "shared-tmp" / "pomgate-cache"
    shared.mkdir(parents=True)
    shared.chmod(mode)
    (shared / PACK_NAME).write_bytes(planted_pack(marker))
    for how in ("env", "option"):
        if how == "env":
            result = pomgate(repo, {**env, "POMGATE_CACHE_DIR": str(shared)}, "check", ".")
        else:
            result = pomgate(repo, env, "check", "--cache-dir", str(shared), ".")
        assert_clean_run(result, marker)
        assert "scan cache not used" in result.stderr and "others may change" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_cache_folder_of_another_user_is_not_used(world: tuple[Path, dict[str, str], Path]) -> None:
    repo, env, marker = world
    theirs = repo.parent / "theirs"
    theirs.mkdir(mode=0o700)
    (theirs / PACK_NAME).write_bytes(planted_pack(marker))
    os.chown(theirs, 65534, 65534)
    result = pomgate(repo, {**env, "POMGATE_CACHE_DIR": str(theirs)}, "check", ".")
    assert_clean_run(result, marker)
    assert "not to the current user" in result.stderr


def test_a_key_others_can_read_disables_the_cache(world: tuple[Path, dict[str, str], Path]) -> None:
    repo, env, marker = world
    root = Path(env["XDG_CACHE_HOME"], "pomgate")
    root.mkdir(parents=True, mode=0o700)
    (root / "key").write_bytes(b"k" * 32)
    (root / "key").chmod(0o644)
    result = pomgate(repo, env, "check", ".")
    assert_clean_run(result, marker)
    assert "scan cache not used" in result.stderr and "key" in result.stderr


def test_the_worker_does_not_import_modules_from_the_repository(world: tuple[Path, dict[str, str], Path]) -> None:
    repo, env, marker = world
    for module in ("typer", "click", "pomgate_worker_probe", "yaml", "json"):
        (repo / f"{module}.py").write_text(f"import os\nos.mkdir({str(marker)!r})\n")
    try:
        pomgate(repo, env, "hook", "--daemon", "ingress.yaml")
        deadline = time.monotonic() + 60
        while pomgate(repo, env, "worker", "status").returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        answered = pomgate(repo, env, "hook", "--daemon", "ingress.yaml")
        assert_clean_run(answered, marker)
    finally:
        pomgate(repo, env, "worker", "stop")
    assert not marker.exists(), "the worker imported a module from the repository folder"


def test_default_cache_dir_is_keyed_by_the_repository_not_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POMGATE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    one, two = tmp_path / "one", tmp_path / "two"
    for repo in (one, two):
        (repo / ".git").mkdir(parents=True)
        (repo / "sub").mkdir()
    assert default_cache_dir(one / "sub") == default_cache_dir(one)
    assert default_cache_dir(one) != default_cache_dir(two)
    assert tmp_path / "c" / "pomgate" / "scan" in default_cache_dir(one).parents
    shutil.rmtree(one)
