"""A job process: stage submissions and grade them, one task at a time.

The batch's main process starts ``--jobs`` of these and sends each a
:class:`Task` over a pipe, and the job replies with messages (Python objects of
Forge's own, between two grader processes; the submission's worker is
still a third process that exchanges only plain data):

- ``("start", exercise)`` when grading of an exercise begins;
- ``("test", exercise, TestResult)`` after every test, so that a job killed
  at the per-submission limit keeps the points already earned;
- ``("result", ExerciseResult)`` when an exercise is graded or rejected;
- ``("done",)`` when the task is finished.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

from .. import __version__
from ..catalog import find
from ..records import Report
from ..request import GradeRequest, start_worker
from ..sandbox import ResourceLimits, Sandbox, copy_worker_files, plain_launcher
from ..worker.process import Limits, WorkerProcess, WorkerStartError
from . import reaper
from .archives import Rejected, remove, stage
from .modules import ModuleMissing, find_module
from .records import INTERNAL_ERROR, LOAD_ERROR, MISSING, REJECTED, ExerciseResult, Task, status_of_tests, total


@dataclass(frozen=True)
class JobConfig:
    """What every job needs to grade like the others."""

    seed: int
    limits: Limits
    resources: ResourceLimits
    select: str | None
    exercise_count: int
    settings: tuple[tuple[str, str], ...]
    """Each exercise id with its settings fingerprint."""
    work_root: str
    """Private folder where submissions are staged."""
    bwrap: str | None
    """The bwrap to sandbox workers with, or None for the plain worker."""


def job_main(connection: Connection, config: JobConfig) -> None:
    """Serve tasks until the main process sends None or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    reaper.become_subreaper()
    from ..worker.limits_entry import die_with_parent

    die_with_parent()
    from .. import engine  # noqa: F401 - import pytest and numpy before the first task

    job = Job(connection, config)
    connection.send(("ready",))
    job.serve()


@dataclass
class Prepared:
    """A task whose submission is staged, and whose first worker may already be starting."""

    task: Task
    folder: Path
    """Private folder holding the staged copy."""
    root: Path | None = None
    """The staged submission, or None if it was rejected."""
    rejection: str = ""
    worker: WorkerProcess | None = None
    """The first exercise's worker, when it was started ahead."""


class Job:
    """Grades the tasks one job process receives.

    While it grades one task, it stages the next one (when the main process
    has already sent it) and starts that task's worker, so the worker's
    start-up (Python, numpy) overlaps with grading instead of adding to it.
    """

    def __init__(self, connection: Connection, config: JobConfig):
        self.connection = connection
        self.config = config
        self.settings = dict(config.settings)
        self.stopping = False
        self.worker_copy = None
        if config.bwrap is not None:
            self.worker_copy = copy_worker_files(Path(tempfile.mkdtemp(prefix="worker-", dir=config.work_root)))

    def serve(self) -> None:
        upcoming: Prepared | None = None
        while True:
            if upcoming is None:
                task = self.receive(block=True)
                if task is None:
                    return
                upcoming = self.prepare(task, start_worker_early=False)
            upcoming = self.run(upcoming)
            self.connection.send(("done",))
            if upcoming is None and self.stopping:
                return

    def receive(self, block: bool) -> Task | None:
        """The next task, or None when there is none (yet) or the main process requests a stop."""
        if self.stopping or (not block and not self.connection.poll()):
            return None
        try:
            task = self.connection.recv()
        except EOFError:
            task = None
        if task is None:
            self.stopping = True
        return task

    def prepare(self, task: Task, start_worker_early: bool) -> Prepared:
        """Stage the task's submission; optionally start its first exercise's worker."""
        prepared = Prepared(task, Path(tempfile.mkdtemp(prefix="submission-", dir=self.config.work_root)))
        try:
            if task.entry.problem:
                raise Rejected(task.entry.problem)
            prepared.root = stage(task.entry.kind, Path(task.path), prepared.folder / "copy")
        except Rejected as error:
            prepared.rejection = str(error)
            return prepared
        if start_worker_early:
            prepared.worker = start_worker_quietly(self.request_for(prepared.root, task.exercises[0]))
        return prepared

    def run(self, prepared: Prepared) -> Prepared | None:
        """Grade every exercise of a prepared task; return the next task, prepared meanwhile."""
        upcoming = None
        try:
            task = prepared.task
            if prepared.root is None:
                for exercise in task.exercises:
                    self.send_result(self.record(task, exercise, REJECTED, prepared.rejection))
                upcoming = self.prepare_next()
                return upcoming
            for index, exercise in enumerate(task.exercises):
                self.connection.send(("start", exercise))
                early = prepared.worker if index == 0 else None
                if early is None and index == 0:
                    request = self.request_for(prepared.root, exercise)
                    early = start_worker_quietly(request)
                if index == 0:
                    upcoming = self.prepare_next()
                self.send_result(self.grade_one(task, exercise, prepared.root, early))
            return upcoming
        finally:
            remove(prepared.folder)
            keep = [upcoming.worker.process.pid] if upcoming is not None and upcoming.worker else []
            reaper.reap(reaper.kill_descendants(os.getpid(), keep=keep))
            reaper.reap_zombies(os.getpid())

    def prepare_next(self) -> Prepared | None:
        task = self.receive(block=False)
        return self.prepare(task, start_worker_early=True) if task is not None else None

    def request_for(self, root: Path, exercise_id: str) -> GradeRequest | None:
        """The request grading ``exercise_id`` in ``root``, or None if its module is missing."""
        exercise = find(exercise_id)
        try:
            source = find_module(root, exercise, self.config.exercise_count)
        except Rejected:
            return None
        return GradeRequest(exercise, source, self.config.seed, self.config.limits,
                            launcher=self.launcher(root, source), select=self.config.select)

    def grade_one(self, task: Task, exercise_id: str, root: Path, worker: WorkerProcess | None) -> ExerciseResult:
        exercise = find(exercise_id)
        try:
            source = find_module(root, exercise, self.config.exercise_count)
        except ModuleMissing as error:
            return self.record(task, exercise_id, MISSING, str(error))
        except Rejected as error:
            return self.record(task, exercise_id, REJECTED, str(error))
        shown = shown_source(task, root, source)
        request = GradeRequest(exercise, source, self.config.seed, self.config.limits,
                               launcher=self.launcher(root, source), select=self.config.select)
        started = time.monotonic()
        try:
            from ..engine import grade

            report = grade(request, worker,
                           on_result=lambda test: self.connection.send(("test", exercise_id, test)))
        except WorkerStartError as error:
            return self.record(task, exercise_id, INTERNAL_ERROR, f"the worker could not start: {error}")
        except Exception as error:  # noqa: BLE001 - one submission's trouble must not end the batch
            return self.record(task, exercise_id, INTERNAL_ERROR, f"{type(error).__name__}: {error}")
        report = relabel(report, root, "" if task.entry.kind == "file" else f"{task.entry.name}/")
        return self.from_report(task, exercise_id, report, shown, time.monotonic() - started)

    def launcher(self, root: Path, source: Path):
        if self.worker_copy is None:
            return plain_launcher(self.config.resources)
        return Sandbox(Path(self.config.bwrap), self.worker_copy, root, source.parent, self.config.resources)

    def from_report(self, task: Task, exercise: str, report: Report, shown: str, seconds: float) -> ExerciseResult:
        if report.load_error:
            status, reason = LOAD_ERROR, report.load_error.splitlines()[0]
        else:
            status, reason = status_of_tests(report.tests)
        return ExerciseResult(
            submission=task.entry.submission, exercise=exercise, seed=self.config.seed, status=status,
            score=total(report.tests), max_score=report.max_score, reason=reason, tests=report.tests,
            source=shown, digest=task.entry.digest, settings=self.settings[exercise], seconds=seconds,
            forge_version=__version__,
        )

    def record(self, task: Task, exercise: str, status: str, reason: str) -> ExerciseResult:
        """A result without tests; the main process adds the suite's tests as not run."""
        return ExerciseResult(
            submission=task.entry.submission, exercise=exercise, seed=self.config.seed, status=status,
            score=0.0, max_score=0.0, reason=reason, digest=task.entry.digest,
            settings=self.settings[exercise], source=task.entry.name, forge_version=__version__,
        )

    def send_result(self, result: ExerciseResult) -> None:
        self.connection.send(("result", result))


def start_worker_quietly(request: GradeRequest | None) -> WorkerProcess | None:
    """Start the worker for ``request`` ahead of grading; None if there is none or it fails
    (grading then starts it again and reports the error)."""
    if request is None:
        return None
    try:
        return start_worker(request)
    except WorkerStartError:
        return None


def relabel(report: Report, root: Path, prefix: str) -> Report:
    """Show paths inside the staged copy as the instructor named them (``alice.zip/...``)."""
    staged = {f"{root}{os.sep}", f"{root.resolve()}{os.sep}"}

    def text(value: str) -> str:
        for path in staged:
            value = value.replace(path, prefix)
        return value

    tests = tuple(replace(test, message=text(test.message)) for test in report.tests)
    load_error = text(report.load_error) if report.load_error else report.load_error
    return replace(report, tests=tests, load_error=load_error)


def shown_source(task: Task, root: Path, source: Path) -> str:
    """Name the graded file as the instructor named it: ``alice.zip/exercises/ex02_linear.py``."""
    if task.entry.kind == "file":
        return task.entry.name
    return f"{task.entry.name}/{source.relative_to(root).as_posix()}"
