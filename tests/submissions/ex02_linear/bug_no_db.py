"""backward never sets the bias gradient (it stays at zeros from __init__).

kind: zero
"""

from __future__ import annotations

import numpy as np


class Linear:
    """Affine map ``out = x @ W + b`` applied to the last axis of ``x``.

    Attributes:
        params: ``W`` of shape (in_features, out_features) and ``b`` of shape (out_features,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator | None = None):
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / np.sqrt(in_features)
        self.params = {
            "W": rng.uniform(-bound, bound, size=(in_features, out_features)),
            "b": np.zeros(out_features),
        }
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``x @ W + b``.

        Args:
            x: input of shape (..., in_features).

        Returns:
            Output of shape (..., out_features).
        """
        self._x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (..., out_features).

        Sets ``grads["W"]`` (in_features, out_features) and ``grads["b"]``
        (out_features,), summed over every leading axis.

        Returns:
            dx of shape (..., in_features).
        """
        x_rows = self._x.reshape(-1, self._x.shape[-1])
        dout_rows = dout.reshape(-1, dout.shape[-1])

        self.grads["W"] = x_rows.T @ dout_rows

        return dout @ self.params["W"].T
