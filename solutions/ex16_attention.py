"""Reference solution of exercise 16: scaled dot-product and multi-head self-attention."""

from __future__ import annotations

import numpy as np


class ScaledDotProductAttention:
    """``softmax(q @ k^T / sqrt(d)) @ v`` over a batch, with an optional mask of allowed keys.

    Attributes:
        params: empty, the layer has no learnable parameters.
        grads: empty.
    """

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._cache: tuple | None = None

    def forward(self, q: np.ndarray, k: np.ndarray, v: np.ndarray,
                mask: np.ndarray | None = None) -> np.ndarray:
        """Attend from every query to the allowed keys and average their values.

        Args:
            q: queries of shape (N, Tq, d).
            k: keys of shape (N, Tk, d).
            v: values of shape (N, Tk, dv).
            mask: booleans broadcastable to (N, Tq, Tk), True where query i may attend
                to key j; None allows every key. Each query needs at least one allowed key.

        Returns:
            Output of shape (N, Tq, dv).
        """
        scale = 1.0 / np.sqrt(q.shape[-1])
        scores = q @ k.transpose(0, 2, 1) * scale
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)  # exp(-inf) = 0: masked keys get no weight

        scores = scores - scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)

        self._cache = (q, k, v, weights, scale)
        return weights @ v

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Backpropagate ``dout`` of shape (N, Tq, dv).

        Returns:
            (dq, dk, dv) with the shapes of q (N, Tq, d), k (N, Tk, d) and v (N, Tk, dv).
        """
        q, k, v, weights, scale = self._cache

        dv = weights.transpose(0, 2, 1) @ dout
        dweights = dout @ v.transpose(0, 2, 1)

        # Softmax's Jacobian-vector product per row, with the sum over the keys: no Tk x Tk Jacobian.
        dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))
        dscores *= scale

        dq = dscores @ k
        dk = dscores.transpose(0, 2, 1) @ q
        return dq, dk, dv


class MultiHeadAttention:
    """Multi-head self-attention over sequences of ``embed_dim`` features.

    Attributes:
        params: ``Wq``, ``Wk``, ``Wv``, ``Wo`` of shape (E, E) and ``bq``, ``bk``, ``bv``, ``bo``
            of shape (E,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, embed_dim: int, num_heads: int, rng: np.random.Generator | None = None):
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / np.sqrt(embed_dim)
        self.num_heads = num_heads
        self.params = {}
        for name in ("q", "k", "v", "o"):
            self.params[f"W{name}"] = rng.uniform(-bound, bound, size=(embed_dim, embed_dim))
            self.params[f"b{name}"] = np.zeros(embed_dim)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.attention = ScaledDotProductAttention()
        self._cache: tuple | None = None

    def forward(self, x: np.ndarray, causal: bool = False) -> np.ndarray:
        """Project ``x`` to queries, keys and values, attend in every head, merge and project.

        Args:
            x: input of shape (N, T, E).
            causal: if True, position t attends only to positions <= t.

        Returns:
            Output of shape (N, T, E).
        """
        p = self.params
        q = x @ p["Wq"] + p["bq"]
        k = x @ p["Wk"] + p["bk"]
        v = x @ p["Wv"] + p["bv"]

        T = x.shape[1]
        mask = np.tril(np.ones((T, T), dtype=bool)) if causal else None
        heads = self.attention.forward(self._split(q), self._split(k), self._split(v), mask)

        concat = self._merge(heads, x.shape[0])
        self._cache = (x, concat)
        return concat @ p["Wo"] + p["bo"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, T, E).

        Sets every entry of ``grads``, summed over the batch and the positions.

        Returns:
            dx of shape (N, T, E).
        """
        x, concat = self._cache
        p = self.params
        N, _, E = x.shape
        x_rows = x.reshape(-1, E)

        self.grads["Wo"] = concat.reshape(-1, E).T @ dout.reshape(-1, E)
        self.grads["bo"] = dout.sum(axis=(0, 1))
        dconcat = dout @ p["Wo"].T

        dq_heads, dk_heads, dv_heads = self.attention.backward(self._split(dconcat))

        dx = np.zeros_like(x)
        for name, d_heads in (("q", dq_heads), ("k", dk_heads), ("v", dv_heads)):
            d = self._merge(d_heads, N)
            self.grads[f"W{name}"] = x_rows.T @ d.reshape(-1, E)
            self.grads[f"b{name}"] = d.sum(axis=(0, 1))
            dx += d @ p[f"W{name}"].T
        return dx

    def _split(self, a: np.ndarray) -> np.ndarray:
        """(N, T, E) -> (N * H, T, E // H): head h takes the h-th contiguous block of features."""
        N, T, E = a.shape
        H = self.num_heads
        return a.reshape(N, T, H, E // H).transpose(0, 2, 1, 3).reshape(N * H, T, E // H)

    def _merge(self, a: np.ndarray, N: int) -> np.ndarray:
        """(N * H, T, E // H) -> (N, T, E): the inverse of ``_split``, heads concatenated in order."""
        _, T, head_dim = a.shape
        H = self.num_heads
        return a.reshape(N, H, T, head_dim).transpose(0, 2, 1, 3).reshape(N, T, H * head_dim)
