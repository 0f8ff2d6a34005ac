"""Random inputs for the suites, drawn so that a correct answer is never in doubt."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    """Standard normal float64 entries times ``scale``."""
    return rng.normal(scale=scale, size=shape)


def away_from(rng: np.random.Generator, shape: Sequence[int], kinks: Sequence[float] = (0.0,),
              margin: float = 0.05, scale: float = 1.0) -> np.ndarray:
    """Normal entries, each at least ``margin`` away from every kink.

    Central differences straddle a kink when an entry lies within the step of
    it (ReLU at 0, for example); keeping a margin far above the step makes the
    derivative there unambiguous.
    """
    values = rng.normal(scale=scale, size=tuple(shape))
    for kink in kinks:
        offset = values - kink
        close = np.abs(offset) < margin
        values = np.where(close, kink + np.where(offset >= 0, 1, -1) * (margin + np.abs(offset)), values)
    return values


def with_both_signs(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Return a copy of ``values`` with one random entry made negative and another positive.

    A mistake confined to one sign (ReLU's mask, a max gate's routing) then
    shows on every seed. ``values`` needs at least two entries.
    """
    values = np.array(values, dtype=np.float64)
    negative, positive = rng.choice(values.size, size=2, replace=False)
    values.flat[negative] = -abs(values.flat[negative])
    values.flat[positive] = abs(values.flat[positive])
    return values


def batch_sizes(rng: np.random.Generator, low: int = 2, high: int = 6) -> int:
    """A batch size drawn from [low, high]."""
    return int(rng.integers(low, high + 1))
