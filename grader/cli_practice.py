"""Commands for candidates practising alone: hints, progress, a fresh workspace.

Registered on the ``forge-grade`` group by ``grader.cli``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .catalog import Exercise, available
from .cli_types import ExerciseType, memory_option, seed_option, timeout_option
from .worker.process import Limits

workspace_option = click.option(
    "--workspace", type=click.Path(path_type=Path, file_okay=False),
    help="Folder holding exercises/ (default: the current folder).")


def open_store(root: Path):
    """Open the workspace's progress database, turning failures into a usage error."""
    from .progress.store import ProgressError, workspace_store

    try:
        return workspace_store(root)
    except ProgressError as error:
        raise click.UsageError(str(error)) from None


@click.command("hint")
@click.argument("exercise", type=ExerciseType())
@workspace_option
@click.option("--reset", is_flag=True, help="Start this exercise's hints over from the first level.")
@seed_option("Seed of the random inputs (default: fresh).")
@timeout_option()
@memory_option()
def hint_command(exercise: Exercise, workspace: Path | None, reset: bool, seed: int | None,
                 timeout: float, memory: int) -> None:
    """Grade EXERCISE and show the next hint for each failed test.

    Hints go from the concept to the formula; each call moves the failed
    tests one level on, and the workspace remembers how far you got.
    """
    from .cli import run_grading
    from .hints import next_levels, with_levels
    from .render import render_hints
    from .request import GradeRequest, new_seed
    from .workspace import SourceNotFound, find_workspace, workspace_source

    try:
        source = workspace_source(exercise, workspace)
    except SourceNotFound as error:
        raise click.UsageError(str(error)) from None
    if reset:
        with open_store(find_workspace(workspace)) as store:
            store.reset_hints(exercise.id)
        click.echo(f"The hints of {exercise.id} start over from the first level.")
        return
    seed = new_seed() if seed is None else seed
    request = GradeRequest(exercise, source.path, seed, Limits(timeout=timeout, memory=memory))
    report = run_grading(request, source, mode="hint")
    with open_store(source.workspace) as store:
        levels = store.hint_levels(exercise.id)
        advanced = next_levels(report, levels)
        store.set_hint_levels(exercise.id, advanced)
    click.echo(render_hints(with_levels(report, {**levels, **advanced})))
    sys.exit(0 if report.full_marks else 1)


@click.command("status")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def status_command(workspace: Path | None, as_json: bool) -> None:
    """Show every exercise's best and last score, attempts and time spent."""
    from .render import render_status
    from .workspace import SourceNotFound, find_workspace

    try:
        root = find_workspace(workspace)
    except SourceNotFound as error:
        raise click.UsageError(str(error)) from None
    exercises = available()
    with open_store(root) as store:
        rows = store.status(exercise.id for exercise in exercises)
    if as_json:
        click.echo(json.dumps([status_json(exercise, row) for exercise, row in zip(exercises, rows)], indent=2))
    else:
        click.echo(render_status(list(zip(exercises, rows)), root))


def status_json(exercise: Exercise, row) -> dict:
    """One exercise's progress in the ``status --json`` format."""
    return {
        "exercise": exercise.id,
        "alias": exercise.alias,
        "attempts": row.attempts,
        "best_score": row.best_score,
        "last_score": row.last_score,
        "max_score": row.max_score,
        "last_run": row.last_run,
        "time_spent_seconds": round(row.time_spent, 1),
        "mastered": row.mastered,
    }


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--notebooks", is_flag=True, help="Also write a Jupyter notebook per exercise in notebooks/.")
def init_command(directory: Path, notebooks: bool) -> None:
    """Set up DIRECTORY as a fresh workspace with every exercise's stub.

    An earlier attempt in DIRECTORY is kept: its exercises/ folder and its
    progress record move to .forge/attempts/<date-time>/ before the fresh
    stubs are written.
    """
    from .workspace_init import WorkspaceError, init_workspace

    try:
        result = init_workspace(directory, notebooks=notebooks)
    except WorkspaceError as error:
        raise click.UsageError(str(error)) from None
    if result.archived is not None:
        click.echo(f"Kept your previous attempt in {result.archived}")
    click.echo(f"Wrote {len(result.written)} exercises to {result.exercises_dir}")
    if result.notebooks:
        click.echo(f"Wrote {len(result.notebooks)} notebooks to {result.notebooks[0].parent}")
    click.echo(f"Start with: cd {directory} && forge-grade exercise1")


@click.command("notebook")
@click.argument("exercise", metavar="EXERCISE|all")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=Path("notebooks"),
              show_default=True, help="Folder to write the notebooks into.")
@click.option("--force", is_flag=True, help="Overwrite notebooks that already exist (their answers are lost).")
def notebook_command(exercise: str, output: Path, force: bool) -> None:
    """Write the Jupyter notebook of EXERCISE (or of every exercise with `all`)."""
    from .notebooks.build import NotebookExists, write_notebook

    from .catalog import UnknownExercise, find

    try:
        chosen = list(available()) if exercise.lower() == "all" else [find(exercise)]
    except UnknownExercise as error:
        raise click.BadParameter(f"{error}, or all", param_hint="EXERCISE") from None
    try:
        paths = [write_notebook(item, output, overwrite=force) for item in chosen]
    except NotebookExists as error:
        raise click.UsageError(str(error)) from None
    except OSError as error:
        raise click.UsageError(f"cannot write notebooks into {str(output)!r}: {error}") from None
    for path in paths:
        click.echo(f"Wrote {path}")
    click.echo("Open one with Jupyter; its last cell grades it.")


@click.command("interview")
@click.option("--minutes", type=click.FloatRange(1, 600), default=45, show_default=True,
              help="Length of the interview in minutes.")
@click.option("-e", "--exercises", "chosen", multiple=True, type=ExerciseType(),
              help="Exercise to include (repeat the option for several; default: ones not mastered yet).")
@click.option("--count", type=click.IntRange(1, 17), default=2, show_default=True,
              help="How many exercises to pick when --exercises is not given.")
@click.option("--hints", is_flag=True, help="Show hints in the final reports (off by default, as in an interview).")
@workspace_option
@seed_option("Seed of the random inputs (default: fresh).")
def interview_command(minutes: float, chosen: tuple[Exercise, ...], count: int, hints: bool,
                      workspace: Path | None, seed: int | None) -> None:
    """Run a timed mock interview on exercises you have not mastered yet."""
    import time

    from .cli import run_grading
    from .interview import Interview, monotonic, pick_exercises, read_stdin, run_interview, summary_text
    from .render import render_report
    from .request import GradeRequest, new_seed
    from .workspace import SourceNotFound, find_workspace, workspace_source

    try:
        root = find_workspace(workspace)
    except SourceNotFound as error:
        raise click.UsageError(str(error)) from None
    with open_store(root) as store:
        mastered = {row.exercise for row in store.status(e.id for e in available()) if row.mastered}
    exercises = list(dict.fromkeys(chosen)) or pick_exercises(available(), mastered, count)
    if not exercises:
        raise click.UsageError("you have mastered every exercise; choose some with --exercises N")
    try:
        sources = {e.number: workspace_source(e, root) for e in exercises}
    except SourceNotFound as error:
        raise click.UsageError(str(error)) from None
    seed = new_seed() if seed is None else seed

    def grade(exercise: Exercise):
        request = GradeRequest(exercise, sources[exercise.number].path, seed, Limits())
        return run_grading(request, sources[exercise.number], mode="interview", hints=hints)

    started = time.time()
    interview = Interview(exercises, minutes)
    results = run_interview(interview, clock=monotonic, read=read_stdin, grade=grade, echo=click.echo)
    click.echo(summary_text(results, minutes))
    if hints:
        for result in results:
            if not result.report.full_marks:
                click.echo("\n" + render_report(result.report, f"forge-grade {result.exercise.id} --seed {result.report.seed}"))
    with open_store(root) as store:
        store.record_interview(started, minutes, time.time(), [result.to_json() for result in results])
    sys.exit(0 if all(result.report.full_marks for result in results) else 1)
