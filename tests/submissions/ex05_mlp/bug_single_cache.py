"""forward keeps each layer's input in one attribute, so backward uses the last layer's input for every layer.

kind: other
"""

import numpy as np


class MLP:
    def __init__(self, sizes, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.L = len(sizes) - 1
        self.params, self.grads = {}, {}
        for i in range(1, self.L + 1):
            self.params[f"W{i}"] = rng.normal(0, np.sqrt(2 / sizes[i - 1]), (sizes[i - 1], sizes[i]))
            self.params[f"b{i}"] = np.zeros(sizes[i])

    def forward(self, x):
        h = x
        for i in range(1, self.L + 1):
            self.h = h
            z = h @ self.params[f"W{i}"] + self.params[f"b{i}"]
            h = np.maximum(z, 0) if i < self.L else z
        return h

    def backward(self, dscores):
        d = dscores
        for i in range(self.L, 0, -1):
            self.grads[f"W{i}"] = self.h.T @ d
            self.grads[f"b{i}"] = d.sum(axis=0)
            d = d @ self.params[f"W{i}"].T
            if i > 1:
                d = d * (self.h > 0)
        return d


def sgd_step(params, grads, lr):
    for k in params:
        params[k] -= lr * grads[k]
