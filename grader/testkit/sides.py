"""The two sides a suite runs its steps on: the candidate's code and the reference.

The candidate side sends steps to a worker process; the reference side runs
them in the grader with the same interpreter. Both return :class:`Results`
holding plain data, so the suites compare like with like.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

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
        labels = [step.label for step in steps]
        for label in labels:
            if label in self._timed_out:
                earlier = self._timed_out[label]
                raise CandidateError(
                    replace(earlier, kind="skipped", message=f"not run again: {earlier.message} in an earlier test"),
                    label,
                )
        try:
            replies = self.client.run([step.message for step in steps])
        except SubmissionFault as error:
            fault = error.fault
            label = labels[fault.step] if fault.step is not None and fault.step < len(labels) else "loading your module"
            if fault.kind == "timeout":
                self._timed_out[label] = fault
            raise CandidateError(fault, label) from None
        return Results([r.value for r in replies], [r.warnings for r in replies])

    def release(self) -> None:
        """Let the worker drop every object made so far (called after each test)."""
        self.client.release()


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

        messages = [copy.deepcopy(step.message) for step in steps]
        try:
            interpreter.run(messages, collect)
        except StepError as error:
            label = list(steps)[error.info.get("step", 0)].label
            raise ReferenceFailure(f"the reference failed at {label}: {error.info}") from None
        return Results(values, warnings)


@dataclass(frozen=True)
class Pair:
    """The same steps' results on both sides."""

    got: Results
    want: Results


def run_both(candidate: CandidateSide, reference: ReferenceSide, steps: Steps) -> Pair:
    """Run ``steps`` on the reference first (cheap, trusted), then on the candidate."""
    want = reference.run(steps)
    got = candidate.run(steps)
    return Pair(got, want)
