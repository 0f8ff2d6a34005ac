"""A mock interview: a few exercises against the clock, graded at the end.

The flow is independent of the terminal: :func:`run_interview` takes a clock,
a way to read the candidate's commands with a time limit, a grading function
and an output function, so tests drive it with a fake clock and scripted
input.
"""

from __future__ import annotations

import io
import select
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .catalog import Exercise
from .records import PASSED, Report

#: How many exercises an interview picks when none are given.
DEFAULT_COUNT = 2


@dataclass(frozen=True)
class InterviewResult:
    """How one exercise of the interview went."""

    exercise: Exercise
    report: Report
    seconds: float
    """Time from the start of the interview until the candidate finished it (or time ran out)."""
    finished_in_time: bool

    def to_json(self) -> dict:
        return {
            "exercise": self.exercise.id,
            "score": self.report.score,
            "max_score": self.report.max_score,
            "seconds": round(self.seconds, 1),
            "finished_in_time": self.finished_in_time,
            "failed": [t.name for t in self.report.tests if t.status != PASSED],
        }


@dataclass
class Interview:
    """The plan and the state of one mock interview."""

    exercises: list[Exercise]
    minutes: float
    started: float = 0.0
    results: dict[int, InterviewResult] = field(default_factory=dict)

    @property
    def deadline(self) -> float:
        return self.started + self.minutes * 60

    def pending(self) -> list[Exercise]:
        return [e for e in self.exercises if e.number not in self.results]


def pick_exercises(available: Sequence[Exercise], mastered: set[str], count: int = DEFAULT_COUNT) -> list[Exercise]:
    """Pick the first ``count`` exercises, in course order, that are not yet mastered."""
    return [exercise for exercise in available if exercise.id not in mastered][:count]


Reader = Callable[[float], "str | None"]
"""Read one command, waiting at most the given seconds; None on timeout, "" at end of input."""


def read_stdin(timeout: float) -> str | None:
    """Read a line from standard input, waiting at most ``timeout`` seconds.

    Standard input without a file descriptor (an in-memory stream, as in
    tests) is read without a time limit.
    """
    try:
        ready, _, _ = select.select([sys.stdin], [], [], max(timeout, 0))
    except (AttributeError, ValueError, io.UnsupportedOperation):
        ready = [sys.stdin]
    if not ready:
        return None
    line = sys.stdin.readline()
    return line.strip() if line else ""


def run_interview(interview: Interview, *, clock: Callable[[], float], read: Reader,
                  grade: Callable[[Exercise], Report], echo: Callable[[str], None]) -> list[InterviewResult]:
    """Run the interview until every exercise is finished or time runs out."""
    interview.started = clock()
    by_number = {exercise.number: exercise for exercise in interview.exercises}
    echo(_instructions(interview))
    while interview.pending():
        remaining = interview.deadline - clock()
        if remaining <= 0:
            echo("Time is up. Grading what you have.")
            break
        echo(f"[{_clock_text(remaining)} left] finished: "
             f"{', '.join(str(e.number) for e in interview.exercises if e.number in interview.results) or 'none'}")
        command = read(remaining)
        if command is None:
            continue  # the deadline passed while waiting; the loop ends above
        if command in ("", "done"):
            break
        if command == "time":
            continue
        if command.isdigit() and int(command) in by_number and int(command) not in interview.results:
            exercise = by_number[int(command)]
            interview.results[exercise.number] = _finish(exercise, interview, clock, grade, in_time=True)
            echo(f"Exercise {exercise.number} handed in after {_clock_text(clock() - interview.started)}.")
        else:
            echo(f"Unknown command {command!r}: type an exercise number ("
                 f"{', '.join(str(e.number) for e in interview.pending())}), 'time' or 'done'.")
    in_time = clock() < interview.deadline
    for exercise in interview.pending():
        interview.results[exercise.number] = _finish(exercise, interview, clock, grade, in_time=in_time)
    return [interview.results[e.number] for e in interview.exercises]


def _finish(exercise: Exercise, interview: Interview, clock, grade, *, in_time: bool) -> InterviewResult:
    seconds = min(clock(), interview.deadline) - interview.started
    return InterviewResult(exercise, grade(exercise), seconds, in_time)


def _instructions(interview: Interview) -> str:
    count = len(interview.exercises)
    lines = [f"Mock interview: {plural(count, 'exercise')}, {plural(interview.minutes, 'minute')}.", ""]
    for exercise in interview.exercises:
        lines.append(f"  Exercise {exercise.number} ({exercise.alias}): implement "
                     f"{', '.join(exercise.names)} in exercises/{exercise.filename}")
    lines += [
        "",
        "Work in your editor. When you finish an exercise, type its number and press Enter;",
        "type 'done' when you are finished with all of them, 'time' for the time left.",
        "Everything left is graded when the time runs out. The clock starts now.",
    ]
    return "\n".join(lines)


def plural(count: float, noun: str) -> str:
    """Format ``3 exercises``, ``1 minute``, ``1.5 minutes``."""
    return f"{count:g} {noun}" + ("" if count == 1 else "s")


def _clock_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def summary_text(results: list[InterviewResult], minutes: float) -> str:
    """The end-of-interview table: score and time per exercise, then the total."""
    lines = ["", "Interview results:", ""]
    for result in results:
        report = result.report
        late = "" if result.finished_in_time else " (time ran out)"
        lines.append(f"  Exercise {result.exercise.number:>2} ({result.exercise.alias}): "
                     f"{report.score:g}/{report.max_score:g} in {_clock_text(result.seconds)}{late}")
        failed = [t.name for t in report.tests if t.status != PASSED]
        if failed:
            lines.append(f"      not passed: {', '.join(failed[:8])}{' ...' if len(failed) > 8 else ''}")
    total = sum(r.report.score for r in results)
    possible = sum(r.report.max_score for r in results)
    lines += ["", f"Total: {total:g}/{possible:g} in a {minutes:g}-minute interview."]
    return "\n".join(lines)


def monotonic() -> float:
    """The interview's real clock."""
    return time.monotonic()
