"""Gradebook rows and the summary printed at the end of a batch."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from ..records import PASSED
from .records import INTERNAL_ERROR, LOAD_ERROR, REJECTED, STATUSES, ExerciseResult, most_serious

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
        """The reasons of the exercises that were not simply graded, one per exercise."""
        reasons = [f"{result.exercise}: {result.reason}" for result in self.results if result.reason]
        return "; ".join(reasons)

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
    seed: int
    count: int
    by_status: dict[str, int]
    mean: float
    median: float
    max_score: float
    distribution: list[tuple[str, int]]
    """(percent range, submissions) from the lowest range to the highest."""
    most_failed: list[tuple[str, int]]
    """(exercise and test, submissions whose module loaded but did not pass it), most often first."""


def summarize(rows: list[Row], seed: int) -> Summary:
    totals = [row.total for row in rows]
    statuses = Counter(row.status for row in rows)
    ran = [result for row in rows for result in row.results
           if result.status not in (REJECTED, LOAD_ERROR, INTERNAL_ERROR)]
    failed = Counter(f"{result.exercise} {test.name}" for result in ran for test in result.tests
                     if test.status != PASSED and not test.message.startswith("not run"))
    return Summary(
        seed=seed,
        count=len(rows),
        by_status={status: statuses[status] for status in STATUSES if statuses[status]},
        mean=statistics.fmean(totals) if totals else 0.0,
        median=statistics.median(totals) if totals else 0.0,
        max_score=max((row.max_score for row in rows), default=0.0),
        distribution=distribution([row.percent for row in rows]),
        most_failed=failed.most_common(MOST_FAILED),
    )


def distribution(percents: list[float]) -> list[tuple[str, int]]:
    """Count scores in ten ranges of percent: 0-9, 10-19, ..., 90-100."""
    counts = [0] * BUCKETS
    for percent in percents:
        counts[min(int(percent // (100 / BUCKETS)), BUCKETS - 1)] += 1
    width = 100 // BUCKETS
    labels = [f"{i * width}-{i * width + width - 1}%" for i in range(BUCKETS - 1)] + [f"{100 - width}-100%"]
    return list(zip(labels, counts))


def render_summary(summary: Summary) -> str:
    """The summary as text for the terminal."""
    lines = [f"Graded {summary.count} submissions with seed {summary.seed}."]
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
        lines.append("Tests failed most often:")
        for name, count in summary.most_failed:
            lines.append(f"  {count:>5} of {summary.count}  {name}")
    return "\n".join(lines)
