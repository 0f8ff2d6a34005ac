"""Helpers shared by Forge's own tests: grade a file, list the hand-written submissions."""

from __future__ import annotations

import ast
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.catalog import Exercise, available, find
from grader.engine import grade
from grader.records import Report
from grader.request import GradeRequest
from grader.worker.process import Limits

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
KIND_LINE = re.compile(r"^kind:\s*(\S+)\s*$", re.MULTILINE)


def pristine_stub(exercise: Exercise, folder: Path) -> Path:
    """Copy the exercise's stub, as shipped, into ``folder`` and return the copy.

    A candidate may have solved the checkout's ``exercises/`` files, so the
    committed version is preferred; a solved file with no committed stub
    skips the test. Tests grade the copy, so nothing is recorded in the
    checkout's own ``.forge/``.
    """
    relative = f"exercises/{exercise.filename}"
    shown = subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True, text=True)
    text = shown.stdout if shown.returncode == 0 else (ROOT / relative).read_text()
    if "raise NotImplementedError" not in text:
        pytest.skip(f"{relative} is solved in this checkout and no committed stub is available")
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / exercise.filename
    copy.write_text(text)
    return copy


def grade_file(exercise: Exercise | str, path: Path, seed: int = 0, **limits) -> Report:
    """Grade one file in-process, as ``forge-grade --submission`` would."""
    exercise = find(exercise) if isinstance(exercise, str) else exercise
    return grade(GradeRequest(exercise, Path(path).resolve(), seed, Limits(**limits)))


def failures(report: Report) -> str:
    """Summarise a report's failed tests for an assertion message."""
    return "\n".join(f"{t.name}: {t.status}\n{t.message}" for t in report.tests if t.status != "passed")


@dataclass(frozen=True)
class Sample:
    """A hand-written submission from tests/submissions."""

    exercise: Exercise
    path: Path
    kind: str | None
    """For a buggy one, the kind of mistake its docstring declares."""

    @property
    def id(self) -> str:
        return f"{self.exercise.module}/{self.path.stem}"


def samples(prefix: str) -> list[Sample]:
    """Every submission file whose name starts with ``prefix`` (``correct_`` or ``bug_``)."""
    found = []
    for exercise in available():
        folder = SUBMISSIONS / exercise.module
        for path in sorted(folder.glob(f"{prefix}*.py")):
            docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
            match = KIND_LINE.search(docstring)
            found.append(Sample(exercise, path, match.group(1) if match else None))
    return found


def exercise_params() -> list:
    """Every installed exercise as a pytest parameter, with its module name as id."""
    return [pytest.param(exercise, id=exercise.module) for exercise in available()]
