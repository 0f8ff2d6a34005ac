"""Comparisons that produce a verdict a candidate can act on.

Every check either returns quietly or raises :class:`CheckFailed` carrying a
:class:`Mismatch`: what was checked, what was expected, what was received,
the worst entry and, when the numbers show it, the kind of mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..worker.protocol import Handle
from .diagnosis import Context, Finding, diagnose

#: Relative tolerance for values compared with the reference. Two correct
#: float64 implementations written differently agree to about 1e-13; a float32
#: computation is off by about 1e-7, so it fails here.
RTOL = 1e-8


@dataclass(frozen=True)
class Mismatch:
    """The reason a check failed, in the words the report shows."""

    checked: str
    """The property checked, e.g. ``dx from Linear.backward(dout) against the reference``."""
    expected: str
    """The result a correct implementation returns."""
    received: str
    """The result the candidate's code returned."""
    details: tuple[str, ...] = ()
    """Supporting lines: the worst entry, its relative error, counts."""
    diagnosis: str | None = None
    """What the numbers suggest, in words, if a pattern fits."""
    kind: str | None = None
    """The kind of mistake (a key of ``diagnosis.KINDS``), if one was named."""


class CheckFailed(AssertionError):
    """A check found a wrong result."""

    def __init__(self, mismatch: Mismatch):
        super().__init__(mismatch.checked)
        self.mismatch = mismatch


class ValuesWrong(CheckFailed):
    """A test of another property (inputs unchanged, stability...) found wrong values first.

    Such a test counts only with correct values, so that code returning zeros
    earns nothing; the report says the property itself was not reached.
    """

    def __init__(self, mismatch: Mismatch, purpose: str):
        super().__init__(mismatch)
        self.purpose = purpose


def fail(checked: str, expected: str, received: str, *details: str,
         diagnosis: Finding | str | None = None, kind: str | None = None):
    """Raise :class:`CheckFailed` with the given description.

    ``diagnosis`` is a :class:`Finding`, or a sentence with its ``kind`` given apart.
    """
    if isinstance(diagnosis, Finding):
        diagnosis, kind = diagnosis.message, diagnosis.kind
    elif kind is not None:
        Finding(kind, diagnosis or "")  # validates the kind
    raise CheckFailed(Mismatch(checked, expected, received, tuple(details), diagnosis, kind))


# --- conversions -----------------------------------------------------------


def describe_value(value: Any) -> str:
    """Describe a received value briefly: its type, and its shape for arrays."""
    if isinstance(value, Handle):
        return f"a {value.type_name} object"
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {shape_text(value.shape)} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, bool):
        return f"the bool {value}"
    if isinstance(value, (int, float)):
        return f"the number {value:.6g}"
    return f"a {type(value).__name__}"


def shape_text(shape: Sequence[int]) -> str:
    """Format a shape the way numpy prints it, e.g. ``(3,)`` or ``(2, 4)``."""
    return str(tuple(int(n) for n in shape))


def to_array(value: Any, what: str, checked: str) -> np.ndarray:
    """Convert a received value with ``np.asarray``, as the contract promises.

    Raises :class:`CheckFailed` when the value is not numeric array-like.
    """
    if isinstance(value, np.ndarray):
        array = value
    elif value is None or isinstance(value, (Handle, str, dict)) or _holds_handles(value):
        fail(checked, "a numeric array", f"{what} is {describe_value(value)}")
    else:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            fail(checked, "a numeric array", f"{what} is {describe_value(value)} that numpy cannot convert")
    if array.dtype.kind not in "biuf":
        fail(checked, "a real-valued numeric array", f"{what} has dtype {array.dtype}")
    return array


def to_float(value: Any, what: str, checked: str) -> float:
    """Convert a received scalar (Python number or 0-d / size-1 array) to float."""
    if isinstance(value, bool) or value is None or isinstance(value, (Handle, str)):
        fail(checked, "a number", f"{what} is {describe_value(value)}")
    array = to_array(value, what, checked)
    if array.size != 1:
        fail(checked, "a single number", f"{what} is an array of shape {shape_text(array.shape)}",
             diagnosis=diagnose_shape(array.shape, (), what))
    return float(array.reshape(()))


def _holds_handles(value: Any) -> bool:
    if isinstance(value, Handle):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_handles(item) for item in value)
    return False


def unpack(value: Any, count: int, what: str, checked: str) -> tuple:
    """Check that ``value`` is a tuple or list of ``count`` items and return it as a tuple."""
    if not isinstance(value, (tuple, list)) or len(value) != count:
        fail(checked, f"a tuple of {count} items", f"{what} is {describe_value(value)}")
    return tuple(value)


# --- comparisons -----------------------------------------------------------


def expect_shape(received: Any, shape: Sequence[int], *, what: str, checked: str | None = None) -> np.ndarray:
    """Check the shape of a received array; return the array."""
    checked = checked or f"the shape of {what}"
    array = to_array(received, what, checked)
    if array.shape != tuple(shape):
        fail(
            checked,
            f"shape {shape_text(shape)}",
            f"shape {shape_text(array.shape)}",
            diagnosis=diagnose_shape(array.shape, tuple(shape), what),
        )
    return array


def diagnose_shape(received: tuple, expected: tuple, what: str = "") -> Finding | None:
    """Name the usual cause of a wrong shape, if one fits."""
    if len(received) == len(expected) >= 2 and received == expected[::-1]:
        return Finding("transposed", "the shape is transposed: check the order of the operands of the matrix product")
    if len(received) > len(expected) and received[len(received) - len(expected):] == expected:
        extra = shape_text(received[: len(received) - len(expected)])
        if what.startswith("grads["):
            return Finding("missing-sum", (
                f"there are extra leading axes {extra}: the gradient of a parameter shared by every "
                "example must be summed over the batch (and any other leading axes)"
            ))
        if not expected:
            return Finding("missing-sum", (
                f"{what or 'the result'} should be a single number but has shape {shape_text(received)}: "
                "reduce over the batch (a loss is the mean over it)"
            ))
    return None


def expect_close(
    received: Any,
    expected: np.ndarray | float,
    *,
    what: str,
    checked: str | None = None,
    rtol: float = RTOL,
    atol: float | None = None,
    context: Context | None = None,
) -> np.ndarray:
    """Compare a received array with the expected one, entry by entry.

    An entry passes when ``|received - expected| <= rtol * |expected| + atol``;
    ``atol`` defaults to ``rtol`` times the largest expected magnitude, so
    entries near zero are judged on the array's scale.
    """
    checked = checked or f"{what} against the reference"
    expected = np.asarray(expected, dtype=np.float64)
    array = to_array(received, what, checked)
    if array.shape != expected.shape:
        if array.size == expected.size == 1:
            array = array.reshape(expected.shape)
        else:
            fail(
                checked,
                f"shape {shape_text(expected.shape)}",
                f"{what} has shape {shape_text(array.shape)}",
                diagnosis=diagnose_shape(array.shape, expected.shape, what)
                or diagnose(array, expected, context),
            )
    if array.dtype.kind == "f" and array.dtype.itemsize < 8:
        fail(
            checked,
            "float64 values",
            f"{what} has dtype {array.dtype}",
            diagnosis=f"the result is {array.dtype}: compute in float64 (numpy's default); "
            "look for astype, dtype= or float32 constants",
            kind="float32",
        )
    values = array.astype(np.float64)
    scale = float(np.max(np.abs(expected), initial=0.0))
    floor = rtol * scale + 1e-15 if atol is None else atol
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(values - expected)
        tolerance = rtol * np.abs(expected) + floor
        bad = ~(error <= tolerance)  # NaN counts as bad
    bad &= ~(np.isnan(values) & np.isnan(expected))
    bad &= ~(np.isinf(values) & (values == expected))
    if not bad.any():
        return array
    details = _worst_entry(values, expected, error, tolerance, bad, what)
    fail(
        checked,
        f"values matching the reference to a relative tolerance of {rtol:.0e}",
        f"{what} is wrong at {int(bad.sum())} of {bad.size} entries",
        *details,
        diagnosis=diagnose(values, expected, context),
    )


def _worst_entry(values, expected, error, tolerance, bad, what) -> tuple[str, ...]:
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.where(bad, np.nan_to_num(error / np.maximum(tolerance, 1e-300), nan=np.inf), -1)
    flat = int(np.argmax(excess))
    index = tuple(int(i) for i in np.unravel_index(flat, values.shape))
    got, want = values[index], expected[index]
    where = f"{what}[{', '.join(map(str, index))}]" if values.ndim else what
    scale = float(np.max(np.abs(expected), initial=0.0))
    if abs(want) <= 1e-3 * scale or not np.isfinite(got):
        # Near zero a relative error is meaningless; the absolute one is what counts.
        size = f"absolute error {abs(got - want):.2g}, largest expected magnitude {scale:.3g}"
    else:
        size = f"relative error {abs(got - want) / max(abs(want), 1e-300):.2g}"
    return (f"worst entry: {where} = {format_number(got)}, expected {format_number(want)} ({size})",)


def format_number(value: float) -> str:
    """Format a number with 6 significant digits (and no negative zero)."""
    return f"{value + 0.0:.6g}"


def expect_scalar_close(received: Any, expected: float, *, what: str, checked: str | None = None,
                        rtol: float = RTOL, context: Context | None = None) -> float:
    """Compare a received scalar (number or size-1 array) with the expected one."""
    checked = checked or f"{what} against the reference"
    value = to_float(received, what, checked)
    array = to_array(received, what, checked)
    if array.dtype.kind == "f" and array.dtype.itemsize < 8:
        fail(checked, "a float64 number", f"{what} has dtype {array.dtype}",
             diagnosis=f"the result is {array.dtype}: compute in float64", kind="float32")
    tolerance = rtol * abs(expected) + 1e-15
    if abs(value - expected) <= tolerance or (np.isnan(value) and np.isnan(expected)):
        return value
    denominator = max(abs(expected), 1e-300)
    fail(
        checked,
        f"{format_number(expected)}",
        f"{format_number(value)}",
        f"relative error {abs(value - expected) / denominator:.2g} (tolerance {rtol:.0e})",
        diagnosis=diagnose(np.array([value]), np.array([expected]), context),
    )


def expect_unchanged(original: np.ndarray, after: Any, *, what: str, by: str) -> None:
    """Check that an input array still contains its original values after a call."""
    checked = f"{what} is left unchanged by {by}"
    array = to_array(after, what, checked)
    if array.shape == original.shape and np.array_equal(array, original, equal_nan=True):
        return
    changed = array.shape != original.shape or ~np.isclose(array, original, rtol=0, atol=0)
    count = original.size if isinstance(changed, bool) else int(np.sum(changed))
    fail(
        checked,
        f"{what} unchanged",
        f"{count} of {original.size} entries of {what} were changed",
        diagnosis=f"{by} modified its input in place: operations such as `x += ...`, "
        "`x[mask] = 0` or `out=x` write into the caller's array; work on a copy or build a new array",
        kind="in-place",
    )


def expect_no_warnings(warnings: list[dict], *, by: str) -> None:
    """Check that a call raised no warnings (e.g. overflow in exp)."""
    if not warnings:
        return
    first = warnings[0]
    fail(
        f"{by} runs without warnings",
        "no warnings",
        f"{len(warnings)} warning(s), first: {first.get('category')}: {first.get('message')}",
        diagnosis="numpy warned during the computation, the sign of an overflow or a division "
        "by zero: use a numerically stable formulation",
        kind="overflow",
    )


def expect_finite(received: Any, *, what: str, by: str) -> np.ndarray:
    """Check that every entry is finite (no NaN, no infinity)."""
    checked = f"{what} from {by} is finite"
    array = to_array(received, what, checked)
    finite = np.isfinite(array)
    if finite.all():
        return array
    index = tuple(int(i) for i in np.unravel_index(int(np.argmin(finite)), array.shape))
    position = f"[{', '.join(map(str, index))}]" if array.ndim else ""
    fail(
        checked,
        "finite values",
        f"{int((~finite).sum())} of {array.size} entries are NaN or infinite, "
        f"first at {what}{position} = {array[index]}",
        diagnosis="overflow: exp of a large number is inf, and inf/inf or inf-inf is NaN; "
        "rewrite with a numerically stable formula (e.g. subtract the maximum before exp)",
        kind="overflow",
    )


def expect_keys(received: Any, keys: Sequence[str], *, what: str) -> Mapping[str, Any]:
    """Check that ``received`` is a dict with exactly these keys."""
    checked = f"the keys of {what}"
    if not isinstance(received, dict):
        fail(checked, f"a dict with keys {sorted(keys)}", f"{what} is {describe_value(received)}")
    if set(received) != set(keys):
        fail(checked, f"keys {sorted(keys)}", f"keys {sorted(map(str, received))}")
    return received

