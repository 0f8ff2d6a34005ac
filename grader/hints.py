"""Progressive hints: each test's hints go from the concept to the formula.

A report shows each failed test's hint at the level the candidate has
reached in this workspace; ``forge-grade hint`` moves the failed tests one
level on. Levels are stored in the workspace's progress database.
"""

from __future__ import annotations

import dataclasses

from .records import PASSED, Report, TestResult


def hint_at(test: TestResult, level: int) -> str:
    """Return the test's hint at ``level``, or its last one when the level is past the end."""
    if not test.hints:
        return ""
    return test.hints[min(level, len(test.hints) - 1)]


def with_levels(report: Report, levels: dict[str, int]) -> Report:
    """Show each failed test's hint at its stored level (0 when none is stored)."""
    tests = tuple(
        test if test.status == PASSED else _at_level(test, levels.get(test.name, 0))
        for test in report.tests
    )
    return dataclasses.replace(report, tests=tests)


def _at_level(test: TestResult, level: int) -> TestResult:
    level = min(level, max(len(test.hints) - 1, 0))
    return dataclasses.replace(test, hint=hint_at(test, level), hint_level=level)


def without_hints(report: Report) -> Report:
    """Drop every hint, as in a mock interview."""
    tests = tuple(dataclasses.replace(test, hint="") for test in report.tests)
    return dataclasses.replace(report, tests=tests)


def next_levels(report: Report, levels: dict[str, int]) -> dict[str, int]:
    """Return the new level of every failed test: one past the stored one (reports
    show level 0 until then), at most the test's last level."""
    return {
        test.name: min(levels.get(test.name, 0) + 1, len(test.hints) - 1)
        for test in report.tests
        if test.status != PASSED and test.hints
    }
