"""The progress database of one workspace (SQLite, in ``.forge/``).

It records every grading run (exercise, time, score, seed, failed tests),
the hint level each test has reached, and mock interviews. A workspace is
the folder that holds ``exercises/``; the database lives beside it in
``.forge/progress.sqlite3`` so that starting over in another folder starts
a fresh record.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

FORGE_DIR = ".forge"
DATABASE = "progress.sqlite3"
SCHEMA_VERSION = 1

#: Two runs of the same exercise less than this many seconds apart count as
#: one working session for "time spent"; a longer gap counts as a break.
SESSION_GAP_SECONDS = 30 * 60

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    exercise TEXT NOT NULL,
    started REAL NOT NULL,
    duration REAL NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    seed INTEGER NOT NULL,
    mode TEXT NOT NULL,
    failed TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_exercise ON runs (exercise, started);
CREATE TABLE IF NOT EXISTS hint_levels (
    exercise TEXT NOT NULL,
    test TEXT NOT NULL,
    level INTEGER NOT NULL,
    PRIMARY KEY (exercise, test)
);
CREATE TABLE IF NOT EXISTS interviews (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    minutes REAL NOT NULL,
    finished REAL,
    results TEXT NOT NULL
);
"""


class ProgressError(Exception):
    """The progress database cannot be opened or written; the message says why."""


@dataclass(frozen=True)
class Run:
    """One recorded grading run."""

    exercise: str
    started: float
    """Unix time when grading started."""
    duration: float
    """Seconds the grading took."""
    score: float
    max_score: float
    seed: int
    mode: str
    """``grade``, ``hint``, ``notebook`` or ``interview``."""
    failed: tuple[str, ...]
    """Names of the tests that did not pass."""


@dataclass(frozen=True)
class ExerciseStatus:
    """A summary of one exercise's runs."""

    exercise: str
    attempts: int
    best_score: float | None
    last_score: float | None
    max_score: float | None
    last_run: float | None
    time_spent: float
    """Seconds of work, estimated from the gaps between runs (see SESSION_GAP_SECONDS)."""

    @property
    def mastered(self) -> bool:
        return self.best_score is not None and self.best_score == self.max_score


class ProgressStore:
    """Read and write one workspace's progress database."""

    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=10)
            self._migrate()
        except (OSError, sqlite3.Error) as error:
            raise ProgressError(f"cannot open the progress database {str(path)!r}: {error}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ProgressStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ProgressError(
                f"{self.path} was written by a newer Forge (schema {version}); upgrade Forge to read it"
            )
        with self._db:
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- runs -------------------------------------------------------------

    def record_run(self, run: Run) -> None:
        """Append a grading run."""
        with self._write():
            self._db.execute(
                "INSERT INTO runs (exercise, started, duration, score, max_score, seed, mode, failed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run.exercise, run.started, run.duration, run.score, run.max_score, run.seed, run.mode,
                 json.dumps(list(run.failed))),
            )

    def runs(self, exercise: str | None = None) -> list[Run]:
        """Return every run, oldest first (only ``exercise``'s if given)."""
        query = "SELECT exercise, started, duration, score, max_score, seed, mode, failed FROM runs"
        args: tuple = ()
        if exercise is not None:
            query += " WHERE exercise = ?"
            args = (exercise,)
        rows = self._db.execute(query + " ORDER BY started, id", args).fetchall()
        return [Run(*row[:7], tuple(json.loads(row[7]))) for row in rows]

    def status(self, exercises: Iterable[str]) -> list[ExerciseStatus]:
        """Summarise the runs of each exercise, in the order given."""
        by_exercise: dict[str, list[Run]] = {}
        for run in self.runs():
            by_exercise.setdefault(run.exercise, []).append(run)
        return [summarise(exercise, by_exercise.get(exercise, [])) for exercise in exercises]

    # -- hints ------------------------------------------------------------

    def hint_levels(self, exercise: str) -> dict[str, int]:
        """Return the hint level reached by each test of ``exercise`` (0 when absent)."""
        rows = self._db.execute("SELECT test, level FROM hint_levels WHERE exercise = ?", (exercise,))
        return dict(rows.fetchall())

    def set_hint_levels(self, exercise: str, levels: dict[str, int]) -> None:
        """Store the hint level of each named test."""
        with self._write():
            self._db.executemany(
                "INSERT INTO hint_levels (exercise, test, level) VALUES (?, ?, ?) "
                "ON CONFLICT (exercise, test) DO UPDATE SET level = excluded.level",
                [(exercise, test, level) for test, level in levels.items()],
            )

    def reset_hints(self, exercise: str) -> None:
        """Forget how far the hints of ``exercise`` have gone."""
        with self._write():
            self._db.execute("DELETE FROM hint_levels WHERE exercise = ?", (exercise,))

    # -- interviews -------------------------------------------------------

    def record_interview(self, started: float, minutes: float, finished: float, results: Sequence[dict]) -> None:
        """Store a finished mock interview and its per-exercise results."""
        with self._write():
            self._db.execute(
                "INSERT INTO interviews (started, minutes, finished, results) VALUES (?, ?, ?, ?)",
                (started, minutes, finished, json.dumps(list(results))),
            )

    def interviews(self) -> list[dict]:
        """Return the recorded interviews, oldest first."""
        rows = self._db.execute("SELECT started, minutes, finished, results FROM interviews ORDER BY id")
        return [{"started": s, "minutes": m, "finished": f, "results": json.loads(r)} for s, m, f, r in rows]

    def _write(self):
        return _Transaction(self._db, self.path)


class _Transaction:
    """A write transaction that reports failures as :class:`ProgressError`."""

    def __init__(self, db: sqlite3.Connection, path: Path):
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        self._db.__enter__()

    def __exit__(self, kind, error, tb) -> bool:
        self._db.__exit__(kind, error, tb)
        if isinstance(error, sqlite3.Error):
            raise ProgressError(f"cannot write the progress database {str(self._path)!r}: {error}") from None
        return False


def summarise(exercise: str, runs: list[Run]) -> ExerciseStatus:
    """Summarise one exercise's runs (oldest first)."""
    if not runs:
        return ExerciseStatus(exercise, 0, None, None, None, None, 0.0)
    spent = sum(run.duration for run in runs)
    for earlier, later in zip(runs, runs[1:]):
        gap = later.started - (earlier.started + earlier.duration)
        if 0 < gap <= SESSION_GAP_SECONDS:
            spent += gap
    best = max(runs, key=lambda run: run.score)
    return ExerciseStatus(
        exercise=exercise,
        attempts=len(runs),
        best_score=best.score,
        last_score=runs[-1].score,
        max_score=runs[-1].max_score,
        last_run=runs[-1].started,
        time_spent=spent,
    )


def workspace_store(workspace: Path) -> ProgressStore:
    """Open the progress database of the workspace rooted at ``workspace``."""
    return ProgressStore(workspace / FORGE_DIR / DATABASE)


def now() -> float:
    """The current Unix time (a seam for tests)."""
    return time.time()
