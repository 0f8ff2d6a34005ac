"""forward leaves eps out of the square root entirely.

kind: other
"""

from __future__ import annotations

import numpy as np


class LayerNorm:
    """Normalise each example over its features (the last axis), then scale by ``gamma`` and shift by ``beta``.

    Attributes:
        params: ``gamma`` (ones) and ``beta`` (zeros), both of shape (D,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-5):
        self.eps = eps
        self.params = {"gamma": np.ones(normalized_shape), "beta": np.zeros(normalized_shape)}
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalise ``x`` of shape (..., D) over its last axis with the biased variance.

        Returns:
            Output of shape (..., D): ``gamma * (x - mean) / sqrt(var + eps) + beta``.
        """
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)

        inv_std = 1.0 / np.sqrt(var)
        xhat = (x - mean) * inv_std
        self._xhat, self._inv_std = xhat, inv_std

        return self.params["gamma"] * xhat + self.params["beta"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (..., D).

        Sets ``grads["gamma"]`` and ``grads["beta"]`` (D,), summed over every leading axis.

        Returns:
            dx of shape (..., D), including the paths through each row's mean and variance.
        """
        d = dout.shape[-1]
        xhat, inv_std = self._xhat, self._inv_std

        dout_rows = dout.reshape(-1, d)
        self.grads["gamma"] = np.sum(dout_rows * xhat.reshape(-1, d), axis=0)
        self.grads["beta"] = np.sum(dout_rows, axis=0)

        dxhat = dout * self.params["gamma"]
        row_sum = dxhat.sum(axis=-1, keepdims=True)
        row_dot = np.sum(dxhat * xhat, axis=-1, keepdims=True)
        return inv_std / d * (d * dxhat - row_sum - xhat * row_dot)
