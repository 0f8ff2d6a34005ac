"""Grading results: plain records that the CLI renders and exports."""

from __future__ import annotations

from dataclasses import dataclass, field

PASSED, FAILED, ERROR = "passed", "failed", "error"


@dataclass(frozen=True)
class TestResult:
    """The verdict on one test of a hidden suite."""

    __test__ = False  # not a pytest test class, despite its name

    name: str
    """The test's name, e.g. ``backward_dx[ReLU]``."""
    score: float
    """Points earned: all of ``max_score`` or none."""
    max_score: float
    """Points the test is worth."""
    status: str
    """``passed``, ``failed`` (wrong numbers) or ``error`` (the code raised,
    crashed, timed out or returned something unusable)."""
    message: str = ""
    """What was checked, expected and received; empty for a passed test."""
    hint: str = ""
    """The hint shown with a failure (the first level unless more were revealed)."""
    hints: tuple[str, ...] = field(default=(), compare=False)
    """Every hint level, from the concept to the formula."""
    kind: str | None = None
    """The kind of mistake the diagnosis named (a key of ``testkit.diagnosis.KINDS``)."""
    hint_level: int = 0
    """Index into ``hints`` of the hint shown."""
    fault: str | None = field(default=None, compare=False)
    """For an ``error``, the kind of fault in the submission (``Fault.kind``: timeout,
    memory, crash, load, ...); None when the test passed, failed or the grader erred."""

    def to_json(self) -> dict:
        """Return the test in the ``--json`` schema."""
        return {
            "name": self.name,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class Report:
    """The verdict on one exercise of one submission."""

    exercise: str
    """Exercise id, e.g. ``exercise3``."""
    alias: str
    source: str
    """The file that was graded, as given."""
    seed: int
    tests: tuple[TestResult, ...]
    load_error: str | None = None
    """Why the module could not be imported, if it could not."""

    @property
    def score(self) -> float:
        return round(sum(test.score for test in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(test.max_score for test in self.tests), 6)

    @property
    def full_marks(self) -> bool:
        return bool(self.tests) and self.score == self.max_score

    def to_json(self) -> dict:
        """Return the report in the ``--json`` schema."""
        return {
            "exercise": self.exercise,
            "score": self.score,
            "max_score": self.max_score,
            "seed": self.seed,
            "tests": [test.to_json() for test in self.tests],
        }
