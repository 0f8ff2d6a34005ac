"""Correct MLP that caches pre-activations and uses einsum; sgd_step assigns through [...]."""

import numpy as np


class MLP:
    def __init__(self, sizes, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.depth = len(sizes) - 1
        self.params = {}
        for i in range(self.depth):
            bound = 1.0 / np.sqrt(sizes[i])
            self.params["W%d" % (i + 1)] = rng.uniform(-bound, bound, (sizes[i], sizes[i + 1]))
            self.params["b%d" % (i + 1)] = rng.uniform(-bound, bound, sizes[i + 1])
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}

    def forward(self, x):
        self.x = x
        self.pre = []
        a = x
        for i in range(1, self.depth + 1):
            z = np.einsum("nd,dm->nm", a, self.params["W%d" % i]) + self.params["b%d" % i]
            self.pre.append(z)
            a = np.maximum(z, 0) if i < self.depth else z
        return a

    def backward(self, dscores):
        dz = dscores
        for i in range(self.depth, 0, -1):
            a_prev = self.x if i == 1 else np.maximum(self.pre[i - 2], 0)
            self.grads["W%d" % i] = np.einsum("nd,nm->dm", a_prev, dz)
            self.grads["b%d" % i] = np.einsum("nm->m", dz)
            da = np.einsum("nm,dm->nd", dz, self.params["W%d" % i])
            dz = da * (self.pre[i - 2] > 0) if i > 1 else da
        return dz


def sgd_step(params, grads, lr):
    for key, grad in grads.items():
        params[key][...] = params[key] - lr * grad
