"""Checks for module-level functions that return a value and its gradients.

Exercise 1's ``neuron(w, x) -> (out, dw, dx)`` and ``staged(x, y) -> (f,
dfdx, dfdy)`` are such functions: the first item returned is the value, then
one gradient per input, in the order of the inputs. The value is either a
scalar, so each gradient has its input's shape, or elementwise in every
input, so each gradient is the elementwise derivative.

A gradient is checked against the reference, then against central
differences of the candidate's own value, all in one request to the worker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .checks import CheckFailed, Mismatch, expect_shape, fail, to_array, to_float, unpack
from .diagnosis import Context
from .gradients import STEP, _numeric_disagrees
from .layer_checks import compare_output
from .sides import CandidateSide, ReferenceSide
from .steps import Steps

#: Maximum number of entries of an input whose gradient is estimated entry by
#: entry, with two calls per entry, all in one request.
MAX_PROBED_ENTRIES = 96


@dataclass(frozen=True)
class FunctionCase:
    """How to call one function for one test."""

    name: str
    """Name of the function in the module, e.g. ``"neuron"``."""
    inputs: tuple[np.ndarray, ...]
    """Positional arguments, float64 arrays."""
    input_names: tuple[str, ...]
    """Names of the inputs for messages, e.g. ``("w", "x")``."""
    gradient_names: tuple[str, ...]
    """Names of the returned gradients for messages, e.g. ``("dw", "dx")``."""
    value_name: str = "out"
    """Name of the returned value for messages, e.g. ``"f"``."""
    elementwise: bool = False
    """True when the value is elementwise in every input, as for ``staged``. False
    when the value is a scalar, as for ``neuron``."""

    def call_text(self) -> str:
        """Describe the call for messages, e.g. ``neuron(w, x)``."""
        return f"{self.name}({', '.join(self.input_names)})"

    @property
    def result_size(self) -> int:
        """Number of items the function returns: the value and one gradient per input."""
        return 1 + len(self.inputs)


@dataclass(frozen=True)
class FunctionRun:
    """The value and gradients that one side returned for a case, as plain data."""

    value: Any
    gradients: tuple
    probes: tuple = ()
    """Values returned for the perturbed inputs, in the order of :func:`probe_arguments`."""


def probe_arguments(case: FunctionCase, index: int) -> list[list[np.ndarray]]:
    """Return the argument lists whose values give central differences along input ``index``.

    Each probe comes as a pair, input plus step then input minus step. An
    elementwise function needs one pair that moves every entry at once, since
    entry i of the value depends on entry i of the input only. A scalar
    function needs one pair per entry.
    """
    base = np.asarray(case.inputs[index], dtype=np.float64)
    if case.elementwise:
        directions = [np.ones_like(base)]
    elif base.size <= MAX_PROBED_ENTRIES:
        directions = list(np.eye(base.size).reshape((base.size,) + base.shape))
    else:
        raise ValueError(f"{case.input_names[index]} has {base.size} entries; "
                         f"probing more than {MAX_PROBED_ENTRIES} is too slow")
    arguments = []
    for direction in directions:
        for sign in (1.0, -1.0):
            args = list(case.inputs)
            args[index] = base + sign * STEP * direction
            arguments.append(args)
    return arguments


def run_function(side: CandidateSide | ReferenceSide, case: FunctionCase, *,
                 probe: int | None = None) -> FunctionRun:
    """Call the function on ``side``, and on perturbed copies of input ``probe`` if given."""
    steps, main, probes = function_steps(case, probe)
    return read_function(side.run(steps), case, main, probes)


def run_function_pair(candidate: CandidateSide, reference: ReferenceSide, case: FunctionCase, *,
                      probe: int | None = None) -> tuple[FunctionRun, FunctionRun]:
    """Call the function on both sides at once (the probes on the candidate only)."""
    steps, main, probes = function_steps(case, probe)
    pending = candidate.submit(steps)
    want = run_function(reference, case)
    return read_function(pending.result(), case, main, probes), want


def function_steps(case: FunctionCase, probe: int | None):
    """Build the steps of one call, and of the perturbed calls for input ``probe``."""
    steps = Steps()
    main = steps.function(case.name, *case.inputs)
    probes = [steps.function(case.name, *args) for args in probe_arguments(case, probe)] if probe is not None else []
    return steps, main, probes


def read_function(results, case: FunctionCase, main, probes) -> FunctionRun:
    """Pick a :class:`FunctionRun` out of the results of :func:`function_steps`."""
    checked = f"the result of {case.call_text()}"
    items = unpack(results[main], case.result_size, f"the result of {case.call_text()}", checked)
    return FunctionRun(items[0], items[1:], tuple(results[ref] for ref in probes))


def check_function_shapes(candidate: CandidateSide, reference: ReferenceSide, case: FunctionCase) -> None:
    """Check that the value has the reference's shape and each gradient its input's shape."""
    got, want = run_function_pair(candidate, reference, case)
    checked = f"the shape of {case.value_name} returned by {case.call_text()}"
    if isinstance(want.value, float):
        to_float(got.value, case.value_name, checked)
    else:
        expect_shape(got.value, np.shape(want.value), what=case.value_name, checked=checked)
    for name, gradient, value in zip(case.gradient_names, got.gradients, case.inputs):
        expect_shape(gradient, np.shape(value), what=name,
                     checked=f"the shape of {name} returned by {case.call_text()}")


def check_function_value(candidate: CandidateSide, reference: ReferenceSide, case: FunctionCase) -> None:
    """Check the value the function returns against the reference."""
    got, want = run_function_pair(candidate, reference, case)
    compare(got.value, want.value, what=case.value_name,
            checked=f"{case.value_name} from {case.call_text()} against the reference",
            context=Context(name=case.value_name))


def check_function_gradient(candidate: CandidateSide, reference: ReferenceSide, case: FunctionCase,
                            index: int, *, regions=None) -> None:
    """Check the gradient with respect to input ``index``: against the reference, then
    against central differences of the candidate's own value."""
    name = case.gradient_names[index]
    got, want = run_function_pair(candidate, reference, case, probe=index)
    received = got.gradients[index]
    context = Context(name=name, regions=regions or {})
    try:
        compare(received, want.gradients[index], what=name,
                checked=f"{name} from {case.call_text()} against the reference", context=context)
    except CheckFailed as failure:
        # Central differences of a float32 value are noise, so they cannot locate the mistake.
        note = None if failure.mismatch.kind == "float32" else _numeric_note(case, got, index, received)
        raise CheckFailed(_with_detail(failure.mismatch, note)) from None

    numeric = numeric_gradient(case, got, index)
    analytic = np.asarray(received, dtype=np.float64)
    if _numeric_disagrees(analytic, numeric):
        error = float(np.max(np.abs(analytic - numeric)))
        fail(
            f"{name} against central differences of your own {case.value_name} from {case.call_text()}",
            f"your {name} to match the numerical derivative of your {case.value_name}",
            f"they differ by up to {error:.3g}",
            f"your {name} matches the reference, so it is right for the correct {case.value_name}",
            diagnosis=_value_diagnosis(case, got, want),
            kind="forward",
        )


def numeric_gradient(case: FunctionCase, run: FunctionRun, index: int) -> np.ndarray:
    """Estimate the gradient along input ``index`` from the probe values of ``run``."""
    checked = f"central differences of your {case.value_name} from {case.call_text()}"
    what = f"the {case.value_name} that {case.call_text()} returned for a perturbed {case.input_names[index]}"
    values = []
    for result in run.probes:
        value = unpack(result, case.result_size, f"the result of {case.call_text()}", checked)[0]
        if case.elementwise:
            values.append(expect_shape(value, np.shape(case.inputs[index]), what=what, checked=checked)
                          .astype(np.float64))
        else:
            values.append(to_float(value, what, checked))
    plus, minus = np.array(values[0::2]), np.array(values[1::2])
    estimates = (plus - minus) / (2 * STEP)
    if case.elementwise:
        return estimates[0]
    return estimates.reshape(np.shape(case.inputs[index]))


def _numeric_note(case: FunctionCase, run: FunctionRun, index: int, received: Any) -> str | None:
    """Return a note on whether the candidate's gradient matches its own value, or None."""
    name = case.gradient_names[index]
    try:
        numeric = numeric_gradient(case, run, index)
        analytic = to_array(received, name, "").astype(np.float64)
    except CheckFailed:
        return None  # a value that is not a number leaves the message without the note
    if analytic.shape != numeric.shape:
        return None
    if _numeric_disagrees(analytic, numeric):
        return (f"central differences of your own {case.value_name} disagree with your {name} too: "
                f"the mistake is in how {name} is computed")
    return (f"your {name} matches central differences of your own {case.value_name}, so the two agree "
            f"with each other: the mistake is in {case.value_name} (see the test of {case.value_name})")


def _value_diagnosis(case: FunctionCase, got: FunctionRun, want: FunctionRun) -> str:
    """Explain a gradient that is right but disagrees with the candidate's own value."""
    try:
        compare(got.value, want.value, what=case.value_name, context=Context(name=f"your {case.value_name}"))
    except CheckFailed as failure:
        cause = failure.mismatch.diagnosis
        return (f"your {case.value_name} is wrong, so fix it first (see the test of {case.value_name})"
                + (f": {cause}" if cause else ""))
    return (f"your {case.value_name} matches the reference at these inputs but not nearby: "
            "it may depend on something besides the inputs")


def compare(got: Any, want: Any, *, what: str, checked: str | None = None, context: Context | None = None) -> None:
    """Compare a returned value or gradient with the reference's, as :func:`compare_output` does.

    A constant-factor diagnosis drawn from a single number is dropped unless
    the factor is 2 or 1/2, because any two nonzero numbers differ by some factor.
    """
    try:
        compare_output(got, want, what=what, checked=checked, context=context)
    except CheckFailed as failure:
        mismatch = failure.mismatch
        if mismatch.kind == "factor" and np.size(want) == 1 and not _named_factor(got, want):
            mismatch = replace(mismatch, diagnosis=None, kind=None)
        raise CheckFailed(mismatch) from None


def _named_factor(got: Any, want: Any) -> bool:
    ratio = float(np.asarray(got, dtype=np.float64).reshape(())) / float(np.asarray(want).reshape(()))
    return bool(np.isclose(ratio, 2.0, rtol=1e-6) or np.isclose(ratio, 0.5, rtol=1e-6))


def _with_detail(mismatch: Mismatch, note: str | None) -> Mismatch:
    if not note:
        return mismatch
    return Mismatch(mismatch.checked, mismatch.expected, mismatch.received,
                    mismatch.details + (note,), mismatch.diagnosis, mismatch.kind)
