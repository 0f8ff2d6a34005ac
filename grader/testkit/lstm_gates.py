"""Diagnose how an LSTM lays out its four gates in the packed weights.

The contract packs the gates of ``Wx`` (D, 4H), ``Wh`` (H, 4H) and ``b`` (4H,)
in blocks of H columns, in PyTorch's order: input ``i``, forget ``f``, cell
candidate ``g``, output ``o``. The gate ``g`` goes through tanh and the others
through sigmoid. A layer that reads the blocks in another order, or puts a
gate through the wrong function, is wrong at every output entry, so the
numbers alone do not say why. The helpers here compare such an output with LSTMs
built in each of those wrong ways and name the one that matches. They only
explain a failure: the verdict always comes from the reference solution.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Iterator, Mapping

import numpy as np

from .checks import CheckFailed, expect_close
from .diagnosis import Context, Finding
from .gradients import Target, analytic_gradient
from .layer_checks import compare_output
from .layers import LayerCase, run_pass
from .recurrent import first_step_case
from .sides import CandidateError, CandidateSide, ReferenceSide

#: The contract's gate order, one letter per block of H columns.
GATE_ORDER = "ifgo"
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "cell candidate g", "o": "output gate o"}
ACTIVATIONS = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid"}
BLOCK_COLUMNS = ("0:H", "H:2H", "2H:3H", "3H:4H")


@dataclass(frozen=True)
class Layout:
    """One way to read the four packed gate blocks."""

    order: str
    """``order[k]`` is the gate that block k feeds, e.g. ``"ifgo"``."""
    activations: Mapping[str, str]
    """The function each gate goes through, ``"sigmoid"`` or ``"tanh"``, by gate letter."""


CONTRACT_LAYOUT = Layout(GATE_ORDER, ACTIVATIONS)


def columns_text(block: int, hidden: int) -> str:
    """Name the columns of one gate block, e.g. ``columns 8:12``."""
    return f"columns {block * hidden}:{(block + 1) * hidden}"


def gate_regions(hidden: int) -> dict[str, np.ndarray]:
    """Masks over a last axis of 4H entries, for ``Context(regions=...)``.

    One region per gate block, then the blocks i, f and g together: those get
    their gradient through the cell state, so a wrong ``dc`` shows in them
    and not in the output gate's block.
    """
    regions = {}
    for block, gate in enumerate(GATE_ORDER):
        mask = np.zeros(4 * hidden, dtype=bool)
        mask[block * hidden:(block + 1) * hidden] = True
        regions[f"in the block of the {GATE_NAMES[gate]} ({columns_text(block, hidden)})"] = mask
    through_cell = np.zeros(4 * hidden, dtype=bool)
    through_cell[: 3 * hidden] = True
    regions["in the blocks of i, f and g, which get their gradient through the cell state (dc)"] = through_cell
    return regions


def lstm_forward(x: np.ndarray, h0: np.ndarray | None, params: Mapping[str, np.ndarray],
                 layout: Layout) -> np.ndarray:
    """Return the hidden states (N, T, H) of an LSTM that reads its gates as ``layout`` specifies."""
    functions = {"sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), "tanh": np.tanh}
    Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
    N, T, _ = x.shape
    H = Wh.shape[0]
    h = np.zeros((N, H)) if h0 is None else h0
    c = np.zeros((N, H))
    states = np.empty((N, T, H))
    for t in range(T):
        z = x[:, t] @ Wx + h @ Wh + b
        gate = {name: functions[layout.activations[name]](z[:, k * H:(k + 1) * H])
                for k, name in enumerate(layout.order)}
        c = gate["f"] * c + gate["i"] * gate["g"]
        h = gate["o"] * np.tanh(c)
        states[:, t] = h
    return states


def wrong_layouts() -> Iterator[tuple[Layout, str, str]]:
    """Yield each plausible wrong layout, its mistake in words and the contract's rule it breaks.

    First every other order of the blocks, then the contract's order with one
    gate through the wrong function.
    """
    for order in ("".join(p) for p in itertools.permutations(GATE_ORDER)):
        if order == GATE_ORDER:
            continue
        yield Layout(order, ACTIVATIONS), f"reads the gate blocks in the order {', '.join(order)}", (
            f"The order is {', '.join(GATE_ORDER)} (PyTorch's): input gate, forget gate, cell candidate, "
            "output gate, each a block of H columns of Wx, Wh and b"
        )
    for block, gate in enumerate(GATE_ORDER):
        other = "tanh" if ACTIVATIONS[gate] == "sigmoid" else "sigmoid"
        yield (Layout(GATE_ORDER, {**ACTIVATIONS, gate: other}),
               f"puts the {GATE_NAMES[gate]} (columns {BLOCK_COLUMNS[block]}) through {other}",
               "The cell candidate g uses tanh, so it can add or remove memory; the gates i, f and o use "
               "sigmoid, so each is a fraction between 0 and 1")


def explain_gate_layout(received: object, expected: np.ndarray, case: LayerCase, *,
                        brief: bool = False) -> str | None:
    """Name the wrong gate layout that reproduces ``received``, or return None.

    With ``brief`` the sentence names the layout without restating the contract's.
    """
    try:
        received = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    x, h0 = case.inputs[0], (case.inputs[1] if len(case.inputs) > 1 else None)
    expected = np.asarray(expected, dtype=np.float64)
    if received.shape != expected.shape or _close(received, expected):
        return None
    # A mismatch here would make every explanation below unfounded.
    if not _close(lstm_forward(x, h0, case.params, CONTRACT_LAYOUT), expected):
        return None
    for layout, mistake, contract in wrong_layouts():
        variant = lstm_forward(x, h0, case.params, layout)
        # Skip layouts this case cannot tell apart from the contract's, such as
        # any forget gate on a single step, where the cell state it scales is zero.
        if not _close(variant, expected) and _close(received, variant):
            if brief:
                return f"your forward {mistake}"
            return f"your output matches an LSTM that {mistake}. {contract}"
    return None


def check_lstm_forward(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase, *,
                       checked: str | None = None) -> None:
    """Check the output against the reference and, if it is wrong, name a wrong gate layout."""
    want = run_pass(reference, case, backward=False).out
    got = run_pass(candidate, case, backward=False).out
    checked = checked or f"{case.call_text()} against the reference"
    try:
        compare_output(got, want, what="out", checked=checked,
                       context=Context(name="the output", batch_sizes=case.batch_sizes))
    except CheckFailed as failure:
        sentence = explain_gate_layout(got, want, case)
        if sentence is None:
            raise
        raise CheckFailed(replace(failure.mismatch, diagnosis=sentence, kind=None)) from None


def explain_forward_layout(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                           target: Target) -> str | None:
    """Explain a wrong gradient by a wrong gate layout in forward, if the output shows one."""
    try:
        got = run_pass(candidate, case, backward=False).out
    except CandidateError:
        return None
    mistake = explain_gate_layout(got, run_pass(reference, case, backward=False).out, case, brief=True)
    if mistake is None:
        return None
    return (f"{mistake}, so {target.name(case)} cannot match the reference. Fix the gate layout in forward "
            "first (see the gate_order test), then read the gates the same way in backward")


def explain_block_order(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                        target: Target) -> str | None:
    """Explain a parameter gradient whose gate blocks are right but packed in another order.

    After a wrong order at one step, the gradient sent back to earlier steps
    is wrong too, so a longer sequence is also checked on its first step alone.
    """
    if target.kind != "param":
        return None
    for checked_case, prefix in ((case, ""), (first_step_case(case), "with a one-step sequence, ")):
        received, expected = _gradients(candidate, reference, checked_case, target)
        order = _block_permutation(received, expected)
        if order is not None:
            letters = ", ".join(GATE_ORDER[k] for k in order)
            return (f"{prefix}{target.name(case)} holds the right gate gradients, packed in the order {letters} "
                    f"(blocks of H = {expected.shape[-1] // 4} columns): pack them in the order "
                    f"{', '.join(GATE_ORDER)}, the order in which forward reads the gates")
    return None


def explain_first_step_blocks(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                              target: Target) -> Finding | None:
    """Name the gate block where a parameter gradient goes wrong, from the first step alone.

    Over several steps an error in one gate's derivative spreads to every
    block through the recurrence; on a one-step sequence it stays in its block.
    """
    if target.kind != "param" or case.inputs[0].shape[1] < 2:
        return None
    received, expected = _gradients(candidate, reference, first_step_case(case), target)
    if received is None or _close(received, expected):
        return None
    scale = float(np.max(np.abs(expected), initial=0.0))
    wrong = np.abs(received - expected) > 1e-6 * np.abs(expected) + 1e-8 * scale
    hidden = expected.shape[-1] // 4
    for label, mask in gate_regions(hidden).items():
        advice = ("check that gate's derivative" if mask.sum() == hidden
                  else "check dc, the gradient of the cell state, which all three share")
        if wrong.any() and not wrong[..., ~mask].any():
            return Finding("partial", f"with a one-step sequence, {target.name(case)} is wrong only {label}: {advice}")
    return None


def _gradients(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
               target: Target) -> tuple[np.ndarray | None, np.ndarray]:
    """Return the candidate's gradient of ``target`` (None if unusable) and the reference's."""
    expected = np.asarray(analytic_gradient(run_pass(reference, case), case, target, ""), dtype=np.float64)
    try:
        received = np.asarray(analytic_gradient(run_pass(candidate, case), case, target, ""), dtype=np.float64)
    except (CheckFailed, CandidateError, TypeError, ValueError):
        return None, expected
    return (received if received.shape == expected.shape else None), expected


def _block_permutation(received: np.ndarray | None, expected: np.ndarray) -> tuple[int, ...] | None:
    """Return the order of gate blocks that turns ``expected`` into ``received``, other than the identity."""
    if received is None:
        return None
    blocks = np.split(expected, 4, axis=-1)
    for order in itertools.permutations(range(4)):
        if order != (0, 1, 2, 3) and _close(received, np.concatenate([blocks[k] for k in order], axis=-1)):
            return order
    return None


def _close(received: np.ndarray, expected: np.ndarray) -> bool:
    try:
        expect_close(received, expected, what="value")
    except CheckFailed:
        return False
    return True
