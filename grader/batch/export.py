"""Build a Gradescope autograder that grades with Forge's hidden suites.

The archive follows Gradescope's autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/):
``setup.sh`` and ``run_autograder`` at its root, the rest copied to
``/autograder/source``. It carries Forge as a wheel built from the
installed package, so the image installs Forge without access to its
repository (pip fetches numpy, pytest and the other dependencies from PyPI).
``run_autograder`` grades ``/autograder/submission`` with ``forge-grade
batch`` (as a zip when the folder holds only a ``.zip``, else as a
workspace) and copies the submission's Gradescope results to
``/autograder/results/results.json``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import shlex
import zipfile
from pathlib import Path

from .. import __version__
from ..catalog import FORGE_DIRS, Exercise
from .outputs import OutputError, check_writable_file

DISTRIBUTION = "backprop-forge"
WHEEL_NAME = "backprop_forge"
SKIPPED_PARTS = ("__pycache__", ".pytest_cache")
EXECUTABLE = 0o755

SETUP_SH = """#!/usr/bin/env bash
# Install Forge into /autograder/forge-venv. Gradescope runs this once, as
# root, while it builds the autograder's image.
set -euo pipefail
apt-get install -y python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/forge-venv
/autograder/forge-venv/bin/pip install --upgrade pip
/autograder/forge-venv/bin/pip install /autograder/source/{wheel}
/autograder/forge-venv/bin/forge-grade list
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grade the submission in $ROOT/submission and write $ROOT/results/results.json.
# Gradescope runs this for every submission. FORGE_AUTOGRADER_ROOT and
# FORGE_GRADE override the folder and the command, to try it elsewhere.
set -uo pipefail
ROOT="${{FORGE_AUTOGRADER_ROOT:-/autograder}}"
FORGE="${{FORGE_GRADE:-$ROOT/forge-venv/bin/forge-grade}}"
WORK="$(mktemp -d)"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results" "$WORK/submissions"
# A submission folder holding only a .zip is graded as that archive (Forge
# extracts it safely); any other folder is graded as a workspace.
entries=("$ROOT"/submission/*)
if [ "${{#entries[@]}}" -eq 1 ] && [ -f "${{entries[0]}}" ] && [[ "${{entries[0],,}}" == *.zip ]]; then
  cp "${{entries[0]}}" "$WORK/submissions/{student}.zip"
else
  cp -R "$ROOT/submission" "$WORK/submissions/{student}"
fi
$FORGE batch "$WORK/submissions" {options} --jobs 1 --output "$WORK/out" --gradescope "$WORK/gradescope"
status=$?
if [ -f "$WORK/gradescope/{student}/results.json" ]; then
  cp "$WORK/gradescope/{student}/results.json" "$RESULTS"
else
  printf '{{"score": 0, "output": "Forge could not grade this submission (exit status %s). Please tell your instructor."}}\\n' "$status" > "$RESULTS"
fi
rm -rf "$WORK"
"""


class ExportError(Exception):
    """The export cannot be written; the message gives the reason."""


def export_gradescope(*, output: Path, exercises: list[Exercise], seed: int, timeout: float,
                      submission_timeout: float, memory: int) -> list[str]:
    """Write the autograder archive to ``output``; return the names of its files."""
    if output.suffix.lower() != ".zip":
        raise ExportError(f"--output {str(output)!r} must be a .zip file, e.g. autograder.zip: Gradescope "
                          "takes the autograder as a zip archive")
    try:
        check_writable_file(output, "--output")
    except OutputError as error:
        raise ExportError(str(error)) from None
    wheel_name, wheel = build_wheel()
    options = [part for exercise in exercises for part in ("--exercise", exercise.id)]
    options += ["--seed", str(seed), "--timeout", f"{timeout:g}", "--submission-timeout", f"{submission_timeout:g}",
                "--memory", str(memory)]
    files = {
        "setup.sh": SETUP_SH.format(wheel=wheel_name),
        "run_autograder": RUN_AUTOGRADER.format(options=shlex.join(options), student="student"),
    }
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            write_member(archive, name, text.encode(), EXECUTABLE)
        write_member(archive, wheel_name, wheel, 0o644)
    return [*files, wheel_name]


def write_member(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_wheel() -> tuple[str, bytes]:
    """Build a pure-Python wheel of the installed Forge: its packages, metadata and command."""
    name = f"{WHEEL_NAME}-{__version__}-py3-none-any.whl"
    dist_info = f"{WHEEL_NAME}-{__version__}.dist-info"
    members: dict[str, bytes] = {}
    for folder in FORGE_DIRS:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder.parent)
            if path.is_file() and not any(part in SKIPPED_PARTS for part in relative.parts) \
                    and path.suffix != ".pyc":
                members[relative.as_posix()] = path.read_bytes()
    members[f"{dist_info}/METADATA"] = metadata_text().encode()
    members[f"{dist_info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: forge-grade export\n"
                                     "Root-Is-Purelib: true\nTag: py3-none-any\n").encode()
    members[f"{dist_info}/entry_points.txt"] = b"[console_scripts]\nforge-grade = grader.cli:main\n"
    members[f"{dist_info}/top_level.txt"] = "".join(f"{f.name}\n" for f in FORGE_DIRS).encode()
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in members.items())
    members[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in members.items():
            write_member(wheel, path, data, 0o644)
    return name, buffer.getvalue()


def metadata_text() -> str:
    """Core metadata: name, version, Python and the dependencies of the installed Forge."""
    try:
        installed = importlib.metadata.metadata(DISTRIBUTION)
        requires = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        raise ExportError(f"Forge is not installed as {DISTRIBUTION!r}, so its dependencies are unknown; "
                          "install it with pip first (pip install -e .)") from None
    lines = ["Metadata-Version: 2.1", f"Name: {DISTRIBUTION}", f"Version: {__version__}",
             f"Summary: {installed.get('Summary', '')}"]
    if installed.get("Requires-Python"):
        lines.append(f"Requires-Python: {installed['Requires-Python']}")
    lines += [f"Requires-Dist: {requirement}" for requirement in requires if "extra ==" not in requirement]
    return "\n".join(lines) + "\n"


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"
