"""The pytest plugin that runs a hidden suite against one submission.

It provides the fixtures ``candidate``, ``reference`` and ``rng`` and turns
each test's outcome into a :class:`TestResult`. Nothing is printed: the CLI
renders the results.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Callable

import numpy as np
import pytest

from .feedback import ModuleNotLoaded, explain, precondition_hint
from .records import PASSED, TestResult
from .testkit.marks import MARKER
from .testkit.sides import CandidateSide, ReferenceSide
from .worker.client import Fault


class GradingPlugin:
    """Collects one :class:`TestResult` per test of a suite."""

    def __init__(self, candidate: CandidateSide | None, reference: ReferenceSide | None, seed: int,
                 load_fault: Fault | None = None, on_result: Callable[[TestResult], None] | None = None):
        """``on_result``, if given, receives each test's result as soon as it is known."""
        self._candidate = candidate
        self._reference = reference
        self._load_fault = load_fault
        self._on_result = on_result
        self.seed = seed
        self.results: list[TestResult] = []
        self.collected: list[TestResult] = []
        self._done: set[str] = set()

    # -- configuration ----------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", f"{MARKER}(points, hints): points and hints of a graded test")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            points, hints = marker_of(item)
            self.collected.append(TestResult(display_name(item), 0.0, points, "error", hints=hints))

    # -- fixtures ---------------------------------------------------------

    @pytest.fixture
    def candidate(self) -> CandidateSide:
        if self._load_fault is not None:
            raise ModuleNotLoaded(self._load_fault)
        yield self._candidate
        self._candidate.release()

    @pytest.fixture
    def reference(self) -> ReferenceSide:
        return self._reference

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        """A generator seeded by the run's seed and the test's name.

        A test draws the same inputs for a given seed whichever tests run
        before it, so ``--seed`` reproduces any single failure.
        """
        key = zlib.crc32(f"{request.node.module.__name__}::{request.node.name}".encode())
        return np.random.default_rng([self.seed, key])

    # -- results ----------------------------------------------------------

    @pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
    def pytest_brief_failure_report(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        """Report a failure without pytest's formatted traceback, which grading never shows.

        pytest would parse the source of every frame to format it. The verdict
        comes from ``call.excinfo`` alone, so skipping that saves time on every
        failed test. Skips, expected failures and passes get pytest's own report.
        The name starts with ``pytest_`` because pytest ignores other method
        names, ``specname`` notwithstanding.
        """
        excinfo = call.excinfo
        if excinfo is None or excinfo.errisinstance((pytest.skip.Exception, pytest.xfail.Exception)):
            return None
        summary = f"{excinfo.typename}: {excinfo.value}"[:500]
        return pytest.TestReport(item.nodeid, item.location, {keyword: 1 for keyword in item.keywords}, "failed",
                                 summary, call.when, duration=call.duration, start=call.start, stop=call.stop,
                                 user_properties=item.user_properties)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        name = display_name(item)
        if name in self._done:
            return
        if report.when == "call" or (report.when == "setup" and report.failed):
            self._done.add(name)
            result = with_printed_output(self._verdict(item, call), self._printed_output())
            self.results.append(result)
            if self._on_result is not None:
                self._on_result(result)

    def _verdict(self, item: pytest.Item, call: pytest.CallInfo) -> TestResult:
        points, hints = marker_of(item)
        name = display_name(item)
        if call.excinfo is None:
            return TestResult(name, points, points, PASSED, hints=hints)
        status, message, kind = explain(call.excinfo.value)
        override = precondition_hint(call.excinfo.value)
        if override is not None:
            hints = (override,)
        fault = getattr(call.excinfo.value, "fault", None)
        fault_kind = fault.kind if isinstance(fault, Fault) else None
        return TestResult(name, 0.0, points, status, message, hints[0] if hints else "", hints, kind,
                          fault=fault_kind)


    def _printed_output(self) -> str:
        """What the submission printed during the test (and empty for the reference)."""
        if self._candidate is None or self._load_fault is not None:
            return ""
        return self._candidate.client.take_output()


#: Lines of a submission's printed output shown under a failed test.
PRINTED_LINES = 10


def with_printed_output(result: TestResult, printed: str) -> TestResult:
    """Add what the submission printed to a failed test's message (debug prints help)."""
    lines = printed.strip("\n").splitlines()
    if result.status == PASSED or not lines:
        return result
    shown = lines[:PRINTED_LINES]
    more = f"\n  | ... ({len(lines) - PRINTED_LINES} more lines)" if len(lines) > PRINTED_LINES else ""
    text = "your code printed:\n" + "\n".join(f"  | {line[:200]}" for line in shown) + more
    return dataclasses.replace(result, message=f"{result.message}\n{text}")


def marker_of(item: pytest.Item) -> tuple[float, tuple[str, ...]]:
    """Read a test's points and hints from its ``forge`` marker."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        raise pytest.UsageError(f"{item.nodeid} has no points: decorate it with @graded(points, hint)")
    return float(marker.kwargs["points"]), tuple(marker.kwargs["hints"])


def display_name(item: pytest.Item) -> str:
    """Name a test as the report shows it: the function name without ``test_``."""
    return item.name.removeprefix("test_")
