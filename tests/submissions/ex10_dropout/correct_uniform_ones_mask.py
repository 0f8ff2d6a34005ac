"""Correct Dropout that draws with rng.uniform(size=...) (the same numbers as rng.random) and stores a ones mask in evaluation."""

import numpy as np


class Dropout:
    def __init__(self, p=0.5, rng=None):
        self.p = p
        self.rng = rng or np.random.default_rng()
        self.params, self.grads = {}, {}
        self.training = True
        self.mask = None

    def forward(self, x):
        if not self.training:
            self.mask = np.ones_like(x, dtype=float)
        elif self.p >= 1:
            self.rng.uniform(size=x.shape)
            self.mask = np.zeros(x.shape)
        else:
            self.mask = (self.rng.uniform(size=x.shape) >= self.p).astype(float) / (1 - self.p)
        return self.mask * x

    def backward(self, dout):
        return self.mask * dout
