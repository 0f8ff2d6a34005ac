"""Run tasks on a fixed number of job processes, with a deadline per exercise.

The pool replaces a job that passes the per-submission limit or dies. The
exercise under way is recorded (``timeout`` with the points already earned,
or ``internal-error``), and the task's other exercises go back to the queue.
A fresh job then takes the place of the old one. Nothing a submission does can
stop the pool.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait
from typing import Callable

from .. import __version__
from ..records import TestResult
from . import reaper
from .job import JobConfig, job_main
from .records import INTERNAL_ERROR, TIMEOUT, ExerciseResult, Task, total

#: Seconds a new job may take to import pytest and numpy before its first task counts.
STARTUP_SECONDS = 60.0
POLL_SECONDS = 0.25
MAX_ATTEMPTS = 3


@dataclass
class Slot:
    """One job process and what it is doing."""

    process: multiprocessing.Process
    connection: object
    ready: bool = False
    task: Task | None = None
    queued: Task | None = None
    """The task sent ahead, which the job stages while it grades ``task``."""
    exercise: str | None = None
    """The exercise being graded, once the job has reported its start."""
    remaining: list[str] = field(default_factory=list)
    """Exercises of the task without a result yet."""
    tests: list[TestResult] = field(default_factory=list)
    """Results of the current exercise's tests so far."""
    deadline: float = 0.0
    started: float = 0.0
    """``time.monotonic()`` when the current exercise (or, before its start, the task) began."""


class Pool:
    """Grades tasks on ``size`` job processes; ``on_result`` receives every result."""

    def __init__(self, size: int, config: JobConfig, submission_timeout: float,
                 on_result: Callable[[ExerciseResult], None]):
        self.size = size
        self.config = config
        self.submission_timeout = submission_timeout
        self.on_result = on_result
        self.context = multiprocessing.get_context("spawn")
        self.slots: list[Slot] = []
        self.queue: deque[Task] = deque()

    def run(self, tasks: list[Task]) -> None:
        """Grade every task; return when all have results."""
        self.queue.extend(tasks)
        self.slots = [self.spawn() for _ in range(min(self.size, len(tasks)))]
        while self.queue or any(slot.task is not None for slot in self.slots):
            for slot in self.slots:
                if slot.task is None and self.queue:
                    self.assign(slot, self.queue.popleft())
                if slot.task is not None and slot.queued is None and slot.ready and len(self.queue) > self.idle():
                    slot.queued = self.queue.popleft()
                    slot.connection.send(slot.queued)
            connections = [slot.connection for slot in self.slots]
            sentinels = [slot.process.sentinel for slot in self.slots]
            wait([*connections, *sentinels], timeout=POLL_SECONDS)
            for index, slot in enumerate(self.slots):
                self.slots[index] = self.check(slot)

    def close(self) -> None:
        """Stop every job, politely if idle, by force if busy."""
        for slot in self.slots:
            if slot.task is None and slot.process.is_alive():
                try:
                    slot.connection.send(None)
                except (OSError, ValueError):
                    pass
        for slot in self.slots:
            slot.process.join(timeout=2 if slot.task is None else 0)
            self.kill(slot)
        self.slots = []

    # -- one job ----------------------------------------------------------

    def spawn(self) -> Slot:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=job_main, args=(child_end, self.config), daemon=True,
                                       name="forge-batch-job")
        process.start()
        child_end.close()
        return Slot(process, parent_end)

    def assign(self, slot: Slot, task: Task) -> None:
        self.start(slot, task)
        slot.connection.send(task)

    def start(self, slot: Slot, task: Task) -> None:
        """Make ``task`` the slot's current one (already sent to the job, or about to be)."""
        slot.task = task
        slot.remaining = list(task.exercises)
        slot.exercise = None
        slot.tests = []
        slot.started = time.monotonic()
        slot.deadline = slot.started + self.submission_timeout + (0 if slot.ready else STARTUP_SECONDS)

    def idle(self) -> int:
        """Slots with nothing to do: queued tasks go ahead to busy slots only beyond these."""
        return sum(slot.task is None for slot in self.slots)

    def check(self, slot: Slot) -> Slot:
        """Read the slot's messages; replace its job if it died or passed its deadline."""
        try:
            while slot.connection.poll():
                self.handle(slot, slot.connection.recv())
        except (EOFError, OSError):
            pass  # the job is gone; its death is handled below
        if slot.task is None:
            return slot if slot.process.is_alive() else self.spawn()
        if not slot.process.is_alive():
            code = slot.process.exitcode
            return self.replace(slot, INTERNAL_ERROR, f"the grading process ended unexpectedly (exit code {code})")
        if time.monotonic() > slot.deadline:
            return self.replace(slot, TIMEOUT, f"grading took longer than the per-submission limit of "
                                               f"{self.submission_timeout:g} s")
        return slot

    def handle(self, slot: Slot, message: tuple) -> None:
        kind = message[0]
        if kind == "ready":
            slot.ready = True
        elif kind == "start":
            slot.exercise, slot.tests = message[1], []
            slot.started = time.monotonic()
            slot.deadline = slot.started + self.submission_timeout
        elif kind == "test":
            slot.tests.append(message[2])
        elif kind == "result":
            result: ExerciseResult = message[1]
            if result.exercise in slot.remaining:
                slot.remaining.remove(result.exercise)
            slot.exercise, slot.tests = None, []
            self.on_result(result)
        elif kind == "done":
            slot.task, slot.remaining, slot.exercise = None, [], None
            if slot.queued is not None:
                self.start(slot, slot.queued)
                slot.queued = None

    def replace(self, slot: Slot, status: str, reason: str) -> Slot:
        """Record the exercise under way, requeue the task's others, start a new job."""
        self.kill(slot)
        task = slot.task
        if slot.queued is not None:
            self.queue.appendleft(slot.queued)  # sent ahead but never started: no attempt used
            slot.queued = None
        if slot.exercise is None and not slot.remaining:
            return self.spawn()  # every exercise has its result; only "done" was missing
        current = slot.exercise if slot.exercise is not None else slot.remaining[0]
        self.on_result(self.stopped(task, current, status, reason, slot.tests, time.monotonic() - slot.started))
        others = [exercise for exercise in slot.remaining if exercise != current]
        if slot.exercise is None:  # stopped while staging: every exercise shares the fate
            for exercise in others:
                self.on_result(self.stopped(task, exercise, status, reason, []))
        elif others and task.attempt < MAX_ATTEMPTS:
            self.queue.appendleft(replace(task, exercises=tuple(others), attempt=task.attempt + 1))
        else:
            for exercise in others:
                self.on_result(self.stopped(task, exercise, status, reason, []))
        return self.spawn()

    def stopped(self, task: Task, exercise: str, status: str, reason: str,
                tests: list[TestResult], seconds: float = 0.0) -> ExerciseResult:
        """The result of an exercise whose job was ended after ``seconds`` on it (0 if it never started)."""
        settings = dict(self.config.settings)
        return ExerciseResult(
            submission=task.entry.submission, exercise=exercise, seed=self.config.seed, status=status,
            score=total(tests), max_score=0.0, reason=reason, tests=tuple(tests), source=task.entry.name,
            digest=task.entry.digest, settings=settings[exercise], seconds=seconds, forge_version=__version__,
        )

    def kill(self, slot: Slot) -> None:
        """End the job and every process under it, the submission's worker included."""
        if slot.process.is_alive() and slot.process.pid is not None:
            killed = reaper.kill_descendants(slot.process.pid)
            slot.process.kill()
            slot.process.join(timeout=5)
            reaper.reap(killed)
        slot.connection.close()
