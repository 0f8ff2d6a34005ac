"""Correct functions written row by row; kaiming_normal turns uniform draws into normal ones (Box-Muller)."""

import math

import numpy as np


def xavier_uniform(fan_in, fan_out, rng=None):
    if rng is None:
        rng = np.random.default_rng()
    bound = math.sqrt(6 / (fan_in + fan_out))
    rows = [rng.uniform(-bound, bound, fan_out) for _ in range(fan_in)]
    return np.array(rows).reshape(fan_in, fan_out)


def kaiming_normal(fan_in, fan_out, rng=None):
    if rng is None:
        rng = np.random.default_rng()
    count = fan_in * fan_out
    pairs = (count + 1) // 2
    u1 = 1.0 - rng.random(pairs)  # in (0, 1], so the log is finite
    u2 = rng.random(pairs)
    radius = np.sqrt(-2.0 * np.log(u1))
    z = np.concatenate([radius * np.cos(2 * math.pi * u2), radius * np.sin(2 * math.pi * u2)])[:count]
    return z.reshape(fan_in, fan_out) * math.sqrt(2 / fan_in)


def clip_grad_norm(grads, max_norm):
    squares = 0.0
    for g in grads.values():
        squares += float(np.sum(np.square(g)))
    norm = math.sqrt(squares)
    if norm > max_norm:
        for g in grads.values():
            np.multiply(g, max_norm / norm, out=g)
    return norm
