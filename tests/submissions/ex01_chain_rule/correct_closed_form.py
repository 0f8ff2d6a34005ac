"""Correct chain-rule exercise with closed-form derivatives and numpy ufuncs.

MaxGate keeps a mask for b and sends ties to b. AddGate returns dout itself
for both inputs. staged uses the quotient rule on whole arrays and a stable
sigmoid built from logaddexp.
"""

import numpy as np


def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


class MultiplyGate:
    def forward(self, a, b):
        self.cache = (a.copy(), b.copy())
        return np.multiply(a, b)

    def backward(self, dout):
        a, b = self.cache
        return np.multiply(dout, b), np.multiply(dout, a)


class AddGate:
    def forward(self, a, b):
        return np.add(a, b)

    def backward(self, dout):
        return dout, dout


class MaxGate:
    def forward(self, a, b):
        self.b_wins = b >= a
        return np.where(self.b_wins, b, a)

    def backward(self, dout):
        return dout * ~self.b_wins, dout * self.b_wins


def neuron(w, x):
    inputs = np.concatenate([x, [1.0]])
    out = 1.0 / (1.0 + np.exp(-np.dot(w, inputs)))
    local = out * (1.0 - out)
    return out, local * inputs, local * w[:-1]


def staged(x, y):
    sx, sy = sigmoid(x), sigmoid(y)
    top = x + sy
    bottom = sx + np.square(x + y)
    f = top / bottom
    dfdx = 1.0 / bottom - top * (sx * (1.0 - sx) + 2.0 * (x + y)) / np.square(bottom)
    dfdy = sy * (1.0 - sy) / bottom - top * 2.0 * (x + y) / np.square(bottom)
    return f, dfdx, dfdy
