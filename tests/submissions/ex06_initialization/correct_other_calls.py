"""Correct functions that draw with rng.random and rng.standard_normal, and clip the PyTorch way.

clip_grad_norm multiplies every array by min(1, max_norm / (norm + 1e-6)), as
torch.nn.utils.clip_grad_norm_ does, so a clipped norm is a hair below max_norm.
"""

import numpy as np


def xavier_uniform(fan_in, fan_out, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    a = (6.0 / (fan_in + fan_out)) ** 0.5
    return (2.0 * rng.random((fan_in, fan_out)) - 1.0) * a


def kaiming_normal(fan_in, fan_out, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    return rng.standard_normal((fan_in, fan_out)) * (2.0 / fan_in) ** 0.5


def clip_grad_norm(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads.values()])
    total = np.linalg.norm(flat)
    coef = min(1.0, max_norm / (total + 1e-6))
    for g in grads.values():
        g *= coef
    return float(total)
