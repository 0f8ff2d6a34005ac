"""Correct chain-rule exercise written with explicit loops over entries and math.exp.

MaxGate sends ties to b, the opposite of the reference; neuron returns out as
numpy.float64 and its gradients as Python lists.
"""

import math

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


class MultiplyGate:
    def forward(self, a, b):
        self.a = np.array(a, dtype=float)
        self.b = np.array(b, dtype=float)
        out = np.empty_like(self.a)
        for index in np.ndindex(out.shape):
            out[index] = self.a[index] * self.b[index]
        return out

    def backward(self, dout):
        da = np.empty_like(self.a)
        db = np.empty_like(self.b)
        for index in np.ndindex(da.shape):
            da[index] = dout[index] * self.b[index]
            db[index] = dout[index] * self.a[index]
        return da, db


class AddGate:
    def forward(self, a, b):
        out = np.empty(np.shape(a))
        for index in np.ndindex(out.shape):
            out[index] = a[index] + b[index]
        return out

    def backward(self, dout):
        da = np.empty(np.shape(dout))
        db = np.empty(np.shape(dout))
        for index in np.ndindex(da.shape):
            da[index] = dout[index]
            db[index] = dout[index]
        return da, db


class MaxGate:
    def forward(self, a, b):
        self.winner = {}
        out = np.empty(np.shape(a))
        for index in np.ndindex(out.shape):
            if a[index] > b[index]:
                self.winner[index] = "a"
                out[index] = a[index]
            else:
                self.winner[index] = "b"
                out[index] = b[index]
        return out

    def backward(self, dout):
        da = np.zeros(np.shape(dout))
        db = np.zeros(np.shape(dout))
        for index, name in self.winner.items():
            if name == "a":
                da[index] = dout[index]
            else:
                db[index] = dout[index]
        return da, db


def neuron(w, x):
    n = len(x)
    z = w[n]
    for i in range(n):
        z += w[i] * x[i]
    out = np.float64(_sigmoid(z))
    dz = out * (1 - out)
    dw = [dz * x[i] for i in range(n)] + [dz]
    dx = [dz * w[i] for i in range(n)]
    return out, dw, dx


def staged(x, y):
    f = np.empty(np.shape(x))
    dfdx = np.empty(np.shape(x))
    dfdy = np.empty(np.shape(x))
    for index in np.ndindex(f.shape):
        xi, yi = float(x[index]), float(y[index])
        sx, sy = _sigmoid(xi), _sigmoid(yi)
        top = xi + sy
        bottom = sx + (xi + yi) ** 2
        f[index] = top / bottom
        # quotient rule: (top' * bottom - top * bottom') / bottom**2
        dbottom_dx = sx * (1 - sx) + 2 * (xi + yi)
        dbottom_dy = 2 * (xi + yi)
        dfdx[index] = (1.0 * bottom - top * dbottom_dx) / bottom ** 2
        dfdy[index] = (sy * (1 - sy) * bottom - top * dbottom_dy) / bottom ** 2
    return f, dfdx, dfdy
