"""MaxPool2d.backward turns the flat argmax into (column, row) instead of (row, column), so the
gradient lands on the mirror image of the maximum inside its window.

kind: partial
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _windows(x: np.ndarray, kernel_size: int, stride: int) -> np.ndarray:
    """Return a read-only view of every pooling window, shape (N, C, H_out, W_out, k, k)."""
    return sliding_window_view(x, (kernel_size, kernel_size), axis=(2, 3))[:, :, ::stride, ::stride]


def _scatter_windows(window_grads: np.ndarray, x_shape: tuple[int, ...], stride: int) -> np.ndarray:
    """Add each window entry's gradient into the input entry it was read from.

    ``window_grads`` has shape (N, C, H_out, W_out, k, k). Overlapping windows
    (stride < k) read some entries more than once, so their gradients add up.
    """
    h_out, w_out, kernel_size = window_grads.shape[2], window_grads.shape[3], window_grads.shape[4]
    dx = np.zeros(x_shape)
    for p in range(kernel_size):
        for q in range(kernel_size):
            rows = slice(p, p + stride * (h_out - 1) + 1, stride)
            columns = slice(q, q + stride * (w_out - 1) + 1, stride)
            dx[:, :, rows, columns] += window_grads[:, :, :, :, p, q]
    return dx


class MaxPool2d:
    """Maximum over each ``kernel_size x kernel_size`` window, moved by ``stride``; no padding.

    Attributes:
        params: empty, the layer has no parameters.
        grads: empty.
    """

    def __init__(self, kernel_size: int, stride: int | None = None):
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._x_shape: tuple[int, ...] | None = None
        self._argmax: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Take the maximum of each window.

        Args:
            x: input of shape (N, C, H, W).

        Returns:
            Output of shape (N, C, H_out, W_out), ``H_out = (H - k) // stride + 1``, likewise ``W_out``.
        """
        windows = _windows(x, self.kernel_size, self.stride)
        flat = windows.reshape(*windows.shape[:4], -1)

        # Position of the maximum inside each flattened window (the first one if several tie).
        self._argmax = flat.argmax(axis=-1)
        self._x_shape = x.shape
        return np.take_along_axis(flat, self._argmax[..., None], axis=-1)[..., 0]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, C, H_out, W_out).

        Each window's gradient goes to the entry that was its maximum.

        Returns:
            dx of shape (N, C, H, W).
        """
        k = self.kernel_size
        one_hot = np.arange(k * k) == self._argmax[..., None]
        window_grads = (one_hot * dout[..., None]).reshape(*dout.shape, k, k).swapaxes(-1, -2)
        return _scatter_windows(window_grads, self._x_shape, self.stride)


class AvgPool2d:
    """Mean over each ``kernel_size x kernel_size`` window, moved by ``stride``; no padding.

    Attributes:
        params: empty, the layer has no parameters.
        grads: empty.
    """

    def __init__(self, kernel_size: int, stride: int | None = None):
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._x_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Average each window.

        Args:
            x: input of shape (N, C, H, W).

        Returns:
            Output of shape (N, C, H_out, W_out), ``H_out = (H - k) // stride + 1``, likewise ``W_out``.
        """
        self._x_shape = x.shape
        return _windows(x, self.kernel_size, self.stride).mean(axis=(-2, -1))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, C, H_out, W_out).

        Each window spreads its gradient evenly, ``dout / k**2``, over its entries.

        Returns:
            dx of shape (N, C, H, W).
        """
        k = self.kernel_size
        share = dout / (k * k)
        window_grads = np.broadcast_to(share[..., None, None], (*dout.shape, k, k))
        return _scatter_windows(window_grads, self._x_shape, self.stride)
