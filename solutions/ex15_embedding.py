"""Reference solution of exercise 15: an embedding table looked up by integer indices."""

from __future__ import annotations

import numpy as np


class Embedding:
    """Lookup table that maps each integer index to a learned row of ``W``.

    Attributes:
        params: ``W`` of shape (num_embeddings, embedding_dim), one row per index.
        grads: gradient of the loss with respect to ``W``, set by ``backward``.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, rng: np.random.Generator | None = None):
        rng = np.random.default_rng() if rng is None else rng
        self.params = {"W": rng.normal(size=(num_embeddings, embedding_dim))}
        self.grads = {"W": np.zeros((num_embeddings, embedding_dim))}
        self._indices: np.ndarray | None = None

    def forward(self, indices: np.ndarray) -> np.ndarray:
        """Look up the rows of ``W`` for every index.

        Args:
            indices: integer array of any shape (...), each entry in [0, num_embeddings).

        Returns:
            Output of shape (..., embedding_dim): ``out[i] = W[indices[i]]``.
        """
        self._indices = np.asarray(indices)
        return self.params["W"][self._indices]

    def backward(self, dout: np.ndarray) -> None:
        """Backpropagate ``dout`` of shape (..., embedding_dim) into ``grads["W"]``.

        Row ``v`` of ``grads["W"]`` is the sum of ``dout`` over every position
        whose index is ``v``, and zero for indices that were not looked up.
        The indices are not differentiable, so nothing is returned.
        """
        dW = np.zeros_like(self.params["W"])
        np.add.at(dW, self._indices, dout)  # unbuffered: a repeated index adds every time
        self.grads["W"] = dW
