"""The wheel holds every file of Forge's packages, so an installed Forge grades like a checkout."""

import shutil
import subprocess
import sys
import zipfile

import pytest

from support import ROOT

PACKAGES = ("grader", "solutions", "exercises")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    # Build from a copy of the tracked files only, as a fresh clone would: build
    # leftovers in the checkout (an egg-info's file list) can hide a missing file.
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in listed.stdout.splitlines():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    folder = tmp_path_factory.mktemp("wheel")
    # pip builds in an isolated environment with the setuptools pyproject.toml asks for.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(folder), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = folder.glob("backprop_forge-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def tracked_package_files() -> set[str]:
    listed = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=True)
    return {name for name in listed.stdout.splitlines() if name}


def test_wheel_has_every_tracked_package_file(wheel_names):
    missing = sorted(tracked_package_files() - wheel_names)
    assert not missing, f"files the wheel leaves out: {missing}"


def test_wheel_has_the_console_script(wheel_names):
    entry_points = [name for name in wheel_names if name.endswith("entry_points.txt")]
    assert entry_points
