"""A correct Linear that the misbehaving submissions import and break in one place."""

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
        x = self.x.reshape(-1, self.x.shape[-1])
        d = dout.reshape(-1, dout.shape[-1])
        self.grads["W"] = x.T @ d
        self.grads["b"] = d.sum(axis=0)
        return dout @ self.params["W"].T
