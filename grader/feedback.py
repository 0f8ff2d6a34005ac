"""Turn what a test raised into a verdict and a message a candidate can act on.

Pure functions: an exception in, a status and a few lines of text out. No
grader traceback ever reaches the candidate; their own file and line do.
"""

from __future__ import annotations

import os

from .records import ERROR, FAILED
from .testkit.checks import CheckFailed, Mismatch, ValuesWrong
from .testkit.sides import CandidateError, ReferenceFailure
from .worker.client import Fault


class ModuleNotLoaded(Exception):
    """The submission could not be imported, so no test could run."""

    def __init__(self, fault: Fault):
        super().__init__(fault.message)
        self.fault = fault


def explain(error: BaseException) -> tuple[str, str, str | None]:
    """Return the status, message and kind of mistake for an exception raised by a test."""
    if isinstance(error, ValuesWrong):
        head = (f"not reached ({error.purpose}): this test counts only once the values are right, "
                "and they are not:")
        return FAILED, head + "\n" + format_mismatch(error.mismatch), error.mismatch.kind
    if isinstance(error, CheckFailed):
        return FAILED, format_mismatch(error.mismatch), error.mismatch.kind
    return (*_explain_error(error), None)


def _explain_error(error: BaseException) -> tuple[str, str]:
    if isinstance(error, CandidateError):
        return ERROR, format_fault(error.fault, error.label)
    if isinstance(error, ModuleNotLoaded):
        return ERROR, "not run: your module could not be imported (see the error above)"
    if isinstance(error, ReferenceFailure):
        return ERROR, f"internal error in Forge's reference solution, not in your code: {error}"
    return ERROR, (
        f"internal error in the grader, not in your code: {type(error).__name__}: {error}. "
        "Please report it with the seed of this run."
    )


def precondition_hint(error: BaseException) -> str | None:
    """The hint for a test that stopped at wrong values before its own subject."""
    if isinstance(error, ValuesWrong):
        return (f"Make the values right first (the forward and backward tests show where); "
                f"this test then checks: {error.purpose}.")
    return None


def format_mismatch(mismatch: Mismatch) -> str:
    """Lay out a failed check: checked, expected, received, details, diagnosis."""
    lines = [
        f"checked:  {mismatch.checked}",
        f"expected: {mismatch.expected}",
        f"received: {mismatch.received}",
    ]
    lines.extend(mismatch.details)
    if mismatch.diagnosis:
        lines.append(f"likely cause: {mismatch.diagnosis}")
    return "\n".join(lines)


def format_fault(fault: Fault, label: str) -> str:
    """Describe a failure of the candidate's code, located in their own file."""
    where = format_frames(fault)
    if fault.kind == "not-implemented":
        return f"{label} is not implemented yet (it raises NotImplementedError)"
    if fault.kind == "missing":
        return f"your module {fault.message.removeprefix('the module ')}; the contract requires that name"
    if fault.kind == "memory":
        head = f"{label} ran out of memory (the worker's memory limit): {fault.message}"
    elif fault.kind == "exit":
        head = f"{label} called sys.exit ({fault.message}); your code must return a result, not end the process"
    elif fault.kind == "timeout":
        head = f"{label} timed out: {fault.message}; look for an endless loop or work that grows too fast"
    elif fault.kind in ("crash", "protocol", "skipped"):
        head = f"{label}: {fault.message}"
    elif fault.kind == "conversion":
        head = f"{label} returned a value the grader cannot read: {fault.message}"
    elif fault.kind == "load":
        return format_load_error(fault)
    else:
        head = f"{label} raised {fault.type}: {fault.message}"
    parts = [head]
    if where:
        parts.append(where)
    if fault.output.strip():
        tail = fault.output.strip().splitlines()[-5:]
        parts.append("last output of the worker:\n" + "\n".join(f"  | {line}" for line in tail))
    return "\n".join(parts)


def format_frames(fault: Fault) -> str:
    """Format the candidate's own traceback lines, innermost last."""
    lines = []
    for frame in fault.frames:
        lines.append(f"  at {display_path(frame.file)}, line {frame.line}, in {frame.function}")
        if frame.code:
            lines.append(f"      {frame.code.strip()}")
    return "\n".join(lines)


def format_load_error(fault: Fault) -> str:
    """Describe why the module could not be imported."""
    if fault.type == "SyntaxError" and fault.frames:
        frame = fault.frames[0]
        text = f"SyntaxError in {display_path(frame.file)}, line {frame.line}: {fault.message}"
        if frame.code:
            text += f"\n      {frame.code.strip()}"
        return text
    text = f"importing your module raised {fault.type}: {fault.message}"
    where = format_frames(fault)
    return text + ("\n" + where if where else "")


def display_path(path: str) -> str:
    """Show a path relative to the current folder when it lies below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative
