"""The causal mask is the upper triangle, so each position attends to itself and the future.

kind: other
"""

import numpy as np


def swap(a):
    return np.swapaxes(a, -1, -2)


class ScaledDotProductAttention:
    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, q, k, v, mask=None):
        d = q.shape[-1]
        s = q @ swap(k) / np.sqrt(d)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        s = s - s.max(axis=-1, keepdims=True)
        p = np.exp(s)
        p = p / p.sum(axis=-1, keepdims=True)
        self.cache = (q, k, v, p)
        return p @ v

    def backward(self, dout):
        q, k, v, p = self.cache
        d = q.shape[-1]
        dv = swap(p) @ dout
        dp = dout @ swap(v)
        ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
        ds = ds / np.sqrt(d)
        dq = ds @ k
        dk = swap(ds) @ q
        return dq, dk, dv


class MultiHeadAttention:
    def __init__(self, embed_dim, num_heads, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.h = num_heads
        self.params = {}
        for name in "qkvo":
            self.params["W" + name] = rng.normal(0.0, embed_dim ** -0.5, (embed_dim, embed_dim))
            self.params["b" + name] = np.zeros(embed_dim)
        self.grads = {}
        self.attn = ScaledDotProductAttention()

    def split(self, a):
        N, T, E = a.shape
        H, Dh = self.h, E // self.h
        return a.reshape(N, T, H, Dh).transpose(0, 2, 1, 3).reshape(N * H, T, Dh)

    def merge(self, a):
        NH, T, Dh = a.shape
        N, H = NH // self.h, self.h
        return a.reshape(N, H, T, Dh).transpose(0, 2, 1, 3).reshape(N, T, H * Dh)

    def forward(self, x, causal=False):
        P = self.params
        q, k, v = (x @ P["W" + n] + P["b" + n] for n in "qkv")
        T = x.shape[1]
        mask = np.triu(np.ones((T, T), dtype=bool)) if causal else None
        self.concat = self.merge(self.attn.forward(self.split(q), self.split(k), self.split(v), mask))
        self.x = x
        return self.concat @ P["Wo"] + P["bo"]

    def backward(self, dout):
        P, x = self.params, self.x
        E = x.shape[-1]
        self.grads["Wo"] = self.concat.reshape(-1, E).T @ dout.reshape(-1, E)
        self.grads["bo"] = dout.sum(axis=(0, 1))
        dq, dk, dv = (self.merge(d) for d in self.attn.backward(self.split(dout @ P["Wo"].T)))
        dx = 0
        for n, d in zip("qkv", (dq, dk, dv)):
            self.grads["W" + n] = x.reshape(-1, E).T @ d.reshape(-1, E)
            self.grads["b" + n] = d.sum(axis=(0, 1))
            dx = dx + d @ P["W" + n].T
        return dx
