"""Run a Jupyter notebook's answer cells as a module, inside the worker.

The grader checks that a file is a valid notebook (with nbformat) before it
is graded; this module only extracts the code. Cells tagged ``answer`` are
the candidate's answer; a notebook with no tagged cell contributes all its
code cells. IPython magics (``%time``, ``%%capture``) and shell escapes
(``!pip install``) are dropped. Each cell is compiled with the file name
``<cell N>`` (N counts every cell from 1, as the notebook shows them), so a
traceback points at the cell and the line within it.

Imported as ``notebook`` inside the worker process; standard library only.
"""

from __future__ import annotations

import json
import linecache
import re
import types

ANSWER_TAG = "answer"
_MAGIC_LINE = re.compile(r"^(\s*)(%|!|\?)")


class NotebookError(ValueError):
    """The file is not a notebook this loader can read."""


def answer_cells(notebook: dict) -> list[tuple[int, str]]:
    """Return (cell number, source) of the cells to run, numbered from 1."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise NotebookError("the file has no list of cells, so it is not a Jupyter notebook")
    code = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        tags = (cell.get("metadata") or {}).get("tags") or []
        code.append((number, text, ANSWER_TAG in tags))
    tagged = [(number, text) for number, text, is_answer in code if is_answer]
    return tagged or [(number, text) for number, text, _ in code]


def strip_magics(source: str) -> str:
    """Replace IPython magics and shell escapes with ``pass``, keeping line numbers."""
    if source.lstrip().startswith("%%"):
        return "\n" * source.count("\n")  # a cell magic owns the whole cell
    lines = []
    for line in source.split("\n"):
        match = _MAGIC_LINE.match(line)
        lines.append(f"{match.group(1)}pass" if match else line)
    return "\n".join(lines)


def load_notebook(path: str, module: types.ModuleType) -> None:
    """Execute the notebook's answer cells in ``module``'s namespace."""
    try:
        with open(path, encoding="utf-8") as handle:
            notebook = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookError(f"the file is not valid JSON, so it is not a Jupyter notebook: {error}") from None
    for number, source in answer_cells(notebook):
        filename = f"<cell {number}>"
        code = strip_magics(source)
        linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
        exec(compile(code, filename, "exec"), module.__dict__)
