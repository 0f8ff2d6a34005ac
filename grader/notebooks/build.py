"""Build an exercise's notebook from its module, so the two never drift.

The notebook has the lesson (the module docstring) as Markdown, the stubs in
a code cell tagged ``answer``, a cell that tries the code on small inputs,
and a last cell that grades the notebook in one line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from ..catalog import PACKAGE_ROOT, Exercise
from .demos import DEMOS

EXERCISES_DIR = PACKAGE_ROOT.parent / "exercises"
ANSWER_TAG = "answer"

ANSWER_INTRO = """\
## Your implementation

Fill in the next cell: it is graded as your answer (it carries the tag
`answer`). Keep the names, signatures and shapes of the docstrings. You may
add cells of your own; only cells tagged `answer` are graded."""

TRY_INTRO = """\
## Try it

Small inputs, printed shapes. Until your code is written this stops at the
stub's `NotImplementedError`."""

GRADE_INTRO = """\
## Grade it

Save the notebook first (Ctrl-S / Cmd-S): the grader reads the file as
saved, runs your answer cells in a separate process and shows the report.
`check` takes `seed=` to repeat a run and `hints=False` to hide hints."""


def split_module(source: str) -> tuple[str, str]:
    """Split a module's source into its docstring and the code after it."""
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree, clean=True) or ""
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant):
        code = "\n".join(source.splitlines()[first.end_lineno:])
    else:
        code = source
    return docstring, code.strip("\n") + "\n"


def build_notebook(exercise: Exercise, source_dir: Path = EXERCISES_DIR) -> nbformat.NotebookNode:
    """Return the notebook of ``exercise``, built from ``source_dir``'s module."""
    lesson, code = split_module((source_dir / exercise.filename).read_text(encoding="utf-8"))
    cells = [
        nbformat.v4.new_markdown_cell(lesson),
        nbformat.v4.new_markdown_cell(ANSWER_INTRO),
        nbformat.v4.new_code_cell(code.rstrip("\n"), metadata={"tags": [ANSWER_TAG]}),
        nbformat.v4.new_markdown_cell(TRY_INTRO),
        nbformat.v4.new_code_cell(DEMOS[exercise.alias]),
        nbformat.v4.new_markdown_cell(GRADE_INTRO),
        nbformat.v4.new_code_cell(
            f'from grader.notebook_check import check\ncheck("{exercise.id}", "{exercise.module}.ipynb")'
        ),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["forge"] = {"exercise": exercise.id}
    return notebook


class NotebookExists(Exception):
    """A notebook would overwrite a file the candidate may have worked in."""


def write_notebook(exercise: Exercise, directory: Path, *, overwrite: bool = False) -> Path:
    """Write and validate the exercise's notebook in ``directory``; return its path."""
    path = directory / f"{exercise.module}.ipynb"
    if path.exists() and not overwrite:
        raise NotebookExists(f"{str(path)!r} already exists; pass --force to overwrite it (your answers in it are lost)")
    notebook = build_notebook(exercise)
    nbformat.validate(notebook)
    directory.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path
