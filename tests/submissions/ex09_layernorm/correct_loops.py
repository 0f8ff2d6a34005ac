"""Correct LayerNorm written row by row with Python loops over the flattened leading axes."""

import math

import numpy as np


class LayerNorm:
    def __init__(self, normalized_shape, eps=1e-5):
        self.eps = eps
        self.params = {"gamma": np.ones(normalized_shape), "beta": np.zeros(normalized_shape)}
        self.grads = {"gamma": np.zeros(normalized_shape), "beta": np.zeros(normalized_shape)}

    def forward(self, x):
        d = x.shape[-1]
        rows = x.reshape(-1, d)
        out = np.zeros(rows.shape)
        self.saved = []
        for r, row in enumerate(rows):
            mu = sum(row) / d
            var = sum((v - mu) ** 2 for v in row) / d
            std = math.sqrt(var + self.eps)
            xhat = [(v - mu) / std for v in row]
            self.saved.append((xhat, std))
            for j in range(d):
                out[r, j] = self.params["gamma"][j] * xhat[j] + self.params["beta"][j]
        return out.reshape(x.shape)

    def backward(self, dout):
        d = dout.shape[-1]
        rows = dout.reshape(-1, d)
        dx = np.zeros(rows.shape)
        dgamma = np.zeros(d)
        dbeta = np.zeros(d)
        for r, (xhat, std) in enumerate(self.saved):
            dxhat = [rows[r, j] * self.params["gamma"][j] for j in range(d)]
            total = sum(dxhat)
            dot = sum(dxhat[j] * xhat[j] for j in range(d))
            for j in range(d):
                dx[r, j] = (d * dxhat[j] - total - xhat[j] * dot) / (d * std)
                dgamma[j] += rows[r, j] * xhat[j]
                dbeta[j] += rows[r, j]
        self.grads["gamma"] = dgamma
        self.grads["beta"] = dbeta
        return dx.reshape(dout.shape)
