"""Records of a batch: one result per submission and exercise, and the batch's settings."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..records import ERROR, TestResult

GRADED = "graded"
LOAD_ERROR = "load-error"
TIMEOUT = "timeout"
MEMORY = "memory"
CRASHED = "crashed"
MISSING = "missing"
REJECTED = "rejected"
INTERNAL_ERROR = "internal-error"

#: Every status, the most serious first: a submission's row shows the most
#: serious status among its exercises.
STATUSES = (INTERNAL_ERROR, REJECTED, LOAD_ERROR, TIMEOUT, MEMORY, CRASHED, MISSING, GRADED)
STATUS_MEANINGS = {
    GRADED: "every test ran; the score counts the passed ones",
    LOAD_ERROR: "the module could not be imported (syntax error, exception at import)",
    TIMEOUT: "a call passed the per-call limit, or grading passed the per-submission limit",
    MEMORY: "the code ran out of memory (the worker's memory limit)",
    CRASHED: "the worker process died (os._exit, a signal, a closed pipe)",
    MISSING: "the submission has no module for this exercise; its other exercises are graded",
    REJECTED: "the submission could not be graded (not a submission, a broken or hostile archive, an invalid "
              "notebook, two entries with one identifier)",
    INTERNAL_ERROR: "Forge itself failed; please report it",
}
#: Fault kinds of the worker (``Fault.kind``) and the status each one gives.
FAULT_STATUSES = {"timeout": TIMEOUT, "skipped": TIMEOUT, "memory": MEMORY, "crash": CRASHED,
                  "protocol": CRASHED}
#: Statuses that give an exercise no grade of its own. The summary's score
#: figures leave out a submission whose every exercise has one of them.
UNSCORED = (REJECTED, MISSING, INTERNAL_ERROR)


def most_serious(statuses) -> str:
    """Return the most serious of ``statuses`` (``graded`` when there are none)."""
    present = set(statuses)
    return next((status for status in STATUSES if status in present), GRADED)


@dataclass(frozen=True)
class ExerciseResult:
    """The verdict on one exercise of one submission: a line of the results log."""

    submission: str
    """The submission's identifier: its entry's name without .py, .ipynb or .zip (see :class:`Entry`)."""
    exercise: str
    """Exercise id, e.g. ``exercise2``."""
    seed: int
    status: str
    """One of :data:`STATUSES`."""
    score: float
    max_score: float
    reason: str = ""
    """Why the status is not ``graded``, in one line; empty when it is."""
    tests: tuple[TestResult, ...] = ()
    source: str = ""
    """The graded file within the submission, e.g. ``alice/exercises/ex02_linear.py``."""
    digest: str = ""
    """SHA-256 of the submission's entry, so a changed submission is graded again."""
    settings: str = ""
    """Fingerprint of what else decides the grade (suite, limits, sandbox)."""
    seconds: float = 0.0
    """Wall-clock time spent grading it."""
    forge_version: str = ""

    @property
    def key(self) -> tuple[str, str, int, str, str]:
        """What makes a result reusable when a batch resumes."""
        return (self.submission, self.exercise, self.seed, self.digest, self.settings)

    def to_json(self) -> dict:
        """Return the record in the results log's and ``--jsonl``'s schema."""
        return {
            "submission": self.submission,
            "exercise": self.exercise,
            "seed": self.seed,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "reason": self.reason,
            "source": self.source,
            "digest": self.digest,
            "settings": self.settings,
            "seconds": round(self.seconds, 3),
            "forge_version": self.forge_version,
            "tests": [{**test.to_json(), "fault": test.fault} for test in self.tests],
        }

    @classmethod
    def from_json(cls, data: dict) -> "ExerciseResult":
        """Read a record written by :meth:`to_json`; raise KeyError or TypeError if malformed."""
        tests = tuple(
            TestResult(str(t["name"]), float(t["score"]), float(t["max_score"]), str(t["status"]),
                       str(t.get("message", "")), str(t.get("hint", "")), fault=t.get("fault"))
            for t in data["tests"]
        )
        return cls(
            submission=str(data["submission"]),
            exercise=str(data["exercise"]),
            seed=int(data["seed"]),
            status=str(data["status"]),
            score=float(data["score"]),
            max_score=float(data["max_score"]),
            reason=str(data.get("reason", "")),
            tests=tests,
            source=str(data.get("source", "")),
            digest=str(data.get("digest", "")),
            settings=str(data.get("settings", "")),
            seconds=float(data.get("seconds", 0.0)),
            forge_version=str(data.get("forge_version", "")),
        )


def not_run(expected: tuple[TestResult, ...], message: str) -> tuple[TestResult, ...]:
    """Every expected test as an error worth 0 with ``message``."""
    return tuple(replace(test, score=0.0, status=ERROR, message=message, fault=None) for test in expected)


def complete(results: list[TestResult], expected: tuple[TestResult, ...], message: str) -> tuple[TestResult, ...]:
    """Return ``results`` plus the expected tests they lack, as errors with ``message``, in suite order."""
    by_name = {result.name: result for result in results}
    missing = {test.name: test for test in not_run(expected, message)}
    return tuple(by_name.get(test.name) or missing[test.name] for test in expected)


def total(tests) -> float:
    return round(sum(test.score for test in tests), 6)


def status_of_tests(tests: tuple[TestResult, ...]) -> tuple[str, str]:
    """Return the status and reason that a graded exercise's test results call for."""
    faults = [(FAULT_STATUSES.get(test.fault or ""), test) for test in tests if test.status == ERROR]
    found = [(status, test) for status, test in faults if status is not None]
    if not found:
        return GRADED, ""
    status = most_serious(status for status, _ in found)
    test = next(test for found_status, test in found if found_status == status)
    first_line = test.message.splitlines()[0] if test.message else status
    return status, f"{test.name}: {first_line}"


@dataclass(frozen=True)
class Entry:
    """One submission as found in the submissions folder."""

    submission: str
    """Identifier: the entry's name without .py, .ipynb or .zip, or the full name when
    another entry has the same identifier (both are then rejected)."""
    name: str
    """The entry's file or folder name."""
    kind: str
    """``file`` (.py or .ipynb), ``folder``, ``zip`` or ``other``."""
    digest: str = ""
    problem: str = ""
    """Why the entry cannot be graded at all, found before grading; empty if none."""

    def to_json(self) -> dict:
        return {"submission": self.submission, "entry": self.name, "kind": self.kind, "digest": self.digest}


@dataclass(frozen=True)
class Task:
    """Work for one job process: some exercises of one submission."""

    entry: Entry
    path: str
    """Absolute path of the entry."""
    exercises: tuple[str, ...]
    """Exercise ids still to grade."""
    attempt: int = 1
