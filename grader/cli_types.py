"""Parameter types shared by the command-line modules."""

from __future__ import annotations

import re

import click

from .catalog import Exercise, UnknownExercise, find
from .worker.process import GIB

MIN_MEMORY = 256 * 1024**2
SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kib": 1024, "kb": 1000, "m": 1024**2, "mib": 1024**2,
              "mb": 1000**2, "g": GIB, "gib": GIB, "gb": 1000**3}


class ExerciseType(click.ParamType):
    """An exercise given as ``exercise3``, ``3`` or ``activations``."""

    name = "EXERCISE"

    def convert(self, value, param, ctx) -> Exercise:
        if isinstance(value, Exercise):
            return value
        try:
            return find(value)
        except UnknownExercise as error:
            self.fail(str(error), param, ctx)


class MemorySize(click.ParamType):
    """A memory size such as ``2GiB``, ``512MiB`` or a number of bytes."""

    name = "SIZE"

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
        unit = match.group(2).lower() if match else None
        if match is None or unit not in SIZE_UNITS:
            self.fail(f"{value!r} is not a memory size; write e.g. 2GiB, 512MiB or 1500000000", param, ctx)
        size = int(float(match.group(1)) * SIZE_UNITS[unit])
        if size < MIN_MEMORY:
            self.fail(f"{value!r} is too small: the worker needs at least 256MiB (numpy alone takes about 150MiB)",
                      param, ctx)
        return size


class WholeNumberRange(click.IntRange):
    """An integer range whose error for a non-number says "is not a whole number"."""

    name = "integer"

    def convert(self, value, param, ctx):
        if not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a whole number; write digits only, e.g. 4", param, ctx)
        return super().convert(value, param, ctx)


SEED_RANGE = WholeNumberRange(0, 2**63 - 1)


def seed_option(help: str = "Seed of the random inputs; a run with the same seed repeats exactly (default: fresh)."):
    """The ``--seed`` option, an integer from 0 to 2**63 - 1."""
    return click.option("--seed", type=SEED_RANGE, help=help)


def timeout_option(help: str = "Seconds one call into your code may take."):
    """The ``--timeout`` option: seconds per call into submitted code, 10 by default."""
    return click.option("--timeout", type=click.FloatRange(0, 3600, min_open=True), default=10.0,
                        show_default=True, help=help)


def memory_option(help: str = "Address space the worker running your code may use."):
    """The ``--memory`` option: the worker's address space, 2GiB by default."""
    return click.option("--memory", type=MemorySize(), default="2GiB", show_default=True, help=help)
