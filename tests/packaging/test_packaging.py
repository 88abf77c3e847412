"""The wheel and sdist: they build, carry the examples and rule docs, and report the right version."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import pomgate

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        import build  # noqa: F401
    except ImportError:
        pytest.skip("the build package is not installed (pip install '.[test]')")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(PROJECT)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "deprecated" not in done.stderr.lower() + done.stdout.lower()
    return out


def test_wheel_has_the_package_examples_docs_and_version(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pomgate/cli/app.py" in names and "pomgate/rules/k8s/ingress_path.py" in names
    data = f"pomgate-{pomgate.__version__}.data/data/share/pomgate/"
    for folder in ("examples", "docs"):
        for path in (PROJECT / folder).rglob("*"):
            if path.is_file():
                assert data + path.relative_to(PROJECT).as_posix() in names, path
    metadata = zipfile.ZipFile(wheel).read(f"pomgate-{pomgate.__version__}.dist-info/METADATA").decode()
    assert f"\nVersion: {pomgate.__version__}\n" in metadata
    entry_points = zipfile.ZipFile(wheel).read(f"pomgate-{pomgate.__version__}.dist-info/entry_points.txt").decode()
    assert "pomgate = pomgate.cli.entry:main" in entry_points  # the console script
    assert not any("__pycache__" in name or name.startswith("tests/") for name in names)


def test_installed_wheel_reports_its_version(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pomgate, sys; print(pomgate.__file__); sys.argv=['pomgate','--version'];"
            "from pomgate.cli.app import main; main()",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(target) in done.stdout.splitlines()[0]
    assert pomgate.__version__ in done.stdout


def test_sdist_has_tests_examples_and_ci_files(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for wanted in (
        "tests/helpers.py",
        "tests/packaging/test_packaging.py",
        "examples/apps/admin/admin.yaml",
        "docs/rules.md",
        "action.yml",
        ".pre-commit-hooks.yaml",
        "Dockerfile",
        "benchmarks/runner.py",
    ):
        assert wanted in names, wanted
