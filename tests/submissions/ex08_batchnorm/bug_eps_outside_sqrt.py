"""eps is added to the standard deviation, 1 / (sqrt(var) + eps), instead of inside the square root.

kind: other
"""

from __future__ import annotations

import numpy as np


class BatchNorm1d:
    """Normalise each feature over the batch, then scale by ``gamma`` and shift by ``beta``.

    Attributes:
        params: ``gamma`` (ones) and ``beta`` (zeros), both of shape (D,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
        running_mean: moving average of the batch means, shape (D,), starts at zeros.
        running_var: moving average of the unbiased batch variances, shape (D,), starts at ones.
        training: True to normalise with the batch statistics (and update the
            running ones), False to normalise with the running statistics.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        self.eps = eps
        self.momentum = momentum
        self.params = {"gamma": np.ones(num_features), "beta": np.zeros(num_features)}
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.training = True
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalise ``x`` of shape (N, D) feature by feature.

        In training mode the statistics are the batch mean and the biased batch
        variance (N >= 2), and the running statistics move towards the batch's
        mean and unbiased variance by ``momentum``. In evaluation mode the
        running statistics are used and left unchanged.

        Returns:
            Output of shape (N, D): ``gamma * (x - mean) / sqrt(var + eps) + beta``.
        """
        if self.training:
            n = x.shape[0]
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var

        inv_std = 1.0 / (np.sqrt(var) + self.eps)
        xhat = (x - mean) * inv_std
        self._xhat, self._inv_std = xhat, inv_std

        return self.params["gamma"] * xhat + self.params["beta"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, D) through the training-mode forward.

        Sets ``grads["gamma"]`` and ``grads["beta"]`` (D,), summed over the batch.

        Returns:
            dx of shape (N, D), including the paths through the batch mean and variance.
        """
        n = dout.shape[0]
        xhat, inv_std = self._xhat, self._inv_std

        self.grads["gamma"] = np.sum(dout * xhat, axis=0)
        self.grads["beta"] = np.sum(dout, axis=0)

        dxhat = dout * self.params["gamma"]
        return inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0))
