"""What to grade and how: the request that every grading command builds.

Free of numpy and pytest, so the command line can start the worker first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from .catalog import Exercise
from .worker.process import Launcher, Limits, WorkerProcess


class InvalidSelection(ValueError):
    """The ``-k`` expression is not one pytest can read."""


@dataclass(frozen=True)
class GradeRequest:
    """What to grade and how."""

    exercise: Exercise
    source: Path
    """The Python file to grade."""
    seed: int
    limits: Limits = Limits()
    launcher: Launcher | None = None
    """Wraps the worker's command line, e.g. in a sandbox."""
    select: str | None = None
    """A pytest ``-k`` expression to grade only some tests."""


def new_seed() -> int:
    """Draw a fresh seed for a run (31 bits, easy to type back with --seed)."""
    return secrets.randbelow(2**31)


def start_worker(request: GradeRequest) -> WorkerProcess:
    """Start the worker for ``request`` ahead of :func:`grade` (which then adopts it)."""
    return WorkerProcess.spawn(request.limits, cwd=request.source.parent, launcher=request.launcher)


