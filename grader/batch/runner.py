"""Grade a folder of submissions: the ``forge-grade batch`` command's core."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from .. import __version__
from ..catalog import Exercise
from ..request import new_seed
from ..sandbox import DEFAULT_PROCESSES, ResourceLimits, SandboxUnavailable, probe, root_warning, warning_text
from ..worker.process import Limits
from . import folder as batch_folder
from .discover import Shard, list_entries
from .job import JobConfig
from .log import ResultsLog
from .outputs import check_writable_file, check_writable_folder
from .pool import Pool
from .progress import ProgressDisplay
from .records import Entry, ExerciseResult, Task, complete, not_run, total
from .suites import expected_tests
from .summary import make_rows, plural, render_summary, summarize
from .write import Destinations, write_outputs


class Interrupted(Exception):
    """The batch was stopped by Ctrl-C or SIGTERM; the results log contains what was done."""


@dataclass(frozen=True)
class BatchOutcome:
    """What a finished batch produced."""

    summary_text: str
    internal_errors: int
    log_restored: bool
    """True if another process changed the results log and Forge restored it."""


def run_batch(*, submissions: Path, exercises: list[Exercise], output: Path, seed: int | None, jobs: int,
              limits: Limits, submission_timeout: float, select: str | None, sandbox: bool,
              shard: Shard | None, fresh: bool, destinations: Destinations,
              echo=None) -> BatchOutcome:
    """Grade every submission in ``submissions`` for ``exercises``; see docs/instructors.md.

    Raises ``NoSubmissions``, ``OutputError`` or ``SettingsChanged`` (usage
    errors) before grading anything, and :class:`Interrupted` when stopped.
    """
    echo = echo or echo_to_terminal
    outputs = [output, destinations.csv, destinations.jsonl, destinations.gradescope, destinations.junit]
    entries = list_entries(submissions, exclude={path.resolve() for path in outputs if path is not None})
    selected = shard.select(entries) if shard else entries
    check_destinations(output, destinations)
    seed = choose_seed(output, seed, fresh)
    bwrap = find_sandbox(echo) if sandbox else None
    if not fresh:
        batch_folder.check_same_settings(output, seed=seed, limits=limits, submission_timeout=submission_timeout,
                                         select=select, sandbox=bwrap is not None)
    warning = root_warning(bwrap is not None, os.geteuid())
    if warning:
        echo(warning, err=True)
    resources = ResourceLimits(cpu_seconds=math.ceil(submission_timeout) + 5,
                               processes=DEFAULT_PROCESSES if bwrap else 0)
    ids = [exercise.id for exercise in exercises]
    settings = {exercise.id: fingerprint(exercise, limits, resources, submission_timeout, select, bwrap is not None)
                for exercise in exercises}
    expected = {exercise.id: expected_tests(exercise, select) for exercise in exercises}
    batch_folder.write_description(output, seed=seed, exercises=ids, settings=settings, limits=limits,
                                   submission_timeout=submission_timeout, select=select,
                                   sandbox=bwrap is not None, shard=shard, all_entries=entries,
                                   entries=selected)
    echo(f"Grading {plural(len(selected), 'submission')} for {', '.join(ids)} with seed {seed} "
         f"({'sandbox' if bwrap else 'no sandbox'}, {plural(jobs, 'job')}); results in {output}/", err=True)

    log = ResultsLog(output / batch_folder.LOG_NAME, fresh=fresh)
    tasks, results = plan_tasks(submissions, selected, ids, seed, settings, log)
    if results:
        echo(f"Reusing {plural(len(results), 'result')} from an earlier run of this batch.", err=True)

    progress = ProgressDisplay(total=len(selected) * len(ids), done=len(results))

    def on_result(result: ExerciseResult) -> None:
        result = completed(result, expected[result.exercise])
        log.append(result)
        results[result.submission, result.exercise] = result
        progress.advance(result)

    work_root = Path(tempfile.mkdtemp(prefix="forge-batch-"))
    config = JobConfig(seed=seed, limits=limits, resources=resources, select=select, exercise_count=len(ids),
                       settings=tuple(settings.items()), work_root=str(work_root),
                       bwrap=str(bwrap) if bwrap else None)
    pool = Pool(max(1, min(jobs, len(tasks))), config, submission_timeout, on_result)
    try:
        with stop_on_sigterm():
            pool.run(tasks)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted: {len(results)} of {len(selected) * len(ids)} results are saved in "
                          f"{output / batch_folder.LOG_NAME}; run the same command again to resume") from None
    finally:
        pool.close()
        progress.close()
        restored = log.close()
        shutil.rmtree(work_root, ignore_errors=True)

    rows = make_rows(results, [entry.submission for entry in selected], ids)
    write_outputs(destinations, rows, ids, seed)
    summary = summarize(rows, seed)
    return BatchOutcome(render_summary(summary), sum(row.status == "internal-error" for row in rows), restored)


def choose_seed(output: Path, seed: int | None, fresh: bool) -> int:
    """The seed given, else the output folder's (unless ``fresh``), else a new one."""
    if seed is None and not fresh:
        seed = batch_folder.recorded_seed(output)
    return new_seed() if seed is None else seed


def plan_tasks(submissions: Path, selected: list[Entry], ids: list[str], seed: int, settings: dict[str, str],
               log: ResultsLog) -> tuple[list[Task], dict[tuple[str, str], ExerciseResult]]:
    """Split the work into results the log already has and tasks for the rest."""
    results: dict[tuple[str, str], ExerciseResult] = {}
    tasks = []
    for entry in selected:
        missing = []
        for exercise_id in ids:
            earlier = log.reusable((entry.submission, exercise_id, seed, entry.digest, settings[exercise_id]))
            if earlier is None:
                missing.append(exercise_id)
            else:
                results[entry.submission, exercise_id] = earlier
        if missing:
            tasks.append(Task(entry, str(submissions.resolve() / entry.name), tuple(missing)))
    return tasks, results


def echo_to_terminal(text: str, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def check_destinations(output: Path, destinations: Destinations) -> None:
    """Raise OutputError before any grading if an output cannot be written."""
    check_writable_folder(output, "--output")
    check_output_files(destinations)


def check_output_files(destinations: Destinations) -> None:
    for option, path in (("--csv", destinations.csv), ("--jsonl", destinations.jsonl),
                         ("--junit", destinations.junit)):
        if path is not None:
            check_writable_file(path, option)
    if destinations.gradescope is not None:
        check_writable_folder(destinations.gradescope, "--gradescope")


def find_sandbox(echo) -> Path | None:
    """Return the bwrap to use, or None after warning loudly that there is no sandbox."""
    try:
        return probe()
    except SandboxUnavailable as error:
        echo(warning_text(str(error)), err=True)
        return None


def fingerprint(exercise: Exercise, limits: Limits, resources: ResourceLimits, submission_timeout: float,
                select: str | None, sandboxed: bool) -> str:
    """Hash everything besides the submission and seed that decides a grade."""
    from ..workspace import SOLUTIONS_DIR

    digest = hashlib.sha256()
    for path in (exercise.suite, SOLUTIONS_DIR / exercise.filename):
        digest.update(path.read_bytes() if path.is_file() else b"missing")
    facts = {"forge": __version__, "timeout": limits.timeout, "memory": limits.memory,
             "submission_timeout": submission_timeout, "select": select, "sandbox": sandboxed,
             "file_bytes": resources.file_bytes, "tmp_bytes": resources.tmp_bytes}
    digest.update(json.dumps(facts, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def completed(result: ExerciseResult, expected) -> ExerciseResult:
    """Give a result every expected test: the ones never run count 0, with the reason."""
    message = f"not run: {result.reason}" if result.reason else "not run"
    tests = complete(list(result.tests), expected, message) if result.tests else not_run(expected, message)
    max_score = round(sum(test.max_score for test in tests), 6)
    return replace(result, tests=tests, score=total(tests), max_score=max_score)


class stop_on_sigterm:
    """Turn SIGTERM into KeyboardInterrupt while grading, so ``kill`` stops cleanly too."""

    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGTERM, self.raise_interrupt)
        except ValueError:  # not the main thread: leave SIGTERM as it is
            self.previous = None
        return self

    @staticmethod
    def raise_interrupt(signum, frame):
        raise KeyboardInterrupt

    def __exit__(self, *exc_info):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
