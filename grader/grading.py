"""Grade one source and keep the workspace's record: what every grading command shares.

The CLI's ``grade`` and ``hint`` commands, the interview and the check from
inside a notebook all come through :func:`grade_source`. It starts the worker
before importing the engine (so numpy loads in the worker while pytest loads
here), grades, records the run in the workspace's progress database and
shows each failed test's hint at the level reached.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable

from .hints import with_levels, without_hints
from .progress.store import ProgressError, Run, workspace_store
from .records import PASSED, Report
from .request import GradeRequest, start_worker
from .workspace import Source


@dataclass(frozen=True)
class Graded:
    """A report, and the warnings about keeping the record (never fatal)."""

    report: Report
    warnings: list[str] = field(default_factory=list)


def grade_source(request: GradeRequest, source: Source, *, mode: str = "grade", hints: bool = True,
                 clock: Callable[[], float] = time.time) -> Graded:
    """Grade ``source`` and record the run when it belongs to a workspace."""
    worker = start_worker(request)
    from .engine import grade  # imported after the worker starts: it pulls in pytest

    started = clock()
    report = grade(request, worker)
    report = dataclasses.replace(report, source=source.shown)
    warnings: list[str] = []
    if source.workspace is not None:
        try:
            report = record(report, source, started, clock() - started, mode,
                            partial=request.select is not None)
        except ProgressError as error:
            warnings.append(f"the run was graded but not recorded: {error}")
    if not hints:
        report = without_hints(report)
    return Graded(report, warnings)


def record(report: Report, source: Source, started: float, duration: float, mode: str, *,
           partial: bool) -> Report:
    """Store the run in the workspace and return the report with its hint levels applied.

    A ``partial`` run (only some tests, with ``-k``) is not stored: its score
    is not comparable with full runs.
    """
    failed = tuple(test.name for test in report.tests if test.status != PASSED)
    with workspace_store(source.workspace) as store:
        if not partial:
            store.record_run(Run(report.exercise, started, duration, report.score, report.max_score,
                                 report.seed, mode, failed))
        levels = store.hint_levels(report.exercise)
    return with_levels(report, levels)
