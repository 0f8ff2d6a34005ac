"""Inputs and known mistakes of the normalisation layers (batch norm, layer norm).

Both layers compute ``gamma * (x - mean) / sqrt(var + eps) + beta`` with the
mean and the biased variance taken over one axis: axis 0 for batch norm, the
last axis for layer norm. The functions here compute, in numpy on the
grader's side, what the usual mistakes return for a given axis, so a suite
can name the mistake a candidate's array matches.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .known_mistakes import KnownMistake

#: Axes to take statistics over, as numpy's ``axis=`` (None for the whole array).
Axes = int | tuple[int, ...] | None


def spread(rng: np.random.Generator, shape: tuple[int, ...], axis: int,
           std: tuple[float, float] = (0.5, 2.0)) -> np.ndarray:
    """Draw a random input whose standard deviation along ``axis`` lies in the range
    ``std`` for every slice.

    Each slice along ``axis`` is standardised and then rescaled, so no seed
    draws a nearly constant slice, where the variance is tiny next to eps and
    implementations written differently would disagree by round-off.
    """
    z = rng.normal(size=shape)
    z = (z - z.mean(axis=axis, keepdims=True)) / z.std(axis=axis, keepdims=True)
    stat_shape = list(shape)
    stat_shape[axis] = 1
    centre = rng.normal(size=stat_shape)
    scale = rng.uniform(*std, size=stat_shape)
    return centre + scale * z


def normalize(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, axis: Axes, eps: float,
              ddof: int = 0, eps_outside_sqrt: bool = False) -> np.ndarray:
    """Compute ``gamma * (x - mean) / sqrt(var + eps) + beta`` with the statistics over ``axis``.

    ``ddof=1`` uses the unbiased variance. ``eps_outside_sqrt`` divides by
    ``sqrt(var) + eps`` in place of ``sqrt(var + eps)``.
    """
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True, ddof=ddof)
    std = np.sqrt(var) + eps if eps_outside_sqrt else np.sqrt(var + eps)
    return gamma * (x - mean) / std + beta


def forward_mistakes(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, axis: int, eps: float,
                     axis_text: str, wrong_axes: Mapping[str, Axes]) -> list[KnownMistake]:
    """List the known mistakes of the forward pass.

    ``axis_text`` describes the right axis in messages, e.g. ``"axis 0, the
    batch"``. ``wrong_axes`` maps a description such as ``"the whole array"``
    to axes that a confused implementation might normalise over instead.
    """
    mistakes = [
        KnownMistake(
            normalize(x, gamma, beta, axis=axis, eps=eps, ddof=1),
            "the output is normalised with the unbiased variance (divided by n - 1): "
            "normalisation uses the biased variance, mean((x - mean)**2), as np.var does by default",
        ),
        KnownMistake(
            normalize(x, gamma, beta, axis=axis, eps=eps, eps_outside_sqrt=True),
            "eps is added outside the square root, (x - mean) / (sqrt(var) + eps): "
            "the contract divides by sqrt(var + eps)",
        ),
        KnownMistake(
            normalize(x, gamma, beta, axis=axis, eps=0.0),
            "the output matches a normalisation without eps: divide by sqrt(var + eps), "
            "using the eps given to the constructor",
        ),
        KnownMistake(
            normalize(x, np.ones_like(gamma), np.zeros_like(beta), axis=axis, eps=eps),
            "the output is the normalised x without gamma and beta: finish with gamma * xhat + beta",
        ),
    ]
    for description, axes in wrong_axes.items():
        mistakes.append(KnownMistake(
            normalize(x, gamma, beta, axis=axes, eps=eps),
            f"the output is normalised over {description}: take the mean and variance over "
            f"{axis_text} only",
        ))
    return mistakes


def dx_mistakes(x: np.ndarray, gamma: np.ndarray, dout: np.ndarray, *, axis: int,
                eps: float) -> list[KnownMistake]:
    """List the known mistakes of dx: backward paths through the mean or the variance dropped."""
    mean = x.mean(axis=axis, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    xhat = (x - mean) * inv_std
    dxhat = dout * gamma
    mean_path = dxhat.mean(axis=axis, keepdims=True)
    variance_path = xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)
    return [
        KnownMistake(
            inv_std * dxhat,
            "dx = dout * gamma / sqrt(var + eps) treats the mean and the variance as constants, "
            "but both are computed from x: add the paths through them (see the lesson's derivation)",
        ),
        KnownMistake(
            inv_std * (dxhat - variance_path),
            "dx misses the path through the mean: subtract the mean of dxhat, "
            "dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)",
        ),
        KnownMistake(
            inv_std * (dxhat - mean_path),
            "dx misses the path through the variance: subtract xhat * mean(dxhat * xhat), "
            "dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)",
        ),
    ]


def dgamma_mistakes(x: np.ndarray, dout: np.ndarray, *, sum_axes: Axes) -> list[KnownMistake]:
    """List the known mistakes of ``grads['gamma']``."""
    return [KnownMistake(
        np.sum(dout * x, axis=sum_axes),
        "grads['gamma'] sums dout * x: gamma multiplies the normalised xhat, so sum dout * xhat",
    )]
