"""Correct BatchNorm1d written one feature at a time with Python loops and the staged derivatives."""

import math

import numpy as np


class BatchNorm1d:
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.d = num_features
        self.eps = eps
        self.momentum = momentum
        self.params = {"gamma": np.ones(num_features), "beta": np.zeros(num_features)}
        self.grads = {"gamma": np.zeros(num_features), "beta": np.zeros(num_features)}
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.training = True

    def forward(self, x):
        n = x.shape[0]
        out = np.empty_like(x, dtype=float)
        self.saved = []
        new_mean, new_var = self.running_mean.copy(), self.running_var.copy()
        for j in range(self.d):
            column = [float(v) for v in x[:, j]]
            if self.training:
                mu = sum(column) / n
                var = sum((v - mu) ** 2 for v in column) / n
                new_mean[j] = (1 - self.momentum) * self.running_mean[j] + self.momentum * mu
                unbiased = sum((v - mu) ** 2 for v in column) / (n - 1)
                new_var[j] = (1 - self.momentum) * self.running_var[j] + self.momentum * unbiased
            else:
                mu, var = self.running_mean[j], self.running_var[j]
            std = math.sqrt(var + self.eps)
            self.saved.append((column, mu, var, std))
            for i in range(n):
                out[i, j] = self.params["gamma"][j] * (column[i] - mu) / std + self.params["beta"][j]
        self.running_mean, self.running_var = new_mean, new_var
        return out

    def backward(self, dout):
        n = dout.shape[0]
        dx = np.zeros_like(dout, dtype=float)
        dgamma = np.zeros(self.d)
        dbeta = np.zeros(self.d)
        for j, (column, mu, var, std) in enumerate(self.saved):
            gamma = self.params["gamma"][j]
            dxhat = [dout[i, j] * gamma for i in range(n)]
            dvar = sum(dxhat[i] * (column[i] - mu) for i in range(n)) * -0.5 * (var + self.eps) ** -1.5
            dmu = -sum(dxhat) / std
            for i in range(n):
                dx[i, j] = dxhat[i] / std + dvar * 2 * (column[i] - mu) / n + dmu / n
                dgamma[j] += dout[i, j] * (column[i] - mu) / std
                dbeta[j] += dout[i, j]
        self.grads["gamma"] = dgamma
        self.grads["beta"] = dbeta
        return dx
