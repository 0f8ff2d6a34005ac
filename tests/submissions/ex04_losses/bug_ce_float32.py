"""The softmax is computed in float32 to save memory.

kind: float32
"""

from __future__ import annotations

import numpy as np


class SoftmaxCrossEntropy:
    """Mean cross-entropy of a softmax over class scores, with integer targets.

    Attributes:
        params: empty, the loss has no parameters.
        grads: empty, the loss has no parameters.
    """

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._probs: np.ndarray | None = None
        self._targets: np.ndarray | None = None

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        """Compute ``mean_n -log softmax(logits[n])[targets[n]]``.

        Args:
            logits: class scores of shape (N, C).
            targets: integer class indices of shape (N,), each in [0, C).

        Returns:
            The loss averaged over the N examples, a float.
        """
        rows = np.arange(logits.shape[0])

        logits = logits.astype(np.float32)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

        self._probs = np.exp(log_probs)
        self._targets = targets
        return float(-log_probs[rows, targets].mean())

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """Backpropagate ``dout``, the gradient of the final scalar with respect to the loss.

        Returns:
            dlogits of shape (N, C): ``dout * (softmax(logits) - onehot(targets)) / N``.
        """
        n = self._probs.shape[0]
        dlogits = self._probs.copy()
        dlogits[np.arange(n), self._targets] -= 1.0
        return dlogits * (dout / n)


class MSELoss:
    """Mean squared error over every element: ``mean((pred - target) ** 2)``.

    Attributes:
        params: empty, the loss has no parameters.
        grads: empty, the loss has no parameters.
    """

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._diff: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """Compute ``mean((pred - target) ** 2)`` over all elements.

        Args:
            pred: predictions of any shape, e.g. (N, D).
            target: values of the same shape as ``pred``.

        Returns:
            The mean of the squared differences, a float.
        """
        self._diff = pred - target
        return float(np.mean(self._diff ** 2))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """Backpropagate ``dout``, the gradient of the final scalar with respect to the loss.

        Returns:
            dpred of the shape of ``pred``: ``dout * 2 * (pred - target) / pred.size``.
        """
        return dout * 2.0 * self._diff / self._diff.size
