"""AvgPool2d.backward copies dout to every entry of the window, forgetting the 1/k**2 of the mean.

kind: factor
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class MaxPool2d:
    def __init__(self, kernel_size, stride=None):
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.params = {}
        self.grads = {}

    def forward(self, x):
        k, s = self.kernel_size, self.stride
        windows = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]
        out = windows.max(axis=(4, 5))
        mask = (windows == out[..., None, None]).reshape(*out.shape, k * k)
        first = mask & (np.cumsum(mask, axis=-1) == 1)
        self.mask = first.reshape(*out.shape, k, k)
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        k, s = self.kernel_size, self.stride
        dx = np.zeros(self.x_shape)
        routed = self.mask * dout[..., None, None]
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dx[:, :, i * s:i * s + k, j * s:j * s + k] += routed[:, :, i, j]
        return dx


class AvgPool2d:
    def __init__(self, kernel_size, stride=None):
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.params = {}
        self.grads = {}

    def forward(self, x):
        k, s = self.kernel_size, self.stride
        self.x_shape = x.shape
        return sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s].mean(axis=(4, 5))

    def backward(self, dout):
        k, s = self.kernel_size, self.stride
        dx = np.zeros(self.x_shape)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dx[:, :, i * s:i * s + k, j * s:j * s + k] += dout[:, :, i, j][:, :, None, None]
        return dx
