"""Correct BatchNorm1d that walks back through the staged graph of the forward pass.

It caches every intermediate value, updates the running statistics in place
with np.var(ddof=1), and applies the chain rule one node at a time.
"""

import numpy as np


class BatchNorm1d:
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.params = {"gamma": np.ones(num_features), "beta": np.zeros(num_features)}
        self.grads = {"gamma": np.zeros(num_features), "beta": np.zeros(num_features)}
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.training = True

    def forward(self, x):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not self.training:
            return gamma * (x - self.running_mean) / np.sqrt(self.running_var + self.eps) + beta

        n = x.shape[0]
        mu = np.sum(x, axis=0) / n
        xmu = x - mu
        sq = xmu ** 2
        var = np.sum(sq, axis=0) / n
        sqrtvar = np.sqrt(var + self.eps)
        ivar = 1.0 / sqrtvar
        xhat = xmu * ivar
        self.cache = (xhat, xmu, ivar, sqrtvar, var, n)

        self.running_mean *= 1 - self.momentum
        self.running_mean += self.momentum * mu
        self.running_var *= 1 - self.momentum
        self.running_var += self.momentum * np.var(x, axis=0, ddof=1)

        return gamma * xhat + beta

    def backward(self, dout):
        xhat, xmu, ivar, sqrtvar, var, n = self.cache
        self.grads["beta"] = np.sum(dout, axis=0)
        self.grads["gamma"] = np.sum(dout * xhat, axis=0)

        dxhat = dout * self.params["gamma"]
        divar = np.sum(dxhat * xmu, axis=0)
        dxmu1 = dxhat * ivar
        dsqrtvar = -divar / sqrtvar ** 2
        dvar = 0.5 * dsqrtvar / np.sqrt(var + self.eps)
        dsq = np.ones_like(dout) * dvar / n
        dxmu2 = 2 * xmu * dsq
        dx1 = dxmu1 + dxmu2
        dmu = -np.sum(dx1, axis=0)
        dx2 = np.ones_like(dout) * dmu / n
        return dx1 + dx2
