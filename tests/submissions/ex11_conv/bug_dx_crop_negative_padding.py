"""dx is cropped with dx_pad[:, :, pH:-pH, pW:-pW], which is empty along an axis
whose padding is 0 (0:-0 is 0:0).

kind: other
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """Return ``(value, value)`` for an int, or the two entries of a pair."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    first, second = value
    return int(first), int(second)



class Conv2d:
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        self.kernel_size = _pair(kernel_size); self.stride = _pair(stride); self.padding = _pair(padding)
        kH, kW = self.kernel_size
        bnd = 1 / np.sqrt(in_channels * kH * kW)
        self.params = {"W": rng.uniform(-bnd, bnd, (out_channels, in_channels, kH, kW)), "b": np.zeros(out_channels)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x):
        N, C, H, W_ = x.shape
        kH, kW = self.kernel_size; sH, sW = self.stride; pH, pW = self.padding
        xp = np.pad(x, ((0, 0), (0, 0), (pH, pH), (pW, pW)))
        Ho = (H + 2 * pH - kH) // sH + 1; Wo = (W_ + 2 * pW - kW) // sW + 1
        win = sliding_window_view(xp, (kH, kW), axis=(2, 3))[:, :, ::sH, ::sW][:, :, :Ho, :Wo]
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(N * Ho * Wo, -1)
        Wm = self.params["W"].reshape(self.params["W"].shape[0], -1)
        out = cols @ Wm.T + self.params["b"]
        self.cache = (x.shape, xp.shape, cols, Ho, Wo)
        return out.reshape(N, Ho, Wo, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        (N, C, H, W_), xps, cols, Ho, Wo = self.cache
        kH, kW = self.kernel_size; sH, sW = self.stride; pH, pW = self.padding
        Co = self.params["W"].shape[0]
        drows = dout.transpose(0, 2, 3, 1).reshape(-1, Co)
        self.grads["W"] = (drows.T @ cols).reshape(self.params["W"].shape)
        self.grads["b"] = drows.sum(axis=0)
        dcols = drows @ self.params["W"].reshape(Co, -1)
        dcols = dcols.reshape(N, Ho, Wo, C, kH, kW)
        dxp = np.zeros(xps)
        for p in range(kH):
            for q in range(kW):
                dxp[:, :, p:p + sH * (Ho - 1) + 1:sH, q:q + sW * (Wo - 1) + 1:sW] += dcols[:, :, :, :, p, q].transpose(0, 3, 1, 2)
        return dxp[:, :, pH:-pH, pW:-pW]
