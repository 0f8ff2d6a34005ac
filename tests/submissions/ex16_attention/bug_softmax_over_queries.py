"""The softmax subtracts the row maximum but normalises over the queries (axis -2)
instead of over the keys.

kind: other
"""

from __future__ import annotations

import numpy as np



class ScaledDotProductAttention:
    def __init__(self):
        self.params = {}; self.grads = {}

    def forward(self, q, k, v, mask=None):
        d = q.shape[-1]
        self.scale = 1.0 / np.sqrt(d)
        s = (q @ np.swapaxes(k, -1, -2)) * self.scale
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        s = s - s.max(axis=-1, keepdims=True)
        e = np.exp(s)
        p = e / e.sum(axis=-2, keepdims=True)
        self.q, self.k, self.v, self.p = q, k, v, p
        return p @ v

    def backward(self, dout):
        p, q, k, v = self.p, self.q, self.k, self.v
        dv = np.swapaxes(p, -1, -2) @ dout
        dp = dout @ np.swapaxes(v, -1, -2)
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
        dq = self.scale * ds @ k
        dk = self.scale * np.swapaxes(ds, -1, -2) @ q
        return dq, dk, dv


class MultiHeadAttention:
    def __init__(self, embed_dim, num_heads, rng=None):
        if embed_dim % num_heads:
            raise ValueError("num_heads must divide embed_dim")
        rng = rng if rng is not None else np.random.default_rng()
        E = embed_dim; self.E = E; self.H = num_heads; self.Dh = E // num_heads
        bnd = 1 / np.sqrt(E)
        self.params = {}
        for n in "qkvo":
            self.params["W" + n] = rng.uniform(-bnd, bnd, (E, E))
            self.params["b" + n] = np.zeros(E)
        self.grads = {key: np.zeros_like(val) for key, val in self.params.items()}
        self.attn = ScaledDotProductAttention()

    def _split(self, a):
        N, T, E = a.shape
        return a.reshape(N, T, self.H, self.Dh).transpose(0, 2, 1, 3).reshape(N * self.H, T, self.Dh)

    def _merge(self, a, N, T):
        return a.reshape(N, self.H, T, self.Dh).transpose(0, 2, 1, 3).reshape(N, T, self.E)

    def forward(self, x, causal=False):
        P = self.params
        N, T, E = x.shape
        self.x = x; self.N, self.T = N, T
        q = x @ P["Wq"] + P["bq"]; k = x @ P["Wk"] + P["bk"]; v = x @ P["Wv"] + P["bv"]
        mask = np.tril(np.ones((T, T), dtype=bool)) if causal else None
        o = self.attn.forward(self._split(q), self._split(k), self._split(v), mask)
        self.concat = self._merge(o, N, T)
        return self.concat @ P["Wo"] + P["bo"]

    def backward(self, dout):
        P = self.params; N, T, E = self.N, self.T, self.E
        x2 = self.x.reshape(-1, E)
        d2 = dout.reshape(-1, E)
        self.grads["Wo"] = self.concat.reshape(-1, E).T @ d2
        self.grads["bo"] = d2.sum(0)
        dconcat = dout @ P["Wo"].T
        dq, dk, dv = self.attn.backward(self._split(dconcat))
        dx = 0
        for n, dd in zip("qkv", (dq, dk, dv)):
            dm = self._merge(dd, N, T).reshape(-1, E)
            self.grads["W" + n] = x2.T @ dm
            self.grads["b" + n] = dm.sum(0)
            dx = dx + dm @ P["W" + n].T
        return dx.reshape(N, T, E)
