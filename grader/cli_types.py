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
