"""Cases and checks for recurrent layers that follow ``forward(x, h0=None)``.

A recurrent layer maps ``x`` of shape (N, T, D) and an optional initial state
``h0`` of shape (N, H) to every hidden state, shape (N, T, H), and
``backward(dh)`` returns ``(dx, dh0)``. The helpers here build such cases,
name the time steps where a wrong ``dx`` is wrong, and explain a parameter
gradient that is right for one step but not summed over a sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Mapping

import numpy as np

from .checks import CheckFailed, expect_close, fail, shape_text
from .diagnosis import Context, Finding
from .gradients import Target, analytic_gradient, check_gradient
from .layers import LayerCase, Pass, run_pass
from .sides import CandidateError, CandidateSide, ReferenceSide

#: Pre-activations ``x_t @ Wx + h_{t-1} @ Wh + b`` drawn at these scales have a
#: standard deviation of about 0.7 (measured over random cases), so tanh and
#: sigmoid work mostly in their curved middle part and the gradients they pass
#: on are informative rather than near zero.
INPUT_SCALE = 1.0
WEIGHT_GAIN = 0.6
BIAS_SCALE = 0.3

#: Explains a failed gradient check: returns a finding, a sentence (no kind of
#: mistake named), or None if its pattern does not fit.
Explainer = Callable[[CandidateSide, ReferenceSide, LayerCase, Target], "Finding | str | None"]


@dataclass(frozen=True)
class ZeroStateCase(LayerCase):
    """A recurrent case whose forward call omits ``h0``, so the state starts at zeros.

    ``inputs`` holds only ``x``, while ``input_names`` stays ``("x", "h0")`` and
    ``grad_inputs`` stays ``(0, 1)`` because backward still returns ``(dx, dh0)``.
    Checks that perturb an input (``check_gradient``) work for ``x`` only.
    """

    def call_text(self, method: str = "forward") -> str:
        if method == "backward":
            return super().call_text(method)
        return f"{self.cls}.forward(x) with h0 omitted"


def sequence_case(rng: np.random.Generator, cls: str, *, batch: int, steps: int, input_size: int,
                  hidden_size: int, gates: int = 1, zero_state: bool = False,
                  last_step_only: bool = False) -> LayerCase:
    """Draw a recurrent layer's case: random parameters, sequences and upstream gradient.

    ``gates`` is the number of blocks of ``hidden_size`` columns in the weights
    (1 for a vanilla RNN, 4 for an LSTM). With ``last_step_only`` the upstream
    gradient is zero except at the last time step, so every earlier step gets
    its gradient only through the recurrence.
    """
    width = gates * hidden_size
    params = {
        "Wx": rng.normal(scale=WEIGHT_GAIN / np.sqrt(input_size), size=(input_size, width)),
        "Wh": rng.normal(scale=WEIGHT_GAIN / np.sqrt(hidden_size), size=(hidden_size, width)),
        "b": rng.normal(scale=BIAS_SCALE, size=width),
    }
    x = rng.normal(scale=INPUT_SCALE, size=(batch, steps, input_size))
    dout = rng.normal(size=(batch, steps, hidden_size))
    if last_step_only:
        dout[:, :-1] = 0.0
    if zero_state:
        return ZeroStateCase(cls=cls, args=(input_size, hidden_size), params=params, inputs=(x,),
                             input_names=("x", "h0"), grad_inputs=(0, 1), dout=dout)
    h0 = rng.uniform(-0.8, 0.8, size=(batch, hidden_size))
    return LayerCase(cls=cls, args=(input_size, hidden_size), params=params, inputs=(x, h0),
                     input_names=("x", "h0"), grad_inputs=(0, 1), dout=dout)


def first_step_case(case: LayerCase) -> LayerCase:
    """Cut a case to its first time step, keeping its parameters and ``h0``."""
    x, *rest = case.inputs
    return replace(case, inputs=(x[:, :1], *rest), dout=case.dout[:, :1])


def time_regions(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Name the time steps of an (N, T, ...) gradient for the diagnosis.

    A backward pass that drops the gradient arriving from step t + 1 is still
    right at the last step and wrong at every earlier one.
    """
    steps = shape[1]
    earlier = np.zeros(shape, dtype=bool)
    earlier[:, : steps - 1] = True
    return {"at the time steps before the last, which also get gradient from later steps": earlier}


def check_sequence_gradient(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                            target: Target, *, rng: np.random.Generator,
                            regions: Mapping[str, np.ndarray] | None = None,
                            explainers: tuple[Explainer, ...] = (), max_entries: int = 96) -> None:
    """Run :func:`check_gradient` and, when it fails, try ``explainers`` for a better diagnosis.

    ``dx`` gets :func:`time_regions` unless ``regions`` is given.
    ``max_entries`` is passed on: a gradient with more entries is checked
    along random directions instead of by central differences per entry.
    """
    if regions is None and target == Target.input(0):
        regions = time_regions(np.shape(case.inputs[0]))
    try:
        check_gradient(candidate, reference, case, target, rng=rng, regions=regions, max_entries=max_entries)
    except CheckFailed as failure:
        _raise_explained(failure, explainers, candidate, reference, case, target)


def check_zero_state_dh0(candidate: CandidateSide, reference: ReferenceSide, case: ZeroStateCase, *,
                         explainers: tuple[Explainer, ...] = ()) -> None:
    """Check dh0 after ``forward(x)`` without ``h0``: the gradient of the zero initial state.

    There is no ``h0`` to perturb, so dh0 is compared with the reference only.
    """
    target = Target.input(1)
    checked = (f"dh0 from {case.call_text('backward')} after {case.call_text()} "
               "against the reference gradient of the zero initial state")
    want = analytic_gradient(run_pass(reference, case), case, target, checked)
    got = analytic_gradient(run_pass(candidate, case), case, target, checked)
    if got is None:
        fail(checked, f"an array of shape {shape_text(np.shape(want))}, the gradient of the zeros forward started from",
             "dh0 is None",
             diagnosis="h0 defaults to zeros, and the loss still depends on that initial state through Wh: "
             "return the gradient sent back by the first step, as when h0 is given")
    try:
        expect_close(got, want, what="dh0", checked=checked,
                     context=Context(name="dh0", batch_sizes=case.batch_sizes))
    except CheckFailed as failure:
        _raise_explained(failure, explainers, candidate, reference, case, target)


def _raise_explained(failure: CheckFailed, explainers: tuple[Explainer, ...], candidate: CandidateSide,
                     reference: ReferenceSide, case: LayerCase, target: Target) -> None:
    """Re-raise ``failure`` with the diagnosis of the first explainer that fits, if any."""
    for explain in explainers:
        found = explain(candidate, reference, case, target)
        if isinstance(found, Finding):
            raise CheckFailed(replace(failure.mismatch, diagnosis=found.message, kind=found.kind)) from None
        if found:
            raise CheckFailed(replace(failure.mismatch, diagnosis=found, kind=None)) from None
    raise failure


def explain_time_sum(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                     target: Target) -> str | None:
    """Explain a parameter gradient that is right for one step but wrong for the sequence.

    When ``dx`` and ``dh0`` are right, the gradient of every step's
    pre-activation is right. If the parameter gradient is then right for a
    one-step sequence, what is wrong is how the steps' contributions combine.
    """
    steps = case.inputs[0].shape[1]
    if target.kind != "param" or steps < 2:
        return None
    try:
        got, want = run_pass(candidate, case), run_pass(reference, case)
        if not all(_agrees(got, want, case, Target.input(index)) for index in case.grad_inputs):
            return None
        one_step = first_step_case(case)
        if not _agrees(run_pass(candidate, one_step), run_pass(reference, one_step), one_step, target):
            return None
    except CandidateError:
        return None
    name = target.name(case)
    return (f"{name} is right for a one-step sequence but wrong for T = {steps}, while dx and dh0 are "
            "right. Each step's term is right, so the terms are not summed over time: start from zeros "
            "in each backward call and add every step's term with +=")


def _agrees(got: Pass, want: Pass, case: LayerCase, target: Target) -> bool:
    """Return whether the candidate's gradient of ``target`` matches the reference's."""
    try:
        received = analytic_gradient(got, case, target, "")
        expected = analytic_gradient(want, case, target, "")
        expect_close(received, expected, what=target.name(case))
    except CheckFailed:
        return False
    return True
