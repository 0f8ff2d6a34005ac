"""Grade one exercise of one submission: the core that every command uses.

:func:`grade` starts the worker, imports the reference, runs the exercise's
hidden suite with pytest in this process and returns a :class:`Report`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from typing import Callable, Iterator

import pytest

from .catalog import SUITES_DIR, Exercise
from .feedback import format_load_error
from .plugin import GradingPlugin
from .records import Report, TestResult
from .request import GradeRequest, InvalidSelection
from .testkit.sides import CandidateSide, ReferenceSide
from .worker.client import SubmissionFault, WorkerClient
from .worker.process import WorkerProcess

PYTEST_ARGS = (
    "-c", str(SUITES_DIR / "pytest.ini"),
    "--rootdir", str(SUITES_DIR),
    "--import-mode=importlib",
    "--assert=plain",
    "-s",
    "-p", "no:terminal",
    "-p", "no:cacheprovider",
    "-p", "no:warnings",
    "-p", "no:faulthandler",
    "-p", "no:doctest",
    "-p", "no:junitxml",
    "-p", "no:logging",
    "-p", "no:pastebin",
    "-p", "no:stepwise",
    "-p", "no:legacypath",
    "-p", "no:unraisableexception",
    "-p", "no:threadexception",
)


class SuiteFailure(RuntimeError):
    """pytest could not run a suite at all (a bug in Forge, not in a submission)."""



def grade(request: GradeRequest, worker: WorkerProcess | None = None, *,
          on_result: Callable[[TestResult], None] | None = None) -> Report:
    """Grade ``request.source`` against the exercise's hidden suite.

    ``worker`` is a process from :func:`start_worker`, started early so that
    it imports numpy while this process imports pytest. ``on_result``, if
    given, receives each test's result as soon as the test ends.
    """
    exercise = request.exercise
    client = WorkerClient(request.source, exercise.module, request.limits, request.launcher,
                          process=worker)
    with client:
        client.start()  # the worker imports numpy while pytest starts here
        reference = ReferenceSide(importlib.import_module(f"solutions.{exercise.module}"))
        load_fault = None
        try:
            client.load()
        except SubmissionFault as error:
            load_fault = error.fault
        plugin = GradingPlugin(CandidateSide(client), reference, request.seed, load_fault, on_result)
        run_suite(exercise, plugin, select=request.select)
    tests = order_like(plugin.collected, plugin.results)
    return Report(
        exercise=exercise.id,
        alias=exercise.alias,
        source=str(request.source),
        seed=request.seed,
        tests=tests,
        load_error=format_load_error(load_fault) if load_fault else None,
    )


def collect(exercise: Exercise) -> tuple[TestResult, ...]:
    """List an exercise's tests with their points, without running them."""
    plugin = GradingPlugin(None, None, seed=0)
    run_suite(exercise, plugin, collect_only=True)
    return tuple(plugin.collected)


def run_suite(exercise: Exercise, plugin: GradingPlugin, *, select: str | None = None,
              collect_only: bool = False) -> None:
    """Run (or only collect) an exercise's suite in this process with ``plugin``."""
    args = [*PYTEST_ARGS, str(exercise.suite)]
    if select:
        args += ["-k", select]
    if collect_only:
        args.append("--collect-only")
    with isolated_pytest_environment():
        code = pytest.main(args, plugins=[plugin])
    if code == pytest.ExitCode.USAGE_ERROR and select:
        raise InvalidSelection(
            f"-k {select!r} is not a valid pytest -k expression; write test names joined by "
            "and, or, not and parentheses, e.g. -k 'backward and not batch'"
        )
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SuiteFailure(f"pytest could not run the suite {exercise.suite.name} (exit code {int(code)})")


@contextlib.contextmanager
def isolated_pytest_environment() -> Iterator[None]:
    """Keep the user's pytest settings and plugins out of a grading run."""
    saved = {name: os.environ.get(name) for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS",
                                                     "PYTEST_DISABLE_PLUGIN_AUTOLOAD")}
    os.environ.pop("PYTEST_ADDOPTS", None)
    os.environ.pop("PYTEST_PLUGINS", None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def order_like(collected: list[TestResult], results: list[TestResult]) -> tuple[TestResult, ...]:
    """Return one result per collected test, in suite order; tests that never
    reported (e.g. deselected) are left out."""
    by_name = {result.name: result for result in results}
    return tuple(by_name[test.name] for test in collected if test.name in by_name)
