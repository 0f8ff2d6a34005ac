"""Statistical checks of randomly drawn arrays, with thresholds no correct sampler crosses.

A contract for random weights fixes their distribution, not the calls that
draw them, so a candidate's samples cannot be compared with the reference's.
These checks compare summary statistics with the distribution instead. Each
tolerance is computed from the number of entries so that independent draws
from the right distribution fail a check with probability below
:data:`FALSE_FAILURE`:

- means of bounded entries use Hoeffding's inequality,
  ``P(|mean - E| >= t) <= 2 exp(-2 n t^2 / width^2)``, and fractions of entries
  below a threshold the Dvoretzky-Kiefer-Wolfowitz inequality, which bounds the
  empirical distribution function at every threshold at once with the same
  expression (width 1);
- the mean of normal entries is itself normal, and
  ``P(|Z| >= z) <= 2 exp(-z^2 / 2)``;
- the mean square of normal entries is a scaled chi-square with n degrees of
  freedom, bounded by Chernoff's inequality
  ``P(S/n >= 1 + e) <= exp(-n (e - ln(1 + e)) / 2)`` (and likewise below).

With tens of thousands of entries the tolerances are a few percent, while
the usual mistakes (a wrong fan, a missing square root, the wrong
distribution) are off by 20% or more at the sizes the suites use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .checks import fail, format_number

#: Largest probability that a correct sampler fails any one check here.
FALSE_FAILURE = 1e-12


@dataclass(frozen=True)
class Scale:
    """A scale formula that a mistake would give, used to name the mistake."""

    formula: str
    """The mistaken formula, e.g. ``a = sqrt(6 / fan_in)``."""
    std: float
    """The standard deviation that formula gives for the sizes under test."""
    cause: str
    """The error in that formula, in a few words."""


# --- tolerances ----------------------------------------------------------------


def hoeffding_margin(count: int, width: float) -> float:
    """Deviation of a mean of ``count`` entries, each in an interval of ``width``,
    exceeded with probability at most FALSE_FAILURE."""
    return width * math.sqrt(math.log(2 / FALSE_FAILURE) / (2 * count))


def normal_mean_margin(count: int, std: float) -> float:
    """Deviation of the mean of ``count`` normal entries exceeded with probability at most FALSE_FAILURE."""
    return std * math.sqrt(2 * math.log(2 / FALSE_FAILURE) / count)


def chi_square_margin(count: int) -> float:
    """Relative deviation ``e`` of a chi-square mean ``S / count`` from 1 exceeded
    with probability at most FALSE_FAILURE (Chernoff's bound on both sides)."""
    target = math.log(2 / FALSE_FAILURE)

    def exponent(e: float) -> float:
        # The smaller of the two sides' exponents, so both tails stay below target.
        upper = count * (e - math.log1p(e)) / 2
        lower = count * (-e - math.log1p(-e)) / 2 if e < 1 else math.inf
        return min(upper, lower)

    low, high = 0.0, 0.999
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if exponent(middle) < target else (low, middle)
    return high


# --- checks --------------------------------------------------------------------


def expect_bounded(values: np.ndarray, bound: float, *, what: str, by: str) -> None:
    """Check that every entry lies in ``[-bound, bound]`` and that the largest comes close to it.

    For independent uniform entries the largest ``|w|`` stays below
    ``bound * (1 - e)`` with probability ``(1 - e) ** n``, so ``e`` is set
    where that is FALSE_FAILURE.
    """
    magnitude = np.abs(values)
    largest = float(magnitude.max())
    outside = int(np.sum(magnitude > bound * (1 + 1e-9)))
    if outside:
        fail(
            f"every entry of {what} from {by} lies in [-a, a], a = {format_number(bound)}",
            f"|entries| <= {format_number(bound)}",
            f"{outside} of {values.size} entries are outside, the largest |entry| is {format_number(largest)}",
            diagnosis=_outside_cause(values, bound),
        )
    reach = math.log(1 / FALSE_FAILURE) / values.size
    if largest < bound * (1 - reach):
        fail(
            f"the entries of {what} from {by} spread over all of [-a, a], a = {format_number(bound)}",
            f"a largest |entry| within {reach:.1e} of a (uniform draws come that close)",
            f"the largest |entry| is {format_number(largest)}, {largest / bound:.3g} times a",
            diagnosis="the bound is too small: check the formula for a, including the square root and the 6",
        )


def expect_scale(values: np.ndarray, std: float, *, what: str, by: str, family: str,
                 mistakes: Sequence[Scale] = ()) -> None:
    """Check that the mean is 0 and the root mean square is ``std``.

    ``family`` is ``"normal"`` or ``"uniform"``; it sets which inequality
    bounds each statistic (see the module docstring). For a uniform
    distribution ``std`` is ``a / sqrt(3)``.
    """
    count = values.size
    mean = float(values.mean())
    if family == "uniform":
        bound = std * math.sqrt(3)
        mean_margin = hoeffding_margin(count, 2 * bound)
        # Hoeffding on w**2, which lies in [0, a**2], bounds the mean square.
        square_margin = hoeffding_margin(count, bound * bound) / (std * std)
    else:
        mean_margin = normal_mean_margin(count, std)
        square_margin = chi_square_margin(count)
    if abs(mean) > mean_margin:
        fail(
            f"the mean of the {count} entries of {what} from {by}",
            f"0 (within {format_number(mean_margin)})",
            format_number(mean),
            diagnosis="the distribution must be centred on 0: draw from [-a, a] or with mean 0, not from [0, a]",
        )
    rms = float(np.sqrt(np.mean(values * values)))
    low, high = std * math.sqrt(1 - square_margin), std * math.sqrt(1 + square_margin)
    if not low <= rms <= high:
        fail(
            f"the standard deviation of the {count} entries of {what} from {by}",
            f"{format_number(std)} (between {format_number(low)} and {format_number(high)})",
            f"{format_number(rms)}, {rms / std:.3g} times the expected value",
            diagnosis=_scale_cause(rms, std, mistakes),
            kind="factor" if rms > 0 else "zero",
        )


def expect_fractions(values: np.ndarray, thresholds: Sequence[float], family: str, *,
                     what: str, by: str, other_family: str | None = None) -> None:
    """Check the shape of the distribution, whatever its scale.

    For each ``t`` in ``thresholds`` the fraction of entries with
    ``|w| < t * scale`` is compared with the ``family``'s: ``"normal"``, where
    ``scale`` is the standard deviation, or ``"uniform"`` on ``[-a, a]``, where
    ``scale`` is the bound a. The scale is measured from the entries' root mean
    square, so a wrong scale fails :func:`expect_scale`, not this check.
    ``other_family``, if given, is named when the fractions match it instead.
    """
    count = values.size
    rms = float(np.sqrt(np.mean(values * values)))
    scale = rms * math.sqrt(3) if family == "uniform" else rms
    # The thresholds depend on the measured scale, so the sampling error is bounded at
    # every threshold at once (DKW). The error of the measured scale shifts each
    # threshold too, and the fraction's slope in t is at most 1 (uniform) or 0.8 (normal).
    sampling_margin = hoeffding_margin(count, 1.0)
    scale_error = _relative_std_margin(family, count)
    slope = 1.0 if family == "uniform" else 0.8
    magnitude = np.abs(values)
    unit = "std" if family == "normal" else "a"
    measured = "the entries' standard deviation" if family == "normal" else "sqrt(3) times the entries' RMS"
    for t in thresholds:
        margin = sampling_margin + slope * t * scale_error
        expected = _fraction_below(family, t)
        received = float(np.mean(magnitude < t * scale)) if rms > 0 else 1.0
        if abs(received - expected) <= margin:
            continue
        diagnosis = f"the values are not {family}ly distributed: draw them with rng.{family}(...)"
        if other_family and abs(received - _fraction_below(other_family, _other_threshold(family, t))) <= margin:
            diagnosis = (f"the fractions match a {other_family} distribution: the contract asks for a "
                         f"{family} one, drawn with rng.{family}(...)")
        fail(
            f"the shape of the distribution of {what} from {by}: the fraction of the {count} entries "
            f"with |entry| < {t:g} {unit}, {unit} measured as {measured}",
            f"{expected:.3f} for a {family} distribution (within {margin:.3f})",
            f"{received:.3f}",
            diagnosis=diagnosis,
        )


# --- helpers --------------------------------------------------------------------


def _fraction_below(family: str, t: float) -> float:
    """P(|w| < t * scale) for a normal (scale = std) or uniform (scale = bound) distribution."""
    if family == "normal":
        return math.erf(t / math.sqrt(2))
    return min(t, 1.0)


def _other_threshold(family: str, t: float) -> float:
    """Convert the threshold ``t * scale`` of ``family`` into the other family's unit, at equal variance."""
    return t / math.sqrt(3) if family == "normal" else t * math.sqrt(3)


def _relative_std_margin(family: str, count: int) -> float:
    """Relative error of the standard deviation measured from ``count`` entries, exceeded
    with probability at most FALSE_FAILURE (the tolerance of :func:`expect_scale`)."""
    if family == "uniform":
        # Hoeffding on w**2 in [0, a**2], relative to the variance a**2 / 3.
        return math.sqrt(1 + 3 * hoeffding_margin(count, 1.0)) - 1
    return math.sqrt(1 + chi_square_margin(count)) - 1


def _outside_cause(values: np.ndarray, bound: float) -> str:
    rms = float(np.sqrt(np.mean(values * values)))
    if abs(rms / bound - 1) < 0.05:
        return ("the entries have standard deviation a, as from a normal draw with std a; a uniform "
                "distribution on [-a, a] has std a / sqrt(3) and never leaves [-a, a]: use rng.uniform(-a, a, size)")
    if abs(rms / (bound / math.sqrt(3)) - 1) < 0.05:
        return ("the spread is right but the entries are unbounded, as from a normal draw with the same "
                "variance: use rng.uniform(-a, a, size), which never leaves [-a, a]")
    return (f"the entries' standard deviation is {rms / bound:.3g} a, where a uniform distribution on "
            "[-a, a] has 0.577 a: check the formula for a")


def _scale_cause(rms: float, std: float, mistakes: Sequence[Scale]) -> str:
    if rms == 0:
        return "every entry is 0: draw random values, with rng"
    for mistake in mistakes:
        if abs(rms / mistake.std - 1) < 0.03:
            return f"that is {mistake.formula}: {mistake.cause}"
    return f"the scale is off by a factor {rms / std:.3g}: check the fan used and the square root"
