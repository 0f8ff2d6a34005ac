"""The instructor's commands: ``batch``, ``merge`` and ``export``.

Thin click layers over ``grader.batch``: each parses and checks its options,
calls one keyword-only function and turns its exceptions into exit codes
(2 a usage error, 3 an internal error of Forge, 130 interrupted).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .catalog import Exercise
from .cli_types import ExerciseType, WholeNumberRange, memory_option, seed_option, timeout_option

EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 3, 130
DEFAULT_SUBMISSION_TIMEOUT = 300.0


class ShardType(click.ParamType):
    """A shard written ``K/N``: the K-th of N parts of the class."""

    name = "K/N"

    def convert(self, value, param, ctx):
        from .batch.discover import Shard, parse_shard

        if isinstance(value, Shard):
            return value
        try:
            return parse_shard(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


#: The ``--submission-timeout`` option of ``batch`` and of the Gradescope export.
submission_timeout_option = click.option(
    "--submission-timeout", type=click.FloatRange(0, 86400, min_open=True), default=DEFAULT_SUBMISSION_TIMEOUT,
    show_default=True, help="Seconds grading one exercise of one submission may take in all.")


def output_options(command):
    """The options naming the gradebook files, shared by ``batch`` and ``merge``."""
    for option in reversed([
        click.option("--csv", "csv_path", type=click.Path(path_type=Path), metavar="FILE",
                     help="Write the gradebook: one row per submission, one column per exercise."),
        click.option("--jsonl", "jsonl_path", type=click.Path(path_type=Path), metavar="FILE",
                     help="Write every test of every submission, one JSON object per submission and exercise."),
        click.option("--gradescope", "gradescope_path", type=click.Path(path_type=Path), metavar="DIR",
                     help="Write DIR/<submission>/results.json in Gradescope's autograder schema."),
        click.option("--junit", "junit_path", type=click.Path(path_type=Path), metavar="FILE",
                     help="Write a JUnit XML report (a testsuite per submission and exercise)."),
    ]):
        command = option(command)
    return command


def destinations(csv_path, jsonl_path, gradescope_path, junit_path):
    from .batch.write import Destinations

    return Destinations(csv_path, jsonl_path, gradescope_path, junit_path)


def internal_error(error: Exception) -> None:
    """Report a bug in Forge itself and exit with status 3, as every command does."""
    from .cli import internal_error as report

    report(error)


def unique(exercises: tuple[Exercise, ...]) -> list[Exercise]:
    """The exercises in the order given, each once."""
    seen: list[Exercise] = []
    for exercise in exercises:
        if exercise not in seen:
            seen.append(exercise)
    return seen


@click.command("batch")
@click.argument("submissions", type=click.Path(path_type=Path, exists=True))
@click.option("--exercise", "-e", "exercises", type=ExerciseType(), multiple=True, required=True,
              help="Exercise to grade (exercise3, 3 or activations); repeat it for several.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default="forge-results", show_default=True,
              metavar="DIR",
              help="Folder for batch.json and the results log; running the command again resumes from it.")
@click.option("--jobs", "-j", type=WholeNumberRange(1, 512), default=os.cpu_count() or 1, show_default="cores",
              help="Submissions graded at once, each by its own process.")
@seed_option("Seed of every submission's inputs (default: the output folder's, else fresh).")
@timeout_option("Seconds one call into a submission may take.")
@submission_timeout_option
@memory_option("Address space of each worker running a submission.")
@click.option("-k", "select", metavar="EXPR", help="Grade only the tests matching this pytest -k expression.")
@click.option("--sandbox/--no-sandbox", default=True, show_default=True,
              help="Run each submission in a bubblewrap sandbox (Linux); without one, a warning is printed.")
@click.option("--shard", type=ShardType(), help="Grade only part K of N of the submissions (needs --seed).")
@click.option("--fresh", is_flag=True, help="Discard earlier results in the output folder and grade everything.")
@output_options
def batch_command(submissions: Path, exercises: tuple[Exercise, ...], output: Path, jobs: int, seed: int | None,
                  timeout: float, submission_timeout: float, memory: int, select: str | None, sandbox: bool,
                  shard, fresh: bool, csv_path, jsonl_path, gradescope_path, junit_path) -> None:
    """Grade every submission in the folder SUBMISSIONS.

    Each entry of SUBMISSIONS is one student's submission, named after the
    student: a .py or .ipynb file, a folder (a workspace with exercises/ or
    the modules at its top) or a .zip of either.
    """
    from .batch.discover import NoSubmissions
    from .batch.folder import SettingsChanged
    from .batch.outputs import OutputError
    from .batch.runner import Interrupted, run_batch
    from .batch.summary import plural
    from .worker.process import Limits

    if not submissions.is_dir():
        raise click.BadParameter(f"{str(submissions)!r} is a file; pass the folder that holds the submissions (one "
                                 "entry per student), or grade one file with forge-grade EXERCISE --submission FILE",
                                 param_hint="'SUBMISSIONS'")
    if shard is not None and seed is None:
        raise click.UsageError("--shard needs --seed: every shard must grade with the same seed; "
                               "add e.g. --seed 1234 to each shard's command")
    try:
        outcome = run_batch(
            submissions=submissions, exercises=unique(exercises), output=output, seed=seed, jobs=jobs,
            limits=Limits(timeout=timeout, memory=memory), submission_timeout=submission_timeout,
            select=select, sandbox=sandbox, shard=shard, fresh=fresh,
            destinations=destinations(csv_path, jsonl_path, gradescope_path, junit_path), echo=click.echo,
        )
    except (NoSubmissions, OutputError, SettingsChanged) as error:
        raise click.UsageError(str(error)) from None
    except Interrupted as error:
        click.echo(f"\n{error}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:  # before grading started: nothing to resume yet
        click.echo("\ninterrupted before grading started", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as error:  # noqa: BLE001 - a Forge bug must not show a traceback
        internal_error(error)
    click.echo(outcome.summary_text)
    if outcome.log_restored:
        click.echo("WARNING: the results log was changed by another process while the batch ran (a submission "
                   "graded without the sandbox?); Forge restored it from its own records.", err=True)
    if outcome.internal_errors:
        click.echo(f"Error: Forge failed on {plural(outcome.internal_errors, 'submission')} (status internal-error); "
                   "see their reason in the outputs, and please report it.", err=True)
        sys.exit(EXIT_INTERNAL)


@click.command("merge")
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_options
def merge_command(folders: tuple[Path, ...], csv_path, jsonl_path, gradescope_path, junit_path) -> None:
    """Merge the output folders of a sharded batch (--shard K/N) into one gradebook."""
    from .batch.folder import NotABatchFolder
    from .batch.merge import MergeError, merge_folders
    from .batch.outputs import OutputError
    from .batch.runner import check_output_files
    from .batch.summary import render_summary, summarize
    from .batch.write import write_outputs

    targets = destinations(csv_path, jsonl_path, gradescope_path, junit_path)
    try:
        check_output_files(targets)
        merged = merge_folders(list(folders))
        write_outputs(targets, merged.rows, merged.exercises, merged.seed)
    except (NotABatchFolder, MergeError, OutputError) as error:
        raise click.UsageError(str(error)) from None
    except Exception as error:  # noqa: BLE001 - a Forge bug must not show a traceback
        internal_error(error)
    click.echo(render_summary(summarize(merged.rows, merged.seed)))


@click.group("export")
def export_group() -> None:
    """Build what grades elsewhere: a Gradescope autograder, a GitHub Classroom workflow."""


@export_group.command("gradescope")
@click.option("--exercise", "-e", "exercises", type=ExerciseType(), multiple=True, required=True,
              help="Exercise the autograder grades; repeat it for several.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The autograder archive to write, e.g. autograder.zip.")
@seed_option("Seed of every student's inputs (default: drawn now, then fixed in the archive).")
@timeout_option("Seconds one call into a submission may take.")
@submission_timeout_option
@memory_option("Address space of the worker running a submission.")
def export_gradescope_command(exercises: tuple[Exercise, ...], output: Path, seed: int | None, timeout: float,
                              submission_timeout: float, memory: int) -> None:
    """Write a Gradescope autograder (.zip) that grades with Forge's hidden suites."""
    from .batch.export import ExportError, export_gradescope
    from .request import new_seed

    seed = new_seed() if seed is None else seed
    try:
        contents = export_gradescope(output=output, exercises=unique(exercises), seed=seed, timeout=timeout,
                                     submission_timeout=submission_timeout, memory=memory)
    except ExportError as error:
        raise click.UsageError(str(error)) from None
    except Exception as error:  # noqa: BLE001 - a Forge bug must not show a traceback
        internal_error(error)
    click.echo(f"Wrote {output} ({', '.join(contents)}) grading {', '.join(e.id for e in unique(exercises))} "
               f"with seed {seed}.\nUpload it as the autograder of a Gradescope programming assignment.")


@export_group.command("classroom")
@click.option("--exercise", "-e", "exercises", type=ExerciseType(), multiple=True, required=True,
              help="Exercise the workflow grades; repeat it for several.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The workflow file to write, e.g. .github/workflows/classroom.yml.")
@seed_option("Seed of every student's inputs (default: drawn now, then fixed in the workflow).")
@click.option("--install", "install", default="${{ secrets.FORGE_WHEEL_URL }}", show_default=True,
              help="What pip installs Forge from in the workflow: a wheel's URL, or an expression for one.")
def export_classroom_command(exercises: tuple[Exercise, ...], output: Path, seed: int | None,
                             install: str) -> None:
    """Write a GitHub Classroom workflow that grades each push with Forge."""
    from .batch.classroom import workflow_text
    from .batch.outputs import OutputError, check_writable_file
    from .request import new_seed

    seed = new_seed() if seed is None else seed
    try:
        check_writable_file(output, "--output")
    except OutputError as error:
        raise click.UsageError(str(error)) from None
    output.write_text(workflow_text(exercises=unique(exercises), seed=seed, install=install), encoding="utf-8")
    click.echo(f"Wrote {output} grading {', '.join(e.id for e in unique(exercises))} with seed {seed}.")


COMMANDS = (batch_command, merge_command, export_group)
