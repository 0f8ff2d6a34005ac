"""Reference solution of exercise 11: a 2-D convolution layer, vectorized with im2col."""

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
    """2-D cross-correlation of ``x`` with ``C_out`` filters, plus a bias per filter.

    ``out[n, o, i, j] = b[o] + sum_{c, p, q} W[o, c, p, q] * x_pad[n, c, i*sH + p, j*sW + q]``,
    where ``x_pad`` is ``x`` with ``padding`` zeros on each side of both spatial axes.

    Attributes:
        params: ``W`` of shape (C_out, C_in, kH, kW) and ``b`` of shape (C_out,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 rng: np.random.Generator | None = None):
        rng = np.random.default_rng() if rng is None else rng
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        kernel_h, kernel_w = self.kernel_size
        bound = 1.0 / np.sqrt(in_channels * kernel_h * kernel_w)
        self.params = {
            "W": rng.uniform(-bound, bound, size=(out_channels, in_channels, kernel_h, kernel_w)),
            "b": np.zeros(out_channels),
        }
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._x_shape: tuple[int, ...] | None = None
        self._cols: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Correlate ``x`` with every filter.

        Args:
            x: input of shape (N, C_in, H, W).

        Returns:
            Output of shape (N, C_out, H_out, W_out), where
            ``H_out = (H + 2 * padding_h - kH) // stride_h + 1`` and likewise ``W_out``.
        """
        weight = self.params["W"]
        c_out = weight.shape[0]
        (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w) = self.kernel_size, self.stride, self.padding
        n = x.shape[0]

        x_padded = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
        windows = sliding_window_view(x_padded, (kernel_h, kernel_w), axis=(2, 3))[:, :, ::stride_h, ::stride_w]
        h_out, w_out = windows.shape[2], windows.shape[3]

        # im2col: one row per output position, one column per (channel, kernel row, kernel column).
        cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h_out * w_out, -1)
        out_rows = cols @ weight.reshape(c_out, -1).T + self.params["b"]

        self._x_shape = x.shape
        self._cols = cols
        return out_rows.reshape(n, h_out, w_out, c_out).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, C_out, H_out, W_out).

        Sets ``grads["W"]`` (C_out, C_in, kH, kW) and ``grads["b"]`` (C_out,),
        summed over the batch and every output position.

        Returns:
            dx of shape (N, C_in, H, W).
        """
        weight = self.params["W"]
        c_out, c_in, kernel_h, kernel_w = weight.shape
        (stride_h, stride_w), (pad_h, pad_w) = self.stride, self.padding
        n, _, height, width = self._x_shape
        h_out, w_out = dout.shape[2], dout.shape[3]
        dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, c_out)

        self.grads["W"] = (dout_rows.T @ self._cols).reshape(weight.shape)
        self.grads["b"] = dout_rows.sum(axis=0)

        # col2im: send each column's gradient back to the input entry it was copied from.
        # Windows overlap when the stride is smaller than the kernel, so the loop adds.
        dcols = (dout_rows @ weight.reshape(c_out, -1)).reshape(n, h_out, w_out, c_in, kernel_h, kernel_w)
        dx_padded = np.zeros((n, c_in, height + 2 * pad_h, width + 2 * pad_w))
        for p in range(kernel_h):
            for q in range(kernel_w):
                rows = slice(p, p + stride_h * (h_out - 1) + 1, stride_h)
                columns = slice(q, q + stride_w * (w_out - 1) + 1, stride_w)
                dx_padded[:, :, rows, columns] += dcols[:, :, :, :, p, q].transpose(0, 3, 1, 2)

        return dx_padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width]
