"""Checks of the layer protocol shared by every layer suite.

Each check runs fresh layers on both sides and raises ``CheckFailed`` on the
first wrong thing it finds. Apart from :func:`check_shapes`, every check also
requires correct values, so an implementation that returns zeros of the right
shapes earns only the shape tests' points.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .checks import CheckFailed, ValuesWrong, expect_close, expect_keys, expect_scalar_close, expect_shape, expect_unchanged, fail, shape_text
from .diagnosis import Context
from .gradients import Target, analytic_gradient
from .layers import LayerCase, Pass, run_pair
from .sides import CandidateSide, ReferenceSide
from .steps import Steps


def compare_output(got: Any, want: Any, *, what: str, checked: str | None = None,
                   context: Context | None = None, rtol: float | None = None) -> None:
    """Compare an output with the reference's: as a number for scalar losses, else as an array."""
    options = {"rtol": rtol} if rtol else {}
    if isinstance(want, float):
        expect_scalar_close(got, want, what=what, checked=checked, context=context, **options)
    else:
        expect_close(got, want, what=what, checked=checked, context=context, **options)


def check_forward(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase, *,
                  regions: Mapping[str, np.ndarray] | None = None, rtol: float | None = None) -> Any:
    """Check the output of ``forward`` against the reference; return it."""
    got_pass, want_pass = run_pair(candidate, reference, case, backward=False)
    got, want = got_pass.out, want_pass.out
    context = Context(name="the output", batch_sizes=case.batch_sizes, regions=regions or {})
    compare_output(got, want, what="out", checked=f"{case.call_text()} against the reference",
                   context=context, rtol=rtol)
    return got


def check_shapes(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase) -> None:
    """Check the shapes of the output, of every input gradient and of ``grads``."""
    got, want = run_pair(candidate, reference, case)
    if not isinstance(want.out, float):
        expect_shape(got.out, np.shape(want.out), what="out",
                     checked=f"the shape of the output of {case.call_text()}")
    for target in gradient_targets(case):
        name = target.name(case)
        verb = "returned by" if target.kind == "input" else "after"
        checked = f"the shape of {name} {verb} {case.call_text('backward')}"
        expect_shape(analytic_gradient(got, case, target, checked), np.shape(target.value(case)),
                     what=name, checked=checked)


def check_values(got: Pass, want: Pass, case: LayerCase, *, purpose: str,
                 context_extra: Mapping[str, Any] | None = None, precondition: bool = True) -> None:
    """Require the output, the input gradients and ``grads`` to match the reference.

    ``purpose`` names the property under test. With ``precondition`` (the
    default) a wrong value raises :class:`ValuesWrong`, whose report says
    the property was not reached; without it, a plain ``CheckFailed``.
    """
    try:
        _compare_pass(got, want, case, purpose, dict(context_extra or {}))
    except CheckFailed as failure:
        if not precondition:
            raise
        raise ValuesWrong(failure.mismatch, purpose) from None


def _compare_pass(got: Pass, want: Pass, case: LayerCase, purpose: str, extra: dict) -> None:
    compare_output(got.out, want.out, what="out",
                   checked=f"{case.call_text()} against the reference ({purpose})",
                   context=Context(name="the output", batch_sizes=case.batch_sizes))
    for target in gradient_targets(case):
        name = target.name(case)
        checked = f"{name} against the reference ({purpose})"
        expect_close(analytic_gradient(got, case, target, checked),
                     analytic_gradient(want, case, target, checked), what=name, checked=checked,
                     context=Context(name=name, batch_sizes=case.batch_sizes, **extra))


def gradient_targets(case: LayerCase) -> list[Target]:
    """List every gradient backward produces: each input's in order, then each parameter's."""
    return [Target.input(index) for index in case.grad_inputs] + [Target.param(key) for key in case.params]


def check_inputs_unchanged(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase) -> None:
    """Check that forward and backward leave ``x`` and ``dout`` as they were."""
    got, want = run_pair(candidate, reference, case)
    by = f"{case.call_text()} and {case.call_text('backward')}"
    for original, after, name in zip(case.inputs, got.inputs_after, case.input_names):
        if isinstance(original, np.ndarray):
            expect_unchanged(original, after, what=name, by=by)
    if isinstance(case.dout, np.ndarray):
        expect_unchanged(case.dout, got.dout_after, what="dout", by=by)
    check_values(got, want, case, purpose="inputs unchanged")


def check_grads_overwritten(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase) -> None:
    """Check that a second forward and backward on the same inputs gives the same gradients."""
    got, want = run_pair(candidate, reference, case, repeats=2)
    check_values(got.first, want, case, purpose="grads after a second forward and backward")
    check_values(got, want, case, purpose="after a second forward and backward",
                 context_extra={"repeated_call": True}, precondition=False)


def check_param_shapes(candidate: CandidateSide, case: LayerCase, shapes: Mapping[str, Sequence[int]]) -> None:
    """Check the keys, shapes and dtype of ``params`` right after construction."""
    steps = Steps()
    layer = steps.new(case.cls, *case.args, **dict(case.kwargs))
    params = steps.get(layer, "params")
    grads = steps.get(layer, "grads")
    results = candidate.run(steps)
    received = expect_keys(results[params], list(shapes), what=f"{case.cls}.params")
    for key, shape in shapes.items():
        array = expect_shape(received[key], shape, what=f"params[{key!r}]",
                             checked=f"the shape of {case.cls}.params[{key!r}]")
        if array.dtype != np.float64:
            fail(f"the dtype of {case.cls}.params[{key!r}]", "float64", str(array.dtype),
                 diagnosis="create parameters as float64 arrays (numpy's default)", kind="float32")
    if not isinstance(results[grads], dict):
        fail(f"{case.cls}.grads", "a dict", f"a {type(results[grads]).__name__}")


def shapes_text(shapes: Mapping[str, Sequence[int]]) -> str:
    """Format a dict of shapes for hints, e.g. ``W (3, 5), b (5,)``."""
    return ", ".join(f"{key} {shape_text(shape)}" for key, shape in shapes.items())
