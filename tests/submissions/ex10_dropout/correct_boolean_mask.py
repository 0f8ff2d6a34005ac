"""Correct Dropout that stores the boolean keep mask and the scale apart, and copies x in evaluation."""

import numpy as np


class Dropout:
    def __init__(self, p=0.5, rng=None):
        self.p = float(p)
        self.rng = rng if rng is not None else np.random.default_rng()
        self.params = {}
        self.grads = {}
        self.training = True

    def forward(self, x):
        if self.training:
            self.keep = self.rng.random(x.shape) >= self.p
            self.scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
            return np.where(self.keep, x * self.scale, 0.0)
        self.keep, self.scale = None, 1.0
        return x.copy()

    def backward(self, dout):
        if self.keep is None:
            return dout.copy()
        return np.where(self.keep, dout * self.scale, 0.0)
