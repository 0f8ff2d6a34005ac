"""Correct activations written with other, equivalent formulas.

ReLU keeps a boolean mask, LeakyReLU scales a copy in place, Sigmoid uses
0.5 * (1 + tanh(x / 2)), Tanh's backward uses 1 / cosh(x) ** 2, and GELU uses
0.5 * (1 + tanh(u)) = sigmoid(2u). params and grads are class attributes.
"""

import numpy as np


class ReLU:
    params = {}
    grads = {}

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return np.where(self.mask, dout, 0.0)


class LeakyReLU:
    params = {}
    grads = {}

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        self.negative = x < 0
        out = x.copy()
        out[self.negative] *= self.negative_slope
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.negative] *= self.negative_slope
        return dx


class Sigmoid:
    params = {}
    grads = {}

    def forward(self, x):
        self.x = x
        return 0.5 * (1.0 + np.tanh(0.5 * x))

    def backward(self, dout):
        t = np.tanh(0.5 * self.x)
        return dout * 0.25 * (1.0 - t * t)


class Tanh:
    params = {}
    grads = {}

    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, dout):
        return dout / np.cosh(self.x) ** 2


class GELU:
    params = {}
    grads = {}

    def forward(self, x):
        u = np.sqrt(2.0 / np.pi) * (x + 0.044715 * np.power(x, 3))
        self.x = x
        self.s = 1.0 / (1.0 + np.exp(-2.0 * u))
        return x * self.s

    def backward(self, dout):
        x, s = self.x, self.s
        du = np.sqrt(2.0 / np.pi) * (1.0 + 3 * 0.044715 * x * x)
        return dout * (s + x * 2.0 * s * (1.0 - s) * du)
