"""Helpers for the batch tests: build submissions folders, run forge-grade batch, read its outputs."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.sandbox import SandboxUnavailable, probe

ROOT = Path(__file__).resolve().parent.parent
MISBEHAVING = ROOT / "tests" / "misbehaving"
LINEAR = ROOT / "tests" / "submissions" / "ex02_linear"


def add_misbehaving(folder: Path, name: str, student: str | None = None) -> Path:
    """Add tests/misbehaving/<name>.py as a workspace folder (with linear_base.py) named ``student``."""
    target = folder / (student or name)
    target.mkdir(parents=True)
    shutil.copyfile(MISBEHAVING / f"{name}.py", target / "ex02_linear.py")
    shutil.copyfile(MISBEHAVING / "linear_base.py", target / "linear_base.py")
    return target


def add_file(folder: Path, source: Path, student: str) -> Path:
    """Add a copy of ``source`` as the single-file submission ``<student><suffix>``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{student}{source.suffix}"
    shutil.copyfile(source, target)
    return target


def forge(*args, env: dict | None = None):
    """Run forge-grade in this process (click's CliRunner)."""
    return CliRunner().invoke(main, [str(arg) for arg in args], env=env)


def forge_process(*args, env: dict | None = None, cwd: Path | None = None, timeout: float = 300):
    """Run forge-grade as a separate process; return the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT, timeout=timeout)


def read_csv(path: Path) -> dict[str, dict]:
    with open(path, newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def sandbox_problem() -> str | None:
    """Why no sandbox can be made here, or None when one can."""
    try:
        probe()
    except SandboxUnavailable as error:
        return str(error)
    return None
