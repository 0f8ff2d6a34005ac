"""Correct Conv2d with explicit Python loops over examples, filters and output positions.

This is the naive version that benchmarks/conv_naive_vs_vectorized.py times
against the vectorized reference.
"""

import numpy as np


def as_pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


class Conv2d:
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.kh, self.kw = as_pair(kernel_size)
        self.sh, self.sw = as_pair(stride)
        self.ph, self.pw = as_pair(padding)
        fan_in = in_channels * self.kh * self.kw
        self.params = {
            "W": rng.normal(0.0, np.sqrt(2.0 / fan_in), (out_channels, in_channels, self.kh, self.kw)),
            "b": np.zeros(out_channels),
        }
        self.grads = {}

    def forward(self, x):
        W, b = self.params["W"], self.params["b"]
        n_count, _, height, width = x.shape
        c_out = W.shape[0]
        h_out = (height + 2 * self.ph - self.kh) // self.sh + 1
        w_out = (width + 2 * self.pw - self.kw) // self.sw + 1
        x_pad = np.pad(x, ((0, 0), (0, 0), (self.ph, self.ph), (self.pw, self.pw)))
        out = np.zeros((n_count, c_out, h_out, w_out))
        for n in range(n_count):
            for o in range(c_out):
                for i in range(h_out):
                    for j in range(w_out):
                        top, left = i * self.sh, j * self.sw
                        window = x_pad[n, :, top:top + self.kh, left:left + self.kw]
                        out[n, o, i, j] = np.sum(window * W[o]) + b[o]
        self.x_pad = x_pad
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        W = self.params["W"]
        n_count, c_out, h_out, w_out = dout.shape
        dx_pad = np.zeros_like(self.x_pad)
        dW = np.zeros_like(W)
        db = np.zeros(c_out)
        for n in range(n_count):
            for o in range(c_out):
                for i in range(h_out):
                    for j in range(w_out):
                        top, left = i * self.sh, j * self.sw
                        g = dout[n, o, i, j]
                        dW[o] += g * self.x_pad[n, :, top:top + self.kh, left:left + self.kw]
                        dx_pad[n, :, top:top + self.kh, left:left + self.kw] += g * W[o]
                        db[o] += g
        self.grads["W"] = dW
        self.grads["b"] = db
        height, width = self.x_shape[2], self.x_shape[3]
        return dx_pad[:, :, self.ph:self.ph + height, self.pw:self.pw + width]
