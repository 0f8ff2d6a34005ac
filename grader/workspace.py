"""Find the file to grade: a workspace module, a single submission, or the reference."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from .catalog import PACKAGE_ROOT, Exercise

SOLUTIONS_DIR = PACKAGE_ROOT.parent / "solutions"
SUBMISSION_SUFFIXES = (".py", ".ipynb")


class SourceNotFound(Exception):
    """The file to grade does not exist or is not gradable; the message says what to do."""


@dataclass(frozen=True)
class Source:
    """The file to grade and how to show it."""

    path: Path
    """Absolute path of the file."""
    shown: str
    """The path as the user wrote it, or relative to the current folder."""
    workspace: Path | None = None
    """The workspace's root folder (the one holding exercises/), where progress is
    recorded; None for a single submission or the reference."""


def find_source(exercise: Exercise, *, workspace: Path | None, submission: Path | None,
                reference: bool) -> Source:
    """Pick the file to grade from the command-line choice (at most one is given)."""
    if reference:
        return Source((SOLUTIONS_DIR / exercise.filename).resolve(), f"the reference solution ({exercise.filename})")
    if submission is not None:
        return submission_source(submission)
    return workspace_source(exercise, workspace)


def submission_source(path: Path) -> Source:
    """Check a ``--submission`` file: it must exist and be a Python file."""
    if not path.exists():
        raise SourceNotFound(f"submission {str(path)!r} does not exist")
    if not path.is_file():
        raise SourceNotFound(f"submission {str(path)!r} is not a file; pass one {' or '.join(SUBMISSION_SUFFIXES)} file")
    if path.suffix not in SUBMISSION_SUFFIXES:
        raise SourceNotFound(
            f"submission {str(path)!r} is not a {' or '.join(SUBMISSION_SUFFIXES)} file"
        )
    if path.suffix == ".ipynb":
        check_notebook(path)
    return Source(path.resolve(), str(path))


def check_notebook(path: Path) -> None:
    """Raise :class:`SourceNotFound` unless ``path`` is a readable, valid Jupyter notebook."""
    import nbformat  # imported here: it takes a while, and only notebooks need it

    try:
        with warnings.catch_warnings():
            # nbformat warns about fixable details (a cell without an id); only its errors reject a notebook.
            # NOTE: nbformat 5.11 says a missing cell id will become an error in a later version.
            warnings.simplefilter("ignore")
            notebook = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
            nbformat.validate(notebook)
    except UnicodeDecodeError:
        raise SourceNotFound(f"notebook {str(path)!r} is not UTF-8 text; save it again from Jupyter") from None
    except (ValueError, nbformat.ValidationError, KeyError, AttributeError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SourceNotFound(
            f"{str(path)!r} is not a valid Jupyter notebook ({reason}); "
            "open it in Jupyter and save it again, or export the code to a .py file"
        ) from None


def workspace_root(folder: Path) -> Path:
    """Return the workspace that owns a folder of exercise modules.

    The root holds ``exercises/``; when the modules sit directly in the given
    folder, that folder is the root unless it is itself named ``exercises``.
    """
    folder = folder.resolve()
    return folder.parent if folder.name == "exercises" else folder


def find_workspace(workspace: Path | None) -> Path:
    """Return the workspace root for commands that need one but grade no file (status, hint)."""
    root = (workspace if workspace is not None else Path(".")).resolve()
    if workspace is not None and not root.is_dir():
        raise SourceNotFound(f"workspace {str(workspace)!r} is not a folder")
    if (root / "exercises").is_dir() or root.name != "exercises":
        return root
    return root.parent


def workspace_source(exercise: Exercise, workspace: Path | None) -> Source:
    """Find the exercise's module in a workspace.

    A workspace is a folder with an ``exercises/`` folder inside (a clone of
    Forge, or a folder made by ``forge-grade init``); the ``exercises/`` folder
    itself is accepted too. Without ``--workspace`` the current folder is used.
    """
    root = workspace if workspace is not None else Path(".")
    if workspace is not None and not workspace.is_dir():
        raise SourceNotFound(f"workspace {str(workspace)!r} is not a folder")
    for folder in (root / "exercises", root):
        candidate = folder / exercise.filename
        if candidate.is_file():
            shown = str(candidate) if workspace is not None else str(candidate.relative_to("."))
            return Source(candidate.resolve(), shown, workspace_root(folder))
    where = "the current folder" if workspace is None else repr(str(workspace))
    raise SourceNotFound(
        f"no {exercise.filename} in {where} or its exercises/ folder; run forge-grade from your "
        "Forge checkout, pass --workspace DIR, or grade one file with --submission FILE"
    )
