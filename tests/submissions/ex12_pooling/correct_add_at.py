"""Correct pooling with as_strided windows and np.add.at scatters; ties go to the last maximum
in row-major order (argmax over the reversed window).
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided


def windows_of(x, k, s):
    n, c, height, width = x.shape
    h_out, w_out = (height - k) // s + 1, (width - k) // s + 1
    sn, sc, sh, sw = x.strides
    return as_strided(x, (n, c, h_out, w_out, k, k), (sn, sc, sh * s, sw * s, sh, sw), writeable=False)


def window_indices(shape, h_out, w_out, k, s, offsets):
    """Index arrays into x for one chosen offset per window; offsets has shape (N, C, H_out, W_out)."""
    n, c = shape[0], shape[1]
    rows = s * np.arange(h_out)[:, None] + offsets // k
    cols = s * np.arange(w_out)[None, :] + offsets % k
    ns = np.arange(n)[:, None, None, None]
    cs = np.arange(c)[None, :, None, None]
    return np.broadcast_arrays(ns, cs, rows, cols)


class MaxPool2d:
    def __init__(self, kernel_size, stride=None):
        self.k = kernel_size
        self.s = kernel_size if stride is None else stride
        self.params, self.grads = {}, {}

    def forward(self, x):
        w = windows_of(x, self.k, self.s)
        flat = w.reshape(*w.shape[:4], -1)
        last = flat.shape[-1] - 1 - flat[..., ::-1].argmax(axis=-1)
        self.cache = (x.shape, last)
        return flat.max(axis=-1)

    def backward(self, dout):
        shape, last = self.cache
        dx = np.zeros(shape)
        index = window_indices(shape, dout.shape[2], dout.shape[3], self.k, self.s, last)
        np.add.at(dx, tuple(index), dout)
        return dx


class AvgPool2d:
    def __init__(self, kernel_size, stride=None):
        self.k = kernel_size
        self.s = kernel_size if stride is None else stride
        self.params, self.grads = {}, {}

    def forward(self, x):
        self.shape = x.shape
        return windows_of(x, self.k, self.s).mean(axis=(4, 5))

    def backward(self, dout):
        dx = np.zeros(self.shape)
        share = dout / self.k**2
        for offset in range(self.k * self.k):
            offsets = np.full(dout.shape, offset)
            index = window_indices(self.shape, dout.shape[2], dout.shape[3], self.k, self.s, offsets)
            np.add.at(dx, tuple(index), share)
        return dx
