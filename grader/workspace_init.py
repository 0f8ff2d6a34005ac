"""``forge-grade init``: a fresh workspace with every stub, keeping any earlier attempt."""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path

from .catalog import available
from .notebooks.build import EXERCISES_DIR, write_notebook
from .progress.store import DATABASE, FORGE_DIR


class WorkspaceError(Exception):
    """The workspace cannot be created where asked; the message says why."""


@dataclass(frozen=True)
class InitResult:
    exercises_dir: Path
    written: list[Path]
    archived: Path | None
    """Where an earlier attempt's exercises/ folder was moved, if there was one."""
    notebooks: list[Path]


def init_workspace(directory: Path, *, notebooks: bool = False) -> InitResult:
    """Create ``directory/exercises`` with every stub (and ``notebooks/`` if asked)."""
    if directory.exists() and not directory.is_dir():
        raise WorkspaceError(f"{str(directory)!r} exists and is not a folder; choose a new folder name")
    target = directory / "exercises"
    archived = None
    try:
        if target.exists() and any(target.iterdir()):
            archived = directory / FORGE_DIR / "attempts" / datetime.datetime.now().strftime("%Y-%m-%dT%H-%M-%S")
            archived.mkdir(parents=True)
            shutil.move(str(target), str(archived / "exercises"))
            progress = directory / FORGE_DIR / DATABASE
            if progress.exists():  # the fresh start gets a fresh record; the old one stays with its attempt
                shutil.move(str(progress), str(archived / DATABASE))
            old_notebooks = directory / "notebooks"
            if notebooks and old_notebooks.exists():
                shutil.move(str(old_notebooks), str(archived / "notebooks"))
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for exercise in available():
            destination = target / exercise.filename
            shutil.copyfile(EXERCISES_DIR / exercise.filename, destination)
            written.append(destination)
        made = [write_notebook(exercise, directory / "notebooks") for exercise in available()] if notebooks else []
    except OSError as error:
        raise WorkspaceError(f"cannot set up a workspace in {str(directory)!r}: {error}") from None
    return InitResult(target, written, archived, made)
