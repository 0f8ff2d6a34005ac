"""Correct MLP built from Linear and ReLU objects; params aliases the layers' arrays, sgd_step uses out=."""

import numpy as np


class Linear:
    def __init__(self, fan_in, fan_out, rng):
        self.W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        self.b = np.zeros(fan_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.0)


class MLP:
    def __init__(self, sizes, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        self.linears = [Linear(a, b, rng) for a, b in zip(sizes[:-1], sizes[1:])]
        self.layers = []
        for k, linear in enumerate(self.linears):
            if k:
                self.layers.append(ReLU())
            self.layers.append(linear)
        self.params = {}
        for k, linear in enumerate(self.linears, start=1):
            self.params[f"W{k}"] = linear.W
            self.params[f"b{k}"] = linear.b
        self.grads = {}

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dscores):
        d = dscores
        for layer in reversed(self.layers):
            d = layer.backward(d)
        for k, linear in enumerate(self.linears, start=1):
            self.grads[f"W{k}"] = linear.dW
            self.grads[f"b{k}"] = linear.db
        return d


def sgd_step(params, grads, lr):
    for key in params:
        np.subtract(params[key], lr * grads[key], out=params[key])
