"""Inputs and verdicts for sliding-window layers: convolution and pooling.

A window layer reads each output from a ``kH x kW`` window of its input, and
the window moves by the stride. When the stride is smaller than the kernel,
windows overlap and an input entry feeds several outputs. The helpers here
compute where windows overlap (for diagnosis regions), draw max-pooling
inputs whose maxima are never in doubt, check how a max-pooling backward
routes the gradient of tied maxima, and name a gradient that is wrong only
at overlaps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .checks import CheckFailed
from .diagnosis import Finding
from .layers import LayerCase

#: Base of the tie test's upstream gradient: window k of a channel gets
#: ``TIE_CODE_BASE ** k``. A prime above every window size cannot be split
#: evenly among 2 to 10 tied entries, so a split shows as a fraction.
TIE_CODE_BASE = 11

#: Maximum number of windows per channel in the tie test. Sums of distinct
#: codes then stay below 2**52, so float64 represents them exactly.
MAX_TIE_WINDOWS = 14


@dataclass(frozen=True)
class WindowCase(LayerCase):
    """A :class:`LayerCase` whose input is an image batch (N, C, H, W).

    Only N counts as a batch size for the diagnosis: a factor equal to C or
    H has no meaning here, and naming it as a missing mean would mislead.
    """

    @property
    def batch_sizes(self) -> tuple[int, ...]:
        return (int(np.shape(self.inputs[0])[0]),)


def pair(value: int | Sequence[int]) -> tuple[int, int]:
    """Return ``(value, value)`` for an int, or the two entries of a pair."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


def output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """Return how many windows fit along one axis: ``(size + 2 * padding - kernel) // stride + 1``."""
    return (size + 2 * padding - kernel) // stride + 1


def _axis_coverage(size: int, kernel: int, stride: int, padding: int) -> np.ndarray:
    counts = np.zeros(size + 2 * padding, dtype=int)
    for index in range(output_size(size, kernel, stride, padding)):
        counts[index * stride:index * stride + kernel] += 1
    return counts[padding:padding + size]


def coverage(height: int, width: int, kernel, stride, padding=0) -> np.ndarray:
    """Count the windows that contain each entry of an unpadded ``(height, width)`` input.

    ``kernel``, ``stride`` and ``padding`` are ints or pairs. A count of 0
    marks rows and columns that no window reaches (the stride skips them);
    a count above 1 marks entries where windows overlap.
    """
    (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w) = pair(kernel), pair(stride), pair(padding)
    rows = _axis_coverage(height, kernel_h, stride_h, pad_h)
    columns = _axis_coverage(width, kernel_w, stride_w, pad_w)
    return np.outer(rows, columns)


def padded_outputs(height: int, width: int, kernel, stride, padding) -> np.ndarray:
    """Mark the output positions whose window reaches into the zero padding, shape (H_out, W_out)."""
    (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w) = pair(kernel), pair(stride), pair(padding)

    def axis(size, kernel, stride, pad):
        starts = np.arange(output_size(size, kernel, stride, pad)) * stride
        return (starts < pad) | (starts + kernel > pad + size)

    return axis(height, kernel_h, stride_h, pad_h)[:, None] | axis(width, kernel_w, stride_w, pad_w)[None, :]


def spaced_values(rng: np.random.Generator, shape: Sequence[int], spread: float = 4.0) -> np.ndarray:
    """Draw distinct values in about ``[-spread/2, spread/2]``, any two at least ``spread / (2 * size)`` apart.

    Every window's maximum then beats its runner-up by far more than the
    central-difference step, so max pooling's derivative is never in doubt.
    """
    size = int(np.prod(shape))
    gap = spread / size
    ranks = rng.permutation(size).astype(np.float64)
    values = (ranks + rng.uniform(0.0, 0.5, size=size)) * gap - spread / 2
    return values.reshape(shape)


def plant_maxima(x: np.ndarray, row: int, column: int) -> np.ndarray:
    """Return a copy of ``x`` (N, C, H, W) whose channels each have their maximum at ``(row, column)``.

    The maximum is swapped with the entry there, so values stay distinct.
    Placed where windows overlap, it is the maximum of every window that
    contains it, which tests that the gradients of those windows add up.
    """
    planted = x.copy()
    planes = planted.reshape(-1, x.shape[2] * x.shape[3])
    target = row * x.shape[3] + column
    best = planes.argmax(axis=1)
    lines = np.arange(planes.shape[0])
    planes[lines, best], planes[lines, target] = planes[lines, target], planes[lines, best].copy()
    return planted


def max_counts(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """Count, for each entry of ``x`` (N, C, H, W), the windows whose unique maximum it is."""
    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    n, c, h_out, w_out = windows.shape[:4]
    offset_rows, offset_columns = np.divmod(windows.reshape(n, c, h_out, w_out, -1).argmax(axis=-1), kernel)
    rows = offset_rows + stride * np.arange(h_out)[:, None]
    columns = offset_columns + stride * np.arange(w_out)[None, :]
    examples, channels = np.indices((n, c))
    counts = np.zeros(x.shape, dtype=int)
    np.add.at(counts, (examples[..., None, None], channels[..., None, None], rows, columns), 1)
    return counts


def tie_codes(out_shape: Sequence[int]) -> np.ndarray:
    """Upstream gradient for the tie test: window ``k`` (row-major) of every channel gets ``11 ** k``.

    Each entry of a correct ``dx`` is then a sum of distinct codes, and its
    digits in base 11 tell which windows sent it their gradient.
    """
    h_out, w_out = out_shape[2], out_shape[3]
    if h_out * w_out > MAX_TIE_WINDOWS:
        raise ValueError(f"the tie test supports at most {MAX_TIE_WINDOWS} windows per channel, got {h_out * w_out}")
    codes = float(TIE_CODE_BASE) ** np.arange(h_out * w_out).reshape(h_out, w_out)
    return np.broadcast_to(codes, tuple(out_shape)).copy()


def _decode(value: float, windows: int) -> list[int] | None:
    """Return the windows whose codes sum to ``value``, or None if it is no such sum."""
    if not math.isfinite(value):
        return None
    whole = round(value)
    if whole < 0 or abs(value - whole) > 1e-6:
        return None
    senders = []
    for k in range(windows):
        whole, digit = divmod(whole, TIE_CODE_BASE)
        if digit > 1:
            return None
        if digit:
            senders.append(k)
    return senders if whole == 0 else None


@dataclass(frozen=True)
class RoutingProblem:
    """One way a max-pooling ``dx`` breaks the routing rule in the tie test."""

    cause: str
    """``"invalid"`` (an entry is NaN or infinite), ``"split"`` (an entry contains
    part of a window's gradient), ``"lost"`` (a
    window's gradient reached no entry), ``"several"`` (it reached more than
    one entry) or ``"elsewhere"`` (it reached an entry that is not a maximum)."""
    text: str
    """The problem in words, naming the entry or the window."""


def tie_routing_problems(x: np.ndarray, dx: np.ndarray, kernel: int, stride: int) -> list[RoutingProblem]:
    """List the ways ``dx`` breaks max pooling's routing rule for ``dout = tie_codes(...)``.

    The rule: each window's whole gradient goes to exactly one of its tied
    maxima, any one, and gradients add where windows overlap. An empty list
    means ``dx`` follows it.
    """
    n, c, height, width = x.shape
    h_out, w_out = output_size(height, kernel, stride), output_size(width, kernel, stride)
    windows = h_out * w_out
    problems: list[RoutingProblem] = []
    receivers: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    for index in np.ndindex(x.shape):
        if not np.isfinite(dx[index]):
            problems.append(RoutingProblem("invalid", f"dx[{', '.join(map(str, index))}] = {dx[index]} is not finite"))
            continue
        senders = _decode(float(dx[index]), windows)
        if senders is None:
            problems.append(RoutingProblem("split", (
                f"dx[{', '.join(map(str, index))}] = {dx[index]:.6g} is not a sum of whole window gradients: "
                "a window's gradient was split between entries or scaled"
            )))
            continue
        for k in senders:
            receivers.setdefault((index[0], index[1], k), []).append(index[2:])
    for example, channel, i, j in np.ndindex(n, c, h_out, w_out):
        k = i * w_out + j
        top, left = i * stride, j * stride
        window = x[example, channel, top:top + kernel, left:left + kernel]
        maxima = [(top + p, left + q) for p, q in zip(*np.nonzero(window == window.max()))]
        got = receivers.get((example, channel, k), [])
        name = (f"window out[{example}, {channel}, {i}, {j}] (x rows {top}-{top + kernel - 1}, "
                f"columns {left}-{left + kernel - 1}, maximum {window.max():g} at {_positions(maxima)})")
        if not got:
            problems.append(RoutingProblem("lost", f"{name}: its gradient reached no entry of dx"))
        elif len(got) > 1:
            problems.append(RoutingProblem("several", (
                f"{name}: its gradient went to {len(got)} entries, {_positions(got)}, where it must go to exactly one"
            )))
        elif tuple(got[0]) not in maxima:
            problems.append(RoutingProblem("elsewhere", (
                f"{name}: its gradient went to {_positions(got)}, which is not a maximum of the window"
            )))
    return problems


def _positions(positions) -> str:
    return ", ".join(f"({int(row)}, {int(column)})" for row, column in positions)


def overlap_finding(received, expected: np.ndarray, counts: np.ndarray, name: str = "dx") -> Finding | None:
    """Name a gradient that is wrong only where windows overlap, or return None.

    ``counts`` is :func:`coverage` of the input. Assigning with ``=`` where
    gradients should add keeps one window's contribution at such entries,
    whatever the style of the code, so the wrong entries all lie there.
    """
    try:
        array = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if array.shape != expected.shape:
        return None
    scale = float(np.max(np.abs(expected), initial=0.0))
    bad = ~(np.abs(array - expected) <= 1e-6 * np.abs(expected) + 1e-8 * scale + 1e-15)
    overlaps = np.broadcast_to(counts > 1, bad.shape)
    if not bad.any() or bad[~overlaps].any():
        return None
    return Finding("partial", (
        f"{name} is wrong only at window overlaps ({int(bad.sum())} of the {int(overlaps.sum())} entries "
        "covered by more than one window): such an entry collects the gradient of every window that "
        "contains it, so add with +=; assigning with = keeps only the last window's"
    ))


def with_diagnosis(failure: CheckFailed, diagnosis: Finding | str | None) -> CheckFailed:
    """Return ``failure`` with its diagnosis replaced, or unchanged when ``diagnosis`` is None.

    A plain string names no kind of mistake.
    """
    if diagnosis is None:
        return failure
    if isinstance(diagnosis, Finding):
        return CheckFailed(replace(failure.mismatch, diagnosis=diagnosis.message, kind=diagnosis.kind))
    return CheckFailed(replace(failure.mismatch, diagnosis=diagnosis, kind=None))
