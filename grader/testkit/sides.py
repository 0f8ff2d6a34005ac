"""The two sides a suite runs its steps on: the candidate's code and the reference.

The candidate side sends steps to a worker process; the reference side runs
them in the grader with the same interpreter. Both return :class:`Results`
holding plain data, so the suites compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np

from ..worker.client import Fault, SubmissionFault, WorkerClient
from ..worker.interpreter import Interpreter, StepError, StepResult
from .steps import Results, Steps


class CandidateError(Exception):
    """The candidate's code failed to produce a result for a step.

    The plugin turns this into an ``error`` verdict with the fault's message
    and the candidate's own file and line.
    """

    def __init__(self, fault: Fault, label: str):
        super().__init__(f"{label}: {fault.message}")
        self.fault = fault
        self.label = label


class ReferenceFailure(RuntimeError):
    """The reference solution raised: a bug in Forge, never the candidate's fault."""


class CandidateSide:
    """Runs steps on the submission, in its worker."""

    name = "candidate"

    def __init__(self, client: WorkerClient):
        self.client = client
        # Labels of calls that timed out: later steps with the same label fail
        # at once, so a submission that hangs costs one time limit, not one per test.
        self._timed_out: dict[str, Fault] = {}

    def run(self, steps: Steps) -> Results:
        """Run every step in the worker and return the replies.

        Objects made by the steps stay in the worker until :meth:`release`.
        """
        return self.submit(steps).result()

    def submit(self, steps: Steps) -> "PendingRun":
        """Send the steps to the worker and return at once; the result comes later.

        A test computes the reference's results while the worker runs.
        """
        labels = [step.label for step in steps]
        for label in labels:
            if label in self._timed_out:
                earlier = self._timed_out[label]
                raise CandidateError(
                    replace(earlier, kind="skipped", message=f"not run again: {earlier.message} in an earlier test"),
                    label,
                )
        try:
            self.client.submit([step.message for step in steps])
        except SubmissionFault as error:
            raise self._located(error.fault, labels) from None
        return PendingRun(self, labels)

    def _located(self, fault: Fault, labels: list[str]) -> CandidateError:
        label = labels[fault.step] if fault.step is not None and fault.step < len(labels) else "loading your module"
        if fault.kind == "timeout":
            self._timed_out[label] = fault
        return CandidateError(fault, label)

    def release(self) -> None:
        """Let the worker drop every object made so far (called after each test)."""
        self.client.release()


class PendingRun:
    """Steps sent to the worker whose replies have not been read yet."""

    def __init__(self, side: CandidateSide, labels: list[str]):
        self._side = side
        self._labels = labels

    def result(self) -> Results:
        """Wait for the replies (each call within the time limit) and return them."""
        try:
            replies = self._side.client.collect()
        except SubmissionFault as error:
            raise self._side._located(error.fault, self._labels) from None
        return Results([r.value for r in replies], [r.warnings for r in replies])


class ReferenceSide:
    """Runs steps on the reference solution, in the grader's own process."""

    name = "reference"

    def __init__(self, module: ModuleType):
        self.module = module

    def run(self, steps: Steps) -> Results:
        """Run every step in-process on a private copy of the inputs."""
        interpreter = Interpreter(self.module, source_dir=None)
        values: list[Any] = []
        warnings: list[list[dict]] = []

        def collect(result: StepResult) -> None:
            values.append(result.value)
            warnings.append(result.warnings)

        messages = [private_copy(step.message) for step in steps]
        try:
            interpreter.run(messages, collect)
        except StepError as error:
            label = list(steps)[error.info.get("step", 0)].label
            raise ReferenceFailure(f"the reference failed at {label}: {error.info}") from None
        return Results(values, warnings)


def private_copy(value: Any) -> Any:
    """Copy the arrays and containers of a step, as the pipe does for the worker.

    The reference then owns its inputs the way the candidate does, so neither
    side can change the suite's arrays. Numbers, strings and references are
    immutable and shared.
    """
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {key: private_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [private_copy(item) for item in value]
    if isinstance(value, tuple):
        return tuple(private_copy(item) for item in value)
    return value


@dataclass(frozen=True)
class Pair:
    """The same steps' results on both sides."""

    got: Results
    want: Results


def run_both(candidate: CandidateSide, reference: ReferenceSide, steps: Steps) -> Pair:
    """Run ``steps`` on both sides at once: the worker runs the candidate while
    this process runs the reference."""
    pending = candidate.submit(steps)
    want = reference.run(steps)
    return Pair(pending.result(), want)
