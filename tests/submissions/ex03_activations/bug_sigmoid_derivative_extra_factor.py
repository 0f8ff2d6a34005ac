"""Sigmoid.backward multiplies by (1 - out) twice: dout * out * (1 - out) ** 2.

kind: other
"""

from __future__ import annotations

import numpy as np

#: Constants of GELU's tanh approximation.
SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
GELU_CUBIC = 0.044715



class ReLU:
    def __init__(self):
        self.params = {}; self.grads = {}
    def forward(self, x):
        self.mask = x > 0
        return np.maximum(x, 0)
    def backward(self, dout):
        return dout * self.mask

class LeakyReLU:
    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope; self.params = {}; self.grads = {}
    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.negative_slope * x)
    def backward(self, dout):
        return np.where(self.x > 0, dout, self.negative_slope * dout)

class Sigmoid:
    def __init__(self):
        self.params = {}; self.grads = {}
    def forward(self, x):
        z = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        return self.out
    def backward(self, dout):
        return dout * self.out * (1 - self.out) * (1 - self.out)

class Tanh:
    def __init__(self):
        self.params = {}; self.grads = {}
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out
    def backward(self, dout):
        return dout * (1 - self.out ** 2)

class GELU:
    def __init__(self):
        self.params = {}; self.grads = {}
    def forward(self, x):
        self.x = x
        u = SQRT_2_OVER_PI * (x + GELU_CUBIC * x ** 3)
        self.t = np.tanh(u)
        return 0.5 * x * (1 + self.t)
    def backward(self, dout):
        x, t = self.x, self.t
        du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x ** 2)
        return dout * (0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * du)
