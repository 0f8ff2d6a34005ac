"""Run a layer that follows the contract's protocol on either side.

A :class:`LayerCase` is everything one test needs to drive a layer: how to
construct it, the parameter values to write into ``params``, the inputs of
``forward`` and the upstream gradient for ``backward``. :func:`run_pass` runs
forward and backward on one side and returns a :class:`Pass` of plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .sides import CandidateSide, ReferenceSide
from .steps import Results, Steps


@dataclass(frozen=True)
class LayerCase:
    """How to construct and drive one layer for one test."""

    cls: str
    """Name of the class in the module, e.g. ``"Linear"``."""
    args: tuple = ()
    """Positional constructor arguments."""
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    """Keyword constructor arguments."""
    params: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Values written in place into ``layer.params`` before ``forward``."""
    inputs: tuple = ()
    """Positional arguments of ``forward``."""
    input_names: tuple[str, ...] = ("x",)
    """Names of the inputs, for messages (``dx``, ``dh0``...)."""
    grad_inputs: tuple[int, ...] = (0,)
    """Indices of the inputs that ``backward`` returns gradients for, in order.
    With one index ``backward`` returns a single array, else a tuple."""
    forward_kwargs: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments of ``forward`` (e.g. ``causal=True``)."""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    """Attributes set after construction, e.g. ``{"training": False}``."""
    dout: Any = None
    """Upstream gradient passed to ``backward``; a float for scalar losses."""
    read_state: bool = True
    """Whether a pass reads ``params`` and ``grads`` back. False for objects the
    contract gives no such attributes (exercise 1's gates), or where a missing
    attribute must not fail the tests of values (parameter-free activations)."""

    @property
    def batch_sizes(self) -> tuple[int, ...]:
        """Sizes that a missing or extra mean could divide by: each leading axis
        of the first input and the products of the leading axes."""
        first = self.inputs[0] if self.inputs else None
        if not isinstance(first, np.ndarray) or first.ndim < 2:
            return (int(first.shape[0]),) if isinstance(first, np.ndarray) and first.ndim else ()
        leading = first.shape[:-1]
        sizes = set(leading) | {int(np.prod(leading[:k])) for k in range(1, len(leading) + 1)}
        return tuple(sorted(int(n) for n in sizes))

    def call_text(self, method: str = "forward") -> str:
        """Describe a call for messages, e.g. ``Linear.forward(x)``."""
        if method == "backward":
            return f"{self.cls}.backward(dout)"
        return f"{self.cls}.forward({', '.join(self.input_names)})"

    def grad_name(self, position: int) -> str:
        """Name of the gradient of the input at ``grad_inputs[position]``, e.g. ``dx``."""
        return "d" + self.input_names[self.grad_inputs[position]]

    def build(self, steps: Steps) -> Any:
        """Add the steps that construct the layer and load its parameters."""
        layer = steps.new(self.cls, *self.args, **dict(self.kwargs))
        for name, value in self.attributes.items():
            steps.set(layer, name, value)
        if self.params:
            steps.set_params(layer, self.params)
        return layer


@dataclass(frozen=True)
class Pass:
    """Results of forward and backward on one side, as plain data."""

    out: Any
    dinputs: Any
    """The value ``backward`` returned."""
    grads: Any
    """The layer's ``grads`` after ``backward``; None when the case does not read state."""
    params: Any
    """The layer's ``params`` after ``backward``; None when the case does not read state."""
    inputs_after: tuple
    """The inputs of ``forward`` as they were after both calls."""
    dout_after: Any
    warnings: list[dict]
    first: "Pass | None" = None
    """The first pass's results, when several passes ran."""


def pass_steps(case: LayerCase, *, backward: bool = True, repeats: int = 1) -> tuple[Steps, dict]:
    """Build the steps for ``repeats`` forward(+backward) passes on one layer.

    Each pass gets its own copies of the inputs and of ``dout``, so a pass
    that writes into them cannot change the next one's. With several passes,
    ``refs["first"]`` points at the first pass's results.
    """
    steps = Steps()
    layer = case.build(steps)
    refs: dict[str, Any] = {}
    for repeat in range(repeats):
        inputs = [steps.const(value, name) for value, name in zip(case.inputs, case.input_names)]
        dout = steps.const(case.dout, "dout") if backward else None
        refs["out"] = steps.call(layer, "forward", *inputs, **dict(case.forward_kwargs))
        if backward:
            refs["dinputs"] = steps.call(layer, "backward", dout)
        if repeat == 0 and repeats > 1:
            refs["first"] = {"out": refs["out"], "dinputs": refs.get("dinputs")}
            if backward and case.read_state:
                refs["first"]["grads"] = steps.get(layer, "grads")
    if backward and case.read_state:
        refs["grads"] = steps.get(layer, "grads")
    if backward:
        refs["dout_after"] = steps.read(dout, "dout")
    if case.read_state:
        refs["params"] = steps.get(layer, "params")
    refs["inputs_after"] = [steps.read(ref, name) for ref, name in zip(inputs, case.input_names)]
    return steps, refs


def run_pass(side: CandidateSide | ReferenceSide, case: LayerCase, *, backward: bool = True,
             repeats: int = 1) -> Pass:
    """Run forward (and backward) ``repeats`` times on a fresh layer on ``side``."""
    steps, refs = pass_steps(case, backward=backward, repeats=repeats)
    return read_pass(side.run(steps), refs, backward)


def run_pair(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase, *, backward: bool = True,
             repeats: int = 1) -> tuple[Pass, Pass]:
    """Run the same pass on both sides at once; return (candidate's, reference's).

    The worker runs the candidate while this process runs the reference.
    ``repeats`` applies to the candidate only: the reference runs once, which
    is what a second identical pass must reproduce.
    """
    steps, refs = pass_steps(case, backward=backward, repeats=repeats)
    pending = candidate.submit(steps)
    want = run_pass(reference, case, backward=backward)
    return read_pass(pending.result(), refs, backward), want


def read_pass(results: Results, refs: dict, backward: bool) -> Pass:
    """Pick a :class:`Pass` out of the results of :func:`pass_steps`."""
    first = None
    if "first" in refs:
        earlier = refs["first"]
        first = Pass(out=results[earlier["out"]],
                     dinputs=results[earlier["dinputs"]] if backward else None,
                     grads=results[earlier["grads"]] if "grads" in earlier else None,
                     params=None, inputs_after=(), dout_after=None, warnings=[])
    return Pass(
        out=results[refs["out"]],
        dinputs=results[refs["dinputs"]] if backward else None,
        grads=results[refs["grads"]] if "grads" in refs else None,
        params=results[refs["params"]] if "params" in refs else None,
        inputs_after=tuple(results[ref] for ref in refs["inputs_after"]),
        dout_after=results[refs["dout_after"]] if backward else None,
        warnings=results.all_warnings(),
        first=first,
    )


def loss_of(out: Any, dout: Any) -> float:
    """Return the scalar whose gradient ``backward(dout)`` computes: ``sum(out * dout)``."""
    return float(np.sum(np.asarray(out, dtype=np.float64) * np.asarray(dout, dtype=np.float64)))
