"""Gradebook rows and the summary printed at the end of a batch."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from ..records import PASSED
from .records import LOAD_ERROR, STATUSES, UNSCORED, ExerciseResult, most_serious

BUCKETS = 10
BAR_WIDTH = 40
MOST_FAILED = 5


@dataclass(frozen=True)
class Row:
    """One submission's line of the gradebook."""

    submission: str
    results: tuple[ExerciseResult, ...]
    """One result per exercise, in the batch's exercise order."""

    @property
    def total(self) -> float:
        return round(sum(result.score for result in self.results), 6)

    @property
    def max_score(self) -> float:
        return round(sum(result.max_score for result in self.results), 6)

    @property
    def status(self) -> str:
        return most_serious(result.status for result in self.results)

    @property
    def reason(self) -> str:
        """The reasons of the exercises that were not simply graded, each once, after the exercises it is for."""
        exercises: dict[str, list[str]] = {}
        for result in self.results:
            if result.reason:
                exercises.setdefault(result.reason, []).append(result.exercise)
        return "; ".join(f"{', '.join(ids)}: {reason}" for reason, ids in exercises.items())

    @property
    def scored(self) -> bool:
        """Whether some exercise got a grade of its own, so the row counts in the score figures."""
        return any(result.status not in UNSCORED for result in self.results)

    @property
    def percent(self) -> float:
        return 100 * self.total / self.max_score if self.max_score else 0.0


def make_rows(results: dict[tuple[str, str], ExerciseResult], submissions: list[str],
              exercises: list[str]) -> list[Row]:
    """Group results by submission; ``results`` is keyed by (submission, exercise)."""
    return [Row(submission, tuple(results[submission, exercise] for exercise in exercises))
            for submission in submissions]


@dataclass(frozen=True)
class Summary:
    """The figures printed at the end of a batch."""

    seed: int
    count: int
    """Submissions with a grade: every row but those of :attr:`left_out`."""
    left_out: dict[str, int]
    """Rows whose every exercise is rejected, missing or an internal error, by status."""
    by_status: dict[str, int]
    """Every row, by status."""
    mean: float
    median: float
    max_score: float
    distribution: list[tuple[str, int]]
    """(percent range, submissions) from the lowest range to the highest."""
    most_failed: list[tuple[str, int, int]]
    """(exercise and test, submissions that failed it, submissions whose module for that
    exercise loaded and ran), most often failed first."""


def summarize(rows: list[Row], seed: int) -> Summary:
    """Count every row by status; compute the score figures over the rows with a grade."""
    scored = [row for row in rows if row.scored]
    totals = [row.total for row in scored]
    statuses = Counter(row.status for row in rows)
    left_out = Counter(row.status for row in rows if not row.scored)
    return Summary(
        seed=seed,
        count=len(scored),
        left_out={status: left_out[status] for status in STATUSES if left_out[status]},
        by_status={status: statuses[status] for status in STATUSES if statuses[status]},
        mean=statistics.fmean(totals) if totals else 0.0,
        median=statistics.median(totals) if totals else 0.0,
        max_score=max((row.max_score for row in scored), default=0.0),
        distribution=distribution([row.percent for row in scored]),
        most_failed=most_failed(rows),
    )


def most_failed(rows: list[Row]) -> list[tuple[str, int, int]]:
    """The tests failed most often, each with the number of submissions that ran its exercise."""
    ran = [result for row in rows for result in row.results
           if result.status not in (*UNSCORED, LOAD_ERROR)]
    runs = Counter(result.exercise for result in ran)
    failed = Counter((result.exercise, test.name) for result in ran for test in result.tests
                     if test.status != PASSED and not test.message.startswith("not run"))
    return [(f"{exercise} {test}", count, runs[exercise])
            for (exercise, test), count in failed.most_common(MOST_FAILED)]


def distribution(percents: list[float]) -> list[tuple[str, int]]:
    """Count scores in ten ranges of percent: 0-9, 10-19, ..., 90-100."""
    counts = [0] * BUCKETS
    for percent in percents:
        counts[min(int(percent // (100 / BUCKETS)), BUCKETS - 1)] += 1
    width = 100 // BUCKETS
    labels = [f"{i * width}-{i * width + width - 1}%" for i in range(BUCKETS - 1)] + [f"{100 - width}-100%"]
    return list(zip(labels, counts))


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """The count and the noun in the matching number: ``1 job``, ``2 jobs``, ``2 entries``."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def render_summary(summary: Summary) -> str:
    """The summary as text for the terminal."""
    lines = [f"Graded {plural(summary.count, 'submission')} with seed {summary.seed}."]
    if summary.left_out:
        counts = ", ".join(f"{status} {count}" for status, count in summary.left_out.items())
        entries = plural(sum(summary.left_out.values()), "entry", "entries")
        lines.append(f"Not graded: {entries} ({counts}), left out of the scores below.")
    lines.append("Status:  " + ", ".join(f"{status} {count}" for status, count in summary.by_status.items()))
    if summary.max_score:
        lines.append(f"Score:   mean {summary.mean:.2f}, median {summary.median:g} of {summary.max_score:g} "
                     f"({100 * summary.mean / summary.max_score:.0f}% and "
                     f"{100 * summary.median / summary.max_score:.0f}%)")
    lines.append("Distribution of scores:")
    largest = max((count for _, count in summary.distribution), default=0) or 1
    for label, count in reversed(summary.distribution):
        bar = "#" * round(BAR_WIDTH * count / largest)
        lines.append(f"  {label:>8} {count:>5}  {bar}")
    if summary.most_failed:
        lines.append("Tests failed most often (submissions that failed it, of those that ran the exercise):")
        for name, count, runs in summary.most_failed:
            lines.append(f"  {count:>5} of {runs:<5} {name}")
    return "\n".join(lines)
