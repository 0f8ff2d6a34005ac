"""dx is computed as the full cross-correlation of dout with the kernel, without flipping it.

kind: flipped
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided


def as_pair(value):
    if isinstance(value, int):
        return value, value
    return tuple(value)


def windows_of(x, kernel_h, kernel_w, stride_h=1, stride_w=1):
    """View of every (kernel_h, kernel_w) window of x (N, C, H, W): (N, C, H_out, W_out, kernel_h, kernel_w)."""
    n, c, height, width = x.shape
    h_out = (height - kernel_h) // stride_h + 1
    w_out = (width - kernel_w) // stride_w + 1
    sn, sc, sh, sw = x.strides
    return as_strided(x, shape=(n, c, h_out, w_out, kernel_h, kernel_w),
                      strides=(sn, sc, sh * stride_h, sw * stride_w, sh, sw), writeable=False)


class Conv2d:
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.kernel = as_pair(kernel_size)
        self.stride = as_pair(stride)
        self.padding = as_pair(padding)
        scale = 1.0 / np.sqrt(in_channels * self.kernel[0] * self.kernel[1])
        self.params = {
            "W": scale * rng.standard_normal((out_channels, in_channels, *self.kernel)),
            "b": np.zeros(out_channels),
        }
        self.grads = {"W": np.zeros_like(self.params["W"]), "b": np.zeros(out_channels)}

    def forward(self, x):
        ph, pw = self.padding
        x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        windows = windows_of(x_pad, *self.kernel, *self.stride)
        self.x_pad = x_pad
        self.x_shape = x.shape
        out = np.einsum("nchwpq,ocpq->nohw", windows, self.params["W"])
        return out + self.params["b"][None, :, None, None]

    def backward(self, dout):
        W = self.params["W"]
        kh, kw = self.kernel
        sh, sw = self.stride
        ph, pw = self.padding
        n, c_out, h_out, w_out = dout.shape

        # dout with (stride - 1) zeros between its entries: the gradient seen at stride 1.
        dilated = np.zeros((n, c_out, (h_out - 1) * sh + 1, (w_out - 1) * sw + 1))
        dilated[:, :, ::sh, ::sw] = dout

        self.grads["b"] = dout.sum(axis=(0, 2, 3))
        weight_windows = windows_of(self.x_pad, dilated.shape[2], dilated.shape[3])[:, :, :kh, :kw]
        self.grads["W"] = np.einsum("ncpqhw,nohw->ocpq", weight_windows, dilated)

        # Full cross-correlation with the flipped kernel covers the rows and columns that some window reads.
        rim = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
        flipped = W
        covered = np.einsum("nohwpq,ocpq->nchw", windows_of(rim, kh, kw), flipped)
        dx_pad = np.zeros(self.x_pad.shape)
        dx_pad[:, :, :covered.shape[2], :covered.shape[3]] = covered
        height, width = self.x_shape[2], self.x_shape[3]
        return dx_pad[:, :, ph:ph + height, pw:pw + width]
