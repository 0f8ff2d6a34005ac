"""Correct pooling with Python loops over every window; ties go to the last maximum found.

The comparison `>=` keeps the last of several tied maxima, where numpy's argmax
keeps the first: both rules are allowed.
"""

import numpy as np


class MaxPool2d:
    def __init__(self, kernel_size, stride=None):
        self.k = kernel_size
        self.s = stride or kernel_size
        self.params = {}
        self.grads = {}

    def forward(self, x):
        n_count, channels, height, width = x.shape
        h_out = (height - self.k) // self.s + 1
        w_out = (width - self.k) // self.s + 1
        out = np.empty((n_count, channels, h_out, w_out))
        self.winners = {}
        for n in range(n_count):
            for c in range(channels):
                for i in range(h_out):
                    for j in range(w_out):
                        best, where = -np.inf, None
                        for p in range(self.k):
                            for q in range(self.k):
                                value = x[n, c, i * self.s + p, j * self.s + q]
                                if value >= best:
                                    best, where = value, (i * self.s + p, j * self.s + q)
                        out[n, c, i, j] = best
                        self.winners[n, c, i, j] = where
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        dx = np.zeros(self.x_shape)
        for (n, c, i, j), (row, col) in self.winners.items():
            dx[n, c, row, col] += dout[n, c, i, j]
        return dx


class AvgPool2d:
    def __init__(self, kernel_size, stride=None):
        self.k = kernel_size
        self.s = stride or kernel_size
        self.params = {}
        self.grads = {}

    def forward(self, x):
        n_count, channels, height, width = x.shape
        h_out = (height - self.k) // self.s + 1
        w_out = (width - self.k) // self.s + 1
        out = np.empty((n_count, channels, h_out, w_out))
        for i in range(h_out):
            for j in range(w_out):
                window = x[:, :, i * self.s:i * self.s + self.k, j * self.s:j * self.s + self.k]
                out[:, :, i, j] = window.sum(axis=(2, 3)) / (self.k * self.k)
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        dx = np.zeros(self.x_shape)
        h_out, w_out = dout.shape[2], dout.shape[3]
        for i in range(h_out):
            for j in range(w_out):
                share = dout[:, :, i, j] / (self.k * self.k)
                dx[:, :, i * self.s:i * self.s + self.k, j * self.s:j * self.s + self.k] += share[:, :, None, None]
        return dx
