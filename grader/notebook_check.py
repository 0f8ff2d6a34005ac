"""Grade a notebook from inside it: ``check("exercise3", "ex03_activations.ipynb")``.

The notebook's kernel acts as the grader: the saved notebook's answer cells
run in a separate worker process, exactly as ``forge-grade EXERCISE
--submission FILE.ipynb`` runs them, and the report is shown as HTML. The
run is recorded in the notebook's folder, like a workspace.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from .catalog import find
from .cli_types import MemorySize
from .grading import grade_source
from .records import Report
from .render import render_html, render_report
from .request import GradeRequest, new_seed
from .worker.process import Limits
from .workspace import Source, check_notebook


def check(exercise: str, notebook: str | Path, *, seed: int | None = None, hints: bool = True,
          timeout: float = 10.0, memory: str = "2GiB") -> Report:
    """Grade the saved ``notebook`` for ``exercise``, display the report and return it."""
    chosen = find(exercise)
    path = Path(notebook).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{str(notebook)!r} does not exist; pass the notebook's file name, "
                                "as shown in Jupyter's title bar, with .ipynb")
    check_notebook(path)
    limits = Limits(timeout=timeout, memory=MemorySize().convert(memory, None, None))
    request = GradeRequest(chosen, path, new_seed() if seed is None else seed, limits)
    graded = grade_source(request, Source(path, path.name, workspace=notebook_workspace(path)), mode="notebook",
                          hints=hints)
    saved = datetime.datetime.fromtimestamp(path.stat().st_mtime).strftime("%H:%M:%S")
    note = f"Graded {path.name} as saved at {saved}."
    _show(graded.report, note, graded.warnings)
    return graded.report


def notebook_workspace(path: Path) -> Path:
    """The workspace a notebook's runs are recorded in.

    Notebooks written into a workspace's ``notebooks/`` folder (by ``init
    --notebooks`` or ``notebook`` run at its root) share the workspace's
    record; a notebook elsewhere records in its own folder.
    """
    folder = path.parent
    if folder.name == "notebooks" and (folder.parent / "exercises").is_dir():
        return folder.parent
    return folder


def _show(report: Report, note: str, warnings: list[str]) -> None:
    try:
        from IPython.display import HTML, display
    except ImportError:
        rerun = f'check("{report.exercise}", "{Path(report.source).name}", seed={report.seed})'
        print(click.unstyle(render_report(report, rerun)))
        print(note, *warnings, sep="\n")
        return
    display(HTML(render_html(report, note, warnings)))
