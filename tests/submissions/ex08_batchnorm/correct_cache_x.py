"""Correct BatchNorm1d that caches x, not xhat, and recomputes the statistics in backward.

The running statistics live in a dict behind read-only properties, the
unbiased variance is written as the biased one times N / (N - 1), and dx
uses the centred-input form of the formula.
"""

import numpy as np


class BatchNorm1d:
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.eps, self.momentum = eps, momentum
        self.params = dict(gamma=np.ones(num_features), beta=np.zeros(num_features))
        self.grads = {}
        self.buffers = dict(running_mean=np.zeros(num_features), running_var=np.ones(num_features))
        self.training = True

    @property
    def running_mean(self):
        return self.buffers["running_mean"]

    @property
    def running_var(self):
        return self.buffers["running_var"]

    def forward(self, x):
        if self.training:
            n = len(x)
            mean, var = x.mean(0), ((x - x.mean(0)) ** 2).mean(0)
            self.x = x.copy()
            m = self.momentum
            self.buffers["running_mean"] = self.running_mean + m * (mean - self.running_mean)
            self.buffers["running_var"] = self.running_var + m * (var * n / (n - 1) - self.running_var)
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / (var + self.eps) ** 0.5 * self.params["gamma"] + self.params["beta"]

    def backward(self, dout):
        x = self.x
        n = x.shape[0]
        xc = x - x.mean(0)
        var = (xc ** 2).mean(0)
        inv = (var + self.eps) ** -0.5
        gamma = self.params["gamma"]
        self.grads = {"gamma": (dout * xc * inv).sum(0), "beta": dout.sum(0)}
        return gamma * inv / n * (n * dout - dout.sum(0) - xc * inv ** 2 * (dout * xc).sum(0))
