"""What a worker keeps between runs: directory listings, the open scan cache, its socket address."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pomgate.scanning import cache as cache_module
from pomgate.scanning import discover as discover_module
from pomgate.scanning.cache import ScanCache, keep_open, save_kept
from pomgate.scanning.discover import discover, keep_listings
from pomgate.worker import address

LONG_AGO = time.time() - 3600


@pytest.fixture
def remembering(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Listings kept (as in a worker); yields the directories scandir() was called on."""
    listed: list[str] = []
    real_scandir = os.scandir

    def counting(path: str = ".") -> object:
        listed.append(str(path))
        return real_scandir(path)

    monkeypatch.setattr(discover_module.os, "scandir", counting)
    keep_listings()
    yield listed
    discover_module._LISTINGS = None


def make_tree(root: Path) -> None:
    for name in ("a/one.yaml", "a/deep/two.yaml", "b/three.yaml", "b/notes.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("kind: ConfigMap\n")
    for directory, _subdirectories, _files in os.walk(root):
        os.utime(directory, (LONG_AGO, LONG_AGO))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small tree outside any git work tree, its folders dated an hour back."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "repo"
    make_tree(root)
    return root


def walked(root: Path) -> list[str]:
    inputs, _findings = discover([str(root)])
    return [item.display_path for item in inputs]


def test_unchanged_directories_are_not_listed_again_and_changed_ones_are(tree: Path, remembering: list[str]) -> None:
    root = tree
    remembering.clear()
    first = walked(root)
    assert len(remembering) == 4  # repo, a, a/deep, b
    remembering.clear()
    assert walked(root) == first
    assert remembering == []

    (root / "a/new.yaml").write_text("kind: ConfigMap\n")
    os.utime(root / "a", (LONG_AGO + 5, LONG_AGO + 5))  # the folder's mtime moved: list it again
    (root / "b/three.yaml").unlink()
    os.utime(root / "b", (LONG_AGO + 5, LONG_AGO + 5))
    assert walked(root) == [
        str(root / "a/new.yaml"),
        str(root / "a/one.yaml"),
        str(root / "a/deep/two.yaml"),
    ]
    assert sorted(remembering) == [str(root / "a"), str(root / "b")]


def test_a_directory_changed_just_now_is_listed_every_time(tree: Path, remembering: list[str]) -> None:
    """Within the clock's granularity a later change may not move the mtime ("racy"): never trusted."""
    root = tree
    (root / "b/fresh.yaml").write_text("kind: ConfigMap\n")  # b's mtime is now
    walked(root)
    remembering.clear()
    (root / "b/fresher.yaml").write_text("kind: ConfigMap\n")
    assert str(root / "b/fresher.yaml") in walked(root)
    assert remembering == [str(root / "b")]


def test_folders_with_links_are_listed_every_time(tree: Path, remembering: list[str]) -> None:
    root = tree
    (root / "b/alias.yaml").symlink_to(root / "a/one.yaml")
    os.utime(root / "b", (LONG_AGO, LONG_AGO))
    walked(root)
    remembering.clear()
    walked(root)
    assert remembering == [str(root / "b")]  # a link's target may change without its folder changing


@pytest.fixture
def kept() -> Iterator[None]:
    keep_open()
    yield
    cache_module._KEPT = None


def test_a_kept_cache_is_handed_out_again_and_written_when_asked(
    tmp_path: Path, kept: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text("kind: ConfigMap\n")  # entries of files that are gone are not written
    folder = tmp_path / "cache"
    first = ScanCache.open(folder)
    first.put("a.yaml", b"0" * 16, "default", [], [], index=[])
    first.save(background=False)  # deferred: the worker writes when idle
    assert not (folder / "scan.pack").exists()
    again = ScanCache.open(folder)
    assert again is first and again.used == set()
    save_kept()
    deadline = time.monotonic() + 30
    while not (folder / "scan.pack").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(-1, os.WNOHANG)  # reap the writer
    cache_module._KEPT = None
    fresh = ScanCache.open(folder)
    assert fresh is not first and fresh.index_of("a.yaml", b"0" * 16, "default") == []


def test_the_socket_folder_must_be_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    folder = address.runtime_dir(create=True)
    assert folder == str(tmp_path / "pomgate")
    os.chmod(folder, 0o755)  # others could swap the socket: no worker
    assert address.runtime_dir(create=True) is None
    assert address.socket_path(str(tmp_path)) is None


def test_the_address_follows_the_directory_and_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    package = tmp_path / "package"
    package.mkdir()
    (package / "module.py").write_text("x = 1\n")
    stamp = address.code_stamp(str(package))
    here = address.socket_path(str(tmp_path), create=True, stamp=stamp)
    assert here is not None and here == address.socket_path(str(tmp_path), stamp=stamp)
    assert address.socket_path(str(package), stamp=stamp) != here
    (package / "module.py").write_text("x = 22\n")  # new code: a new worker, never the old one
    assert address.code_stamp(str(package)) != stamp


def test_a_long_socket_path_is_reached_from_its_folder(tmp_path: Path) -> None:
    import socket

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    path = str(deep / "worker.sock")
    here = os.getcwd()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with address.reachable(path) as name:
        server.bind(name)
    server.listen(1)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with address.reachable(path) as name:
        client.connect(name)
    assert os.getcwd() == here
    client.close()
    server.close()
