"""Check several gradients of one layer case with one pass per side and one numeric request.

:func:`~grader.testkit.gradients.check_gradient` runs a fresh pass on each
side and one request of central differences per gradient. A network with
many parameters (an MLP, an LSTM) would pay that for every key, so
:func:`check_gradients` runs one pass per side, compares every gradient with
the reference, then sends the central differences of all of them in a single
request. The verdicts and messages are the same as ``check_gradient``'s.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .checks import CheckFailed, expect_close, fail, to_array
from .diagnosis import Context
from .gradients import (
    STEP,
    Numeric,
    Target,
    _forward_diagnosis,
    _numeric_disagrees,
    _numeric_note,
    _with_detail,
    analytic_gradient,
)
from .layers import LayerCase, loss_of, run_pair
from .sides import CandidateSide, ReferenceSide
from .steps import Steps


def check_gradients(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                    targets: Sequence[Target], *, rng: np.random.Generator,
                    regions: Mapping[str, np.ndarray] | None = None, max_entries: int = 96) -> None:
    """Check each gradient in ``targets``, in order, against the reference and then
    against central differences of the candidate's own forward."""
    got, want = run_pair(candidate, reference, case)
    received = []
    for target in targets:
        name = target.name(case)
        checked = f"{name} from {case.call_text('backward')} against the reference gradient"
        expected = analytic_gradient(want, case, target, checked)
        value = analytic_gradient(got, case, target, checked)
        context = Context(name=name, batch_sizes=case.batch_sizes, regions=regions or {})
        try:
            expect_close(value, expected, what=name, checked=checked, context=context)
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


def numeric_gradients(side, case: LayerCase, targets: Sequence[Target], *, rng: np.random.Generator,
                      max_entries: int = 96, directions: int = 6) -> list[Numeric]:
    """Estimate dL/d(target) for every target by central differences, in one request.

    Each target is probed as :func:`~grader.testkit.gradients.numeric_gradient`
    probes it: entry by entry up to ``max_entries`` entries, else along
    ``directions`` random unit vectors. A parameter is written back to its
    value after its probes, so the next target is probed at the same point.
    """
    steps = Steps()
    layer = case.build(steps)
    plans = []
    for target in targets:
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
        plans.append((base, chosen, outputs))

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
