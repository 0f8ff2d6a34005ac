"""Reference solution of exercise 17: SGD with momentum and Adam, with PyTorch's update rules."""

from __future__ import annotations

import numpy as np


class SGD:
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    Attributes:
        params: the parameter arrays, updated in place by ``step``.
        lr: learning rate.
        momentum: momentum factor; 0 disables the momentum buffer.
        weight_decay: L2 penalty coefficient, added to the gradient as ``weight_decay * p``.
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self._buffers: dict[str, np.ndarray] = {}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads`` (same keys and shapes).

        ``g = grad + weight_decay * p``; with momentum ``b = momentum * b + g`` (``b = g`` on
        the first step) replaces ``g``; then ``p -= lr * g``.
        """
        for name, p in self.params.items():
            g = grads[name] + self.weight_decay * p
            if self.momentum:
                if name in self._buffers:
                    g = self.momentum * self._buffers[name] + g
                self._buffers[name] = g
            p -= self.lr * g


class Adam:
    """Adam with bias-corrected moment estimates and L2 weight decay (not AdamW).

    Attributes:
        params: the parameter arrays, updated in place by ``step``.
        lr: learning rate.
        betas: decay rates (beta1, beta2) of the first and second moment estimates.
        eps: added to the denominator's square root, for numerical stability.
        weight_decay: L2 penalty coefficient, added to the gradient as ``weight_decay * p``.
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        self.params = params
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self._t = 0
        self._m = {name: np.zeros_like(p) for name, p in params.items()}
        self._v = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads`` (same keys and shapes).

        With ``g = grad + weight_decay * p`` and step count ``t`` (1 on the first call):
        ``m = beta1 * m + (1 - beta1) * g``, ``v = beta2 * v + (1 - beta2) * g**2``,
        ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - beta1**t)`` and
        ``v_hat = v / (1 - beta2**t)``.
        """
        beta1, beta2 = self.betas
        self._t += 1
        for name, p in self.params.items():
            g = grads[name] + self.weight_decay * p

            self._m[name] = beta1 * self._m[name] + (1 - beta1) * g
            self._v[name] = beta2 * self._v[name] + (1 - beta2) * g**2

            m_hat = self._m[name] / (1 - beta1**self._t)
            v_hat = self._v[name] / (1 - beta2**self._t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
