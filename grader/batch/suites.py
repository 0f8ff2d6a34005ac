"""The tests a suite will run, with their points, collected without grading."""

from __future__ import annotations

import functools

import pytest

from ..catalog import Exercise
from ..plugin import GradingPlugin, display_name, marker_of
from ..records import ERROR, TestResult


class CollectingPlugin(GradingPlugin):
    """Records the tests left after ``-k`` deselection."""

    def __init__(self) -> None:
        super().__init__(None, None, seed=0)
        self.selected: list[TestResult] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            points, hints = marker_of(item)
            self.selected.append(TestResult(display_name(item), 0.0, points, ERROR, hints=hints))


@functools.lru_cache(maxsize=None)
def expected_tests(exercise: Exercise, select: str | None) -> tuple[TestResult, ...]:
    """Every test of ``exercise`` that ``select`` keeps, each worth 0 of its points."""
    from ..engine import run_suite

    plugin = CollectingPlugin()
    run_suite(exercise, plugin, select=select, collect_only=True)
    return tuple(plugin.selected)
