"""clip_grad_norm computes max_norm / norm before the comparison, which raises for all-zero gradients.

kind: other
"""

from __future__ import annotations

import numpy as np


def xavier_uniform(fan_in: int, fan_out: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw weights uniformly on ``[-a, a]`` with ``a = sqrt(6 / (fan_in + fan_out))``.

    The variance ``a**2 / 3 = 2 / (fan_in + fan_out)`` keeps the scale of the
    activations and of the gradients steady through tanh-like layers.

    Args:
        fan_in: number of inputs of the layer.
        fan_out: number of outputs of the layer.
        rng: source of randomness; None means a fresh default generator.

    Returns:
        W of shape (fan_in, fan_out).
    """
    rng = np.random.default_rng() if rng is None else rng
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))


def kaiming_normal(fan_in: int, fan_out: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw weights from a normal distribution with mean 0 and std ``sqrt(2 / fan_in)``.

    The variance ``2 / fan_in`` makes up for the ReLU zeroing half of its
    inputs, so the activations keep their scale through ReLU layers.

    Args:
        fan_in: number of inputs of the layer.
        fan_out: number of outputs of the layer.
        rng: source of randomness; None means a fresh default generator.

    Returns:
        W of shape (fan_in, fan_out).
    """
    rng = np.random.default_rng() if rng is None else rng
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Scale every gradient in place so that their global L2 norm is at most ``max_norm``.

    The global norm is ``sqrt(sum over every array of the sum of its squared
    entries)``. When it exceeds ``max_norm``, every array is multiplied by
    ``max_norm / norm``, so the direction of the whole gradient is kept.

    Args:
        grads: gradients by name; the arrays are modified in place.
        max_norm: largest global norm allowed.

    Returns:
        The global norm before clipping.
    """
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    scale = max_norm / norm
    if scale < 1.0:
        for g in grads.values():
            g *= scale
    return norm
