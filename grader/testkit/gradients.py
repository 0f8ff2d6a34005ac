"""Gradient checks: the candidate's analytic gradient against the reference's
and against central differences of the candidate's own forward.

For a layer with output ``out`` and upstream gradient ``dout``, the checked
scalar is ``L = sum(out * dout)``; ``backward(dout)`` returns dL/d(input).
Central differences estimate each entry as ``(L(v + h) - L(v - h)) / 2h`` in
float64. Arrays with more entries than ``max_entries`` are probed along
random directions instead: ``dL/dv . u`` for a few random unit vectors ``u``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .checks import CheckFailed, Mismatch, expect_close, fail, to_array
from .diagnosis import Context
from .layers import LayerCase, loss_of, run_pair
from .sides import CandidateError, CandidateSide, ReferenceSide
from .steps import Steps

#: Step of the central differences. Inputs are O(1), so the truncation error
#: (about h**2) and the rounding error (about 1e-16 / h) are both near 1e-11.
STEP = 1e-6

#: Relative tolerance between an analytic gradient and central differences.
NUMERIC_RTOL = 1e-5


@dataclass(frozen=True)
class Target:
    """The input of forward, or the parameter, that a gradient is taken with respect to."""

    kind: str
    """``"input"`` or ``"param"``."""
    key: int | str
    """Index into ``case.inputs`` for inputs, name in ``params`` for parameters."""

    @staticmethod
    def input(index: int = 0) -> "Target":
        return Target("input", index)

    @staticmethod
    def param(name: str) -> "Target":
        return Target("param", name)

    def value(self, case: LayerCase) -> np.ndarray:
        """Return the array this target perturbs."""
        return np.asarray(case.inputs[self.key] if self.kind == "input" else case.params[self.key])

    def name(self, case: LayerCase) -> str:
        """Name of the gradient in messages: ``dx`` or ``grads['W']``."""
        if self.kind == "input":
            return "d" + case.input_names[self.key]
        return f"grads[{self.key!r}]"


@dataclass(frozen=True)
class Numeric:
    """Central-difference estimates of a gradient.

    With ``directions`` None, ``values`` is the full gradient. Otherwise
    ``values[i]`` estimates the derivative along ``directions[i]``.
    """

    values: np.ndarray
    directions: np.ndarray | None = None

    def project(self, gradient: np.ndarray) -> np.ndarray:
        """Return what ``values`` should be if ``gradient`` is right."""
        if self.directions is None:
            return gradient
        flat = self.directions.reshape(len(self.directions), -1)
        return flat @ gradient.reshape(-1)


def numeric_gradient(side, case: LayerCase, target: Target, *, rng: np.random.Generator,
                     max_entries: int = 96, directions: int = 6) -> Numeric:
    """Estimate dL/d(target) on ``side`` by central differences of its forward."""
    return numeric_gradients(side, case, [target], rng=rng, max_entries=max_entries, directions=directions)[0]


def numeric_gradients(side, case: LayerCase, targets: Sequence[Target], *, rng: np.random.Generator,
                      max_entries: int = 96, directions: int = 6) -> list[Numeric]:
    """Estimate dL/d(target) for every target by central differences, in one request.

    A target is probed entry by entry up to ``max_entries`` entries, else along
    ``directions`` random unit vectors. A parameter is written back to its
    value after its probes, so the next target is probed at the same point.
    """
    steps = Steps()
    layer = case.build(steps)
    plans = [_add_probes(steps, layer, case, target, rng, max_entries, directions) for target in targets]
    results = side.run(steps)
    checked = f"central differences of {case.call_text()}"
    estimates = []
    for base, chosen, outputs in plans:
        losses = [loss_of(to_array(results[ref], f"the output of {case.call_text()}", checked), case.dout)
                  for ref in outputs]
        pairs = np.array(losses).reshape(-1, 2)
        values = (pairs[:, 0] - pairs[:, 1]) / (2 * STEP)
        estimates.append(Numeric(values.reshape(base.shape)) if chosen is None else Numeric(values, chosen))
    return estimates


def _add_probes(steps: Steps, layer, case: LayerCase, target: Target, rng: np.random.Generator,
                max_entries: int, directions: int):
    """Add the forward calls at ``target`` plus and minus STEP along each probe direction."""
    base = target.value(case).astype(np.float64)
    if base.size <= max_entries:
        probes, chosen = np.eye(base.size).reshape((base.size,) + base.shape), None
    else:
        probes = rng.normal(size=(directions,) + base.shape)
        probes /= np.linalg.norm(probes.reshape(directions, -1), axis=1).reshape((-1,) + (1,) * base.ndim)
        chosen = probes
    if target.kind == "param":
        owner = steps.get(layer, "params", reply=False)
        array = steps.getitem(owner, target.key, f"{case.cls}.params[{target.key!r}]", reply=False)
    outputs = []
    for probe in probes:
        for sign in (1.0, -1.0):
            value = base + sign * STEP * probe
            args = list(case.inputs)
            if target.kind == "input":
                args[target.key] = value
            else:
                steps.setitem(array, Ellipsis, value, f"writing {case.cls}.params[{target.key!r}]")
            outputs.append(steps.call(layer, "forward", *args, **dict(case.forward_kwargs)))
    if target.kind == "param":
        steps.setitem(array, Ellipsis, base, f"writing {case.cls}.params[{target.key!r}]")
    return base, chosen, outputs


def analytic_gradient(run, case: LayerCase, target: Target, checked: str):
    """Pick the gradient of ``target`` out of a :class:`Pass`."""
    if target.kind == "param":
        grads = run.grads
        if not isinstance(grads, dict) or target.key not in grads:
            keys = sorted(map(str, grads)) if isinstance(grads, dict) else None
            fail(
                checked,
                f"grads[{target.key!r}] set by backward",
                f"grads has keys {keys}" if keys is not None else f"grads is {type(grads).__name__}",
                diagnosis=f"backward must store the gradient of params[{target.key!r}] in grads[{target.key!r}]",
                kind="zero",
            )
        return grads[target.key]
    position = case.grad_inputs.index(target.key)
    if len(case.grad_inputs) == 1:
        return run.dinputs
    returned = run.dinputs
    if not isinstance(returned, (tuple, list)) or len(returned) != len(case.grad_inputs):
        names = ", ".join(case.grad_name(i) for i in range(len(case.grad_inputs)))
        fail(checked, f"backward to return a tuple ({names})",
             f"backward returned {type(returned).__name__}"
             + (f" of {len(returned)} items" if isinstance(returned, (tuple, list)) else ""))
    return returned[position]


def check_gradient(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                   target: Target, *, rng: np.random.Generator, regions=None,
                   max_entries: int = 96, rtol: float | None = None) -> None:
    """Check one gradient of a layer: against the reference, then against central
    differences of the candidate's own forward."""
    check_gradients(candidate, reference, case, [target], rng=rng, regions=regions,
                    max_entries=max_entries, rtol=rtol)


def check_gradients(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                    targets: Sequence[Target], *, rng: np.random.Generator,
                    regions: Mapping[str, np.ndarray] | None = None, max_entries: int = 96,
                    rtol: float | None = None) -> None:
    """Check each gradient in ``targets``, in order, against the reference, then all of
    them against central differences of the candidate's own forward.

    One pass per side and one request of central differences serve every
    target, which matters for layers with many parameters (an MLP, an LSTM).
    """
    got, want = run_pair(candidate, reference, case)
    received = []
    for target in targets:
        name = target.name(case)
        checked = f"{name} from {case.call_text('backward')} against the reference gradient"
        expected = analytic_gradient(want, case, target, checked)
        value = analytic_gradient(got, case, target, checked)
        context = Context(name=name, batch_sizes=case.batch_sizes, regions=regions or {})
        try:
            expect_close(value, expected, what=name, checked=checked, context=context,
                         **({"rtol": rtol} if rtol else {}))
        except CheckFailed as failure:
            note = _numeric_note(candidate, case, target, value, rng, max_entries)
            raise CheckFailed(_with_detail(failure.mismatch, note)) from None
        received.append(np.asarray(value, dtype=np.float64))

    estimates = numeric_gradients(candidate, case, targets, rng=rng, max_entries=max_entries)
    for target, value, numeric in zip(targets, received, estimates):
        projected = numeric.project(value)
        if _numeric_disagrees(projected, numeric.values):
            error = float(np.max(np.abs(projected - numeric.values)))
            fail(
                f"{target.name(case)} against central differences of your own {case.call_text()}",
                "your analytic gradient to match the numerical gradient of your forward",
                f"they differ by up to {error:.3g}",
                "your gradient matches the reference, so backward is right for the correct forward",
                diagnosis=_forward_diagnosis(candidate, reference, case),
                kind="forward",
            )


def _forward_diagnosis(candidate, reference, case: LayerCase) -> str:
    """Explain a gradient that is right but disagrees with the candidate's own forward."""
    got_pass, want_pass = run_pair(candidate, reference, case, backward=False)
    got, want = got_pass.out, want_pass.out
    try:
        expect_close(got, want, what="out", context=Context(name="your forward output"))
    except CheckFailed as failure:
        cause = failure.mismatch.diagnosis
        return "your forward is wrong, so fix it first (see the forward test)" + (f": {cause}" if cause else "")
    return ("your forward gives different outputs for the same inputs across calls: "
            "it may change its own state (parameters or caches) as it runs")


def _numeric_disagrees(analytic: np.ndarray, numeric: np.ndarray) -> bool:
    scale = max(float(np.max(np.abs(numeric), initial=0.0)), float(np.max(np.abs(analytic), initial=0.0)))
    return not np.all(np.abs(analytic - numeric) <= NUMERIC_RTOL * (np.abs(numeric) + scale) + 1e-10)


def _numeric_note(candidate, case, target, got, rng, max_entries) -> str | None:
    """Say whether the candidate's gradient at least matches its own forward."""
    try:
        array = np.asarray(got, dtype=np.float64)
        numeric = numeric_gradient(candidate, case, target, rng=rng, max_entries=max_entries)
    except (CheckFailed, CandidateError, ValueError, TypeError):
        return None  # a forward that fails or returns junk only removes the note
    if array.shape != target.value(case).shape:
        return None
    if _numeric_disagrees(numeric.project(array), numeric.values):
        return "central differences of your own forward disagree with your gradient too: the bug is in backward"
    return ("your gradient matches central differences of your own forward, so backward is consistent "
            "with forward: the bug is in forward (see the forward test)")


def _with_detail(mismatch: Mismatch, note: str | None) -> Mismatch:
    if not note:
        return mismatch
    return Mismatch(mismatch.checked, mismatch.expected, mismatch.received,
                    mismatch.details + (note,), mismatch.diagnosis, mismatch.kind)
