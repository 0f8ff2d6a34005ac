"""Pick the module to grade for each exercise in a staged submission, and check it."""

from __future__ import annotations

import re
from pathlib import Path

from ..catalog import Exercise
from .archives import Rejected

SUFFIXES = (".py", ".ipynb")
#: How exercise modules are named: ex02_linear, ex14_lstm.
MODULE_NAME = re.compile(r"ex\d\d_")


class ModuleMissing(Rejected):
    """The submission has no module for one exercise; its other exercises can still be graded."""


def find_module(root: Path, exercise: Exercise, exercise_count: int) -> Path:
    """Return the file to grade for ``exercise`` in the staged folder ``root``.

    A workspace names its modules like ``exercises/ex03_activations.py`` (or
    contains them at its top). A submission made of a single .py or .ipynb file
    not named after another exercise is the module of the one exercise graded.
    """
    for folder in (root / "exercises", root):
        for suffix in SUFFIXES:
            candidate = folder / f"{exercise.module}{suffix}"
            if candidate.is_file():
                return check_source(candidate, root)
    sources = [path for path in root.rglob("*") if path.suffix in SUFFIXES and path.is_file()]
    if len(sources) != 1 or MODULE_NAME.match(sources[0].stem):
        raise ModuleMissing(f"no {exercise.filename} (or .ipynb) in the submission, at its top or in "
                            "exercises/; name the module as the exercise does")
    if exercise_count == 1:
        return check_source(sources[0], root)
    raise Rejected(f"a single file can be graded for one exercise only, and {exercise_count} were given; "
                   "submit a folder or .zip that holds each exercise's module under the exercise's file name")


def check_source(path: Path, root: Path) -> Path:
    """Reject a notebook that is not a valid Jupyter notebook.

    A Python module's encoding is checked where it is imported, by the worker,
    with Python's own rule (PEP 263), so that batch and single-file grading
    give one verdict: a load-error with Python's SyntaxError.
    """
    if path.suffix != ".ipynb":
        return path
    from ..workspace import SourceNotFound, check_notebook

    try:
        check_notebook(path)
    except SourceNotFound as error:
        shown = path.relative_to(root).as_posix()
        raise Rejected(str(error).replace(repr(str(path)), repr(shown))) from None
    return path
