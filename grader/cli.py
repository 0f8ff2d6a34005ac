"""The ``forge-grade`` command line: a thin layer over the engine.

``forge-grade EXERCISE`` is short for ``forge-grade grade EXERCISE``. Exit
codes: 0 full marks, 1 fewer, 2 a usage error, 3 an internal error of Forge.
"""

from __future__ import annotations

import os

# The grader's arrays are small: one BLAS thread is fastest and leaves the
# other core to the worker. Set before anything imports numpy.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import contextlib  # noqa: E402 - after the BLAS settings on purpose
import functools  # noqa: E402
import json  # noqa: E402
import shlex
import sys
from pathlib import Path

import click

from . import __version__
from .catalog import Exercise, available, choices_text
from .cli_types import ExerciseType, memory_option, seed_option, timeout_option
from .sandbox import folder_sandbox
from .worker.process import Limits, WorkerStartError

EXIT_FULL_MARKS, EXIT_NOT_FULL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class ForgeGroup(click.Group):
    """A group whose unknown first word is an exercise for the ``grade`` command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["grade", *args]
        return super().parse_args(ctx, args)


@click.group(cls=ForgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="forge-grade")
def main() -> None:
    """Grade backpropagation exercises with hidden gradient-checking suites.

    \b
    Examples:
      forge-grade exercise3              grade exercises/ex03_activations.py
      forge-grade linear --seed 42       reproduce a run
      forge-grade 2 --submission my.py   grade one file
      forge-grade list                   show every exercise
    """


@main.command("grade")
@click.argument("exercise", type=ExerciseType())
@click.option("--workspace", type=click.Path(path_type=Path, file_okay=False),
              help="Folder holding exercises/ (default: the current folder).")
@click.option("--submission", type=click.Path(path_type=Path, dir_okay=True),
              help="Grade this .py file instead of the workspace's module.")
@click.option("--reference", is_flag=True, help="Grade Forge's reference solution (a check of the setup).")
@seed_option()
@timeout_option()
@memory_option()
@click.option("-k", "select", metavar="EXPR", help="Grade only the tests matching this pytest -k expression.")
@click.option("--sandbox/--no-sandbox", default=False, show_default=True,
              help="Run your code in a bubblewrap sandbox that sees only its own folder (Linux).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object and nothing else.")
def grade_command(exercise: Exercise, workspace: Path | None, submission: Path | None, reference: bool,
                  seed: int | None, timeout: float, memory: int, select: str | None, sandbox: bool,
                  as_json: bool) -> None:
    """Grade one EXERCISE (exercise3, 3 or activations)."""
    from .request import GradeRequest, new_seed
    from .workspace import SourceNotFound, find_source

    chosen = [name for name, value in (("--workspace", workspace), ("--submission", submission),
                                       ("--reference", reference)) if value]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} cannot be combined; pick one source to grade")
    try:
        source = find_source(exercise, workspace=workspace, submission=submission, reference=reference)
    except SourceNotFound as error:
        raise click.UsageError(str(error)) from None
    seed = new_seed() if seed is None else seed
    with contextlib.ExitStack() as stack:
        warn = functools.partial(click.echo, err=True)
        launcher = stack.enter_context(folder_sandbox(source.path.parent, warn)) if sandbox else None
        request = GradeRequest(exercise, source.path, seed, Limits(timeout=timeout, memory=memory),
                               launcher=launcher, select=select)
        report = run_grading(request, source)
    if select and not report.tests:
        raise click.UsageError(f"no test of {exercise.id} matches -k {select!r}; `forge-grade list` "
                               "shows the exercises, and a full run shows every test's name")
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        from .render import render_report

        click.echo(render_report(report, f"{rerun_command(click.get_current_context())} --seed {report.seed}"))
    sys.exit(EXIT_FULL_MARKS if report.full_marks else EXIT_NOT_FULL)


def run_grading(request, source, **options):
    """Grade through :func:`grading.grade_source`, turning failures of Forge into exit code 3."""
    from .grading import grade_source
    from .request import InvalidSelection

    try:
        graded = grade_source(request, source, **options)
    except InvalidSelection as error:
        raise click.UsageError(str(error)) from None
    except WorkerStartError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_INTERNAL)
    except Exception as error:  # noqa: BLE001 - a Forge bug must not show a traceback
        internal_error(error)
    for warning in graded.warnings:
        click.echo(f"Warning: {warning}", err=True)
    return graded.report


def register_commands() -> None:
    """Add the commands that live in modules of their own."""
    from .cli_practice import hint_command, init_command, interview_command, notebook_command, status_command

    for command in (hint_command, status_command, init_command, notebook_command, interview_command):
        main.add_command(command)
    from .cli_batch import COMMANDS as INSTRUCTOR_COMMANDS

    for command in INSTRUCTOR_COMMANDS:
        main.add_command(command)


def internal_error(error: Exception) -> None:
    """Report a bug in Forge itself and exit with status 3 (FORGE_DEBUG=1 shows the traceback)."""
    if os.environ.get("FORGE_DEBUG"):
        raise error
    click.echo(
        f"Error: internal error in Forge, not in your code: {type(error).__name__}: {error}\n"
        "Run again with FORGE_DEBUG=1 for the traceback, and please report it.",
        err=True,
    )
    sys.exit(EXIT_INTERNAL)


def rerun_command(ctx: click.Context) -> str:
    """The command that grades the same source the same way, for the report's last line.

    It repeats every option given a value other than its default, except
    ``--seed`` (the report adds the run's seed) and output options.
    """
    parts = ["forge-grade", ctx.params["exercise"].id]
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name in ("seed", "as_json"):
            continue
        value = ctx.params.get(param.name)
        if value is None or value is False:
            continue
        raw = param.default
        if isinstance(raw, (str, int, float)) and value == param.type_cast_value(ctx, raw):
            continue
        if param.is_flag:
            parts.append(param.opts[0] if value else param.secondary_opts[0])
        else:
            parts += [param.opts[0], str(value)]
    return shlex.join(parts)


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_command(as_json: bool) -> None:
    """List every exercise: number, alias, names to implement and points."""
    from .engine import collect

    rows = []
    for exercise in available():
        tests = collect(exercise)
        rows.append({
            "exercise": exercise.id,
            "number": exercise.number,
            "alias": exercise.alias,
            "names": list(exercise.names),
            "tests": len(tests),
            "max_score": sum(test.max_score for test in tests),
            "file": f"exercises/{exercise.filename}",
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'#':>3}  {'alias':<15} {'points':>6}  names to implement")
    for row in rows:
        click.echo(f"{row['number']:>3}  {row['alias']:<15} {row['max_score']:>6g}  {', '.join(row['names'])}")
    click.echo(f"\nGrade one with: forge-grade EXERCISE   (EXERCISE: {choices_text()})")


register_commands()
