"""forward centres x in place (x -= ...) before the product, changing the caller's array.

The output is still right because the bias absorbs the shift, but x is not.

kind: in-place
"""

import numpy as np


class Linear:
    def __init__(self, in_features, out_features, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.params = {"W": rng.normal(size=(in_features, out_features)), "b": np.zeros(out_features)}
        self.grads = {}

    def forward(self, x):
        self.x = x.copy()
        out = x @ self.params["W"] + self.params["b"]
        x *= 1.0 + 1e-3  # "normalise" the input for later use, in place
        return out

    def backward(self, dout):
        x = self.x.reshape(-1, self.x.shape[-1])
        d = dout.reshape(-1, dout.shape[-1])
        self.grads["W"] = x.T @ d
        self.grads["b"] = d.sum(axis=0)
        return dout @ self.params["W"].T
