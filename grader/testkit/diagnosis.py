"""Name the kind of mistake that a wrong array shows, from the numbers alone.

Each detector looks at a received array beside the expected one (same
shape) and returns a sentence or None. The first that fits wins, so the
order runs from the most specific pattern to the most general. Nothing here
reads the candidate's source: a diagnosis works for any implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

#: Kinds of mistake a diagnosis can name, with what each means.
KINDS: dict[str, str] = {
    "transposed": "the values or the shape of the transpose",
    "flipped": "the values for a kernel reversed along its spatial axes: convolution confused with cross-correlation",
    "sign": "the right size with the wrong sign",
    "factor": "off by a constant factor such as 2 or 1/2",
    "missing-mean": "N times too large: the 1/N of a mean is missing",
    "extra-mean": "N times too small: averaged where it should be summed",
    "missing-sum": "an extra batch axis: a parameter's gradient not summed over the batch",
    "zero": "zero everywhere: a gradient never set or a path of the chain rule dropped",
    "partial": "right on some entries and wrong on others: a mask or an index",
    "accumulated": "grows with each backward call: accumulated instead of overwritten",
    "in-place": "an input array changed by the call",
    "overflow": "NaN or infinity where the correct values are finite",
    "float32": "float32 precision",
    "forward": "a correct gradient for a wrong forward",
    "mode": "training and evaluation behaviour confused",
    "running-stats": "running statistics off by the momentum or the variance convention",
}


@dataclass(frozen=True)
class Finding:
    """A diagnosis: the kind of mistake (a key of :data:`KINDS`) and the sentence shown."""

    kind: str
    message: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of mistake {self.kind!r}; add it to KINDS")


@dataclass(frozen=True)
class Context:
    """Facts the suite has about the array being compared."""

    name: str = "the result"
    """The array's name in messages, e.g. ``dW``."""
    batch_sizes: tuple[int, ...] = ()
    """Sizes N for which a factor of N or 1/N would mean a missing or extra mean
    (the batch, and for inputs with several leading axes, their products)."""
    regions: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Named boolean masks over the array, e.g. ``{"where x < 0": x < 0}``, used to
    say where the wrong entries are."""
    repeated_call: bool = False
    """True when the array comes from a second identical call, so a factor of 2
    means gradients were accumulated instead of overwritten."""


Detector = Callable[[np.ndarray, np.ndarray, Context], "Finding | None"]


def diagnose(received: np.ndarray, expected: np.ndarray, context: Context | None = None) -> Finding | None:
    """Return what the numbers suggest about a wrong array, or None if no pattern fits."""
    context = context or Context()
    received = np.asarray(received, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if received.shape != expected.shape:
        return None
    for detector in DETECTORS:
        finding = detector(received, expected, context)
        if finding:
            return finding
    return None


def _not_finite(received, expected, context) -> Finding | None:
    if np.isfinite(received).all() or not np.isfinite(expected).all():
        return None
    kind = "NaN" if np.isnan(received).any() else "infinite"
    return Finding("overflow", (
        f"{context.name} has {kind} entries where the correct values are finite: an overflow "
        "(exp of a large number, or a division by a tiny one), and inf - inf or inf / inf "
        "then gives NaN. Rewrite the step so no large number is exponentiated (subtract the "
        "maximum before exp, or use exp(-|x|))"
    ))


def _all_zero(received, expected, context) -> Finding | None:
    if np.any(received != 0) or not np.any(expected != 0):
        return None
    return Finding("zero", (
        f"{context.name} is zero everywhere: it was never set, or one path of the chain "
        "rule into it was dropped"
    ))


def _transposed(received, expected, context) -> Finding | None:
    if received.ndim != 2 or received.shape[0] != received.shape[1] or received.shape[0] < 2:
        return None
    if _matches(received, expected.T) and not _matches(received, expected):
        return Finding("transposed", f"{context.name} equals the transpose of the correct value: "
                       "swap the operands of the matrix product or transpose the other one")
    return None


def _constant_factor(received, expected, context) -> Finding | None:
    factor = _fitted_factor(received, expected)
    if factor is None or np.isclose(factor, 1.0, rtol=1e-6):
        return None
    return _name_factor(factor, context)


def _fitted_factor(received: np.ndarray, expected: np.ndarray) -> float | None:
    norm = float(np.sum(expected * expected))
    if norm == 0 or not np.isfinite(received).all():
        return None
    factor = float(np.sum(received * expected) / norm)
    residual = np.max(np.abs(received - factor * expected))
    if residual > 1e-6 * max(np.max(np.abs(received)), 1e-300):
        return None
    return factor


def _name_factor(factor: float, context: Context) -> Finding:
    name = context.name
    near = lambda value: np.isclose(factor, value, rtol=1e-6)  # noqa: E731
    if near(-1):
        return Finding("sign", f"{name} has the right size but the wrong sign: check the sign of each term")
    if context.repeated_call and near(2):
        return Finding("accumulated", (
            f"{name} doubled on the second backward call: gradients were accumulated "
            "(+=) instead of overwritten (=)"
        ))
    for batch in context.batch_sizes:
        if batch > 2 and near(batch):
            return Finding("missing-mean", f"{name} is {batch} times too large (N = {batch}): "
                           "the 1/N of a mean over the batch is missing")
        if batch > 2 and near(1 / batch):
            return Finding("extra-mean", (
                f"{name} is {batch} times too small (N = {batch}): it was divided by N, "
                "averaged over the batch where it should be summed"
            ))
    batch_of_two = 2 in context.batch_sizes
    if near(2):
        if batch_of_two:
            return Finding("missing-mean", f"{name} is twice the correct value, and N = 2: the 1/N of a mean "
                           "over the batch is missing, or there is a factor of 2 too many")
        return Finding("factor", f"{name} is twice the correct value: a factor of 2 too many "
                       "(or the 1/2 of a square dropped)")
    if near(0.5):
        if batch_of_two:
            return Finding("extra-mean", f"{name} is half the correct value, and N = 2: it was divided by N "
                           "(averaged over the batch where it should be summed), or a factor of 2 is missing")
        return Finding("factor", f"{name} is half the correct value: a factor of 2 is missing "
                       "(e.g. from the derivative of a square)")
    return Finding("factor", f"{name} is the correct value times {factor:.4g}: a constant factor is wrong")


def _float32(received, expected, context) -> Finding | None:
    scale = float(np.max(np.abs(expected), initial=0.0))
    if scale == 0:
        return None
    error = float(np.max(np.abs(received - expected))) / scale
    # A result cast back from float32 holds only float32 values, whatever the
    # size of its error; without that mark, only errors typical of float32
    # rounding count (a misplaced eps is off by about 1e-5).
    representable = bool(np.all(received == received.astype(np.float32).astype(np.float64)))
    if (representable and 1e-9 < error < 1e-4) or 1e-9 < error < 2e-6:
        return Finding("float32", (
            f"{context.name} agrees with the correct value only to about {error:.0e} relative: "
            "that is float32 precision. Compute in float64 (look for astype(np.float32), "
            "dtype=np.float32 or float32 arrays created in __init__)"
        ))
    return None


def _wrong_region(received, expected, context) -> Finding | None:
    bad = ~_entrywise_close(received, expected)
    if not bad.any() or bad.all():
        return None
    for label, mask in context.regions.items():
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), bad.shape)
        if mask.any() and np.array_equal(bad, mask):
            return Finding("partial", f"{context.name} is right everywhere except {label}: "
                           "check the case that covers those entries")
        if mask.any() and not bad[~mask].any() and bad[mask].mean() > 0.5:
            return Finding("partial", f"{context.name} is wrong only {label}: check the case that covers those entries")
    # Entries near zero agree by accident (a wrong formula times a tiny dout);
    # only right entries of real size point at a mask or an index.
    scale = float(np.max(np.abs(expected), initial=0.0))
    informative = np.abs(expected) > 1e-3 * scale
    if not (informative & ~bad).any():
        return None
    return Finding("partial", (
        f"{context.name} is right on {int((~bad).sum())} of {bad.size} entries and wrong on the rest: "
        "a mask or an index picks the wrong entries"
    ))


def _entrywise_close(received: np.ndarray, expected: np.ndarray) -> np.ndarray:
    scale = float(np.max(np.abs(expected), initial=0.0))
    return np.abs(received - expected) <= 1e-6 * np.abs(expected) + 1e-8 * scale + 1e-15


def _matches(received: np.ndarray, expected: np.ndarray) -> bool:
    return bool(_entrywise_close(received, expected).all())


DETECTORS: tuple[Detector, ...] = (
    _not_finite,
    _all_zero,
    _transposed,
    _constant_factor,
    _float32,
    _wrong_region,
)
