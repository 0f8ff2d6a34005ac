"""Correct attention with einsum and an additive -1e9 mask; MultiHeadAttention loops over heads
with per-head slices of the weights and one ScaledDotProductAttention per head."""

import numpy as np


class ScaledDotProductAttention:
    def __init__(self):
        self.params = {}
        self.grads = {}

    def forward(self, q, k, v, mask=None):
        self.scale = q.shape[-1] ** -0.5
        scores = np.einsum("nid,njd->nij", q * self.scale, k)
        if mask is not None:
            scores = scores + np.where(mask, 0.0, -1e9)
        scores -= scores.max(axis=-1, keepdims=True)
        e = np.exp(scores)
        self.p = e / e.sum(axis=-1, keepdims=True)
        self.q, self.k, self.v = q, k, v
        return np.einsum("nij,nje->nie", self.p, v)

    def backward(self, dout):
        p = self.p
        dv = np.einsum("nij,nie->nje", p, dout)
        dp = np.einsum("nie,nje->nij", dout, self.v)
        ds = p * dp - p * np.einsum("nij,nij->ni", p, dp)[..., None]
        dq = self.scale * np.einsum("nij,njd->nid", ds, self.k)
        dk = self.scale * np.einsum("nij,nid->njd", ds, self.q)
        return dq, dk, dv


class MultiHeadAttention:
    def __init__(self, embed_dim, num_heads, rng=None):
        assert embed_dim % num_heads == 0, "num_heads must divide embed_dim"
        rng = np.random.default_rng() if rng is None else rng
        self.heads = num_heads
        self.size = embed_dim // num_heads
        limit = np.sqrt(6.0 / (2 * embed_dim))
        self.params = {}
        for p in ("q", "k", "v", "o"):
            self.params["W" + p] = rng.uniform(-limit, limit, (embed_dim, embed_dim))
            self.params["b" + p] = np.zeros(embed_dim)
        self.grads = {}

    def block(self, h):
        return slice(h * self.size, (h + 1) * self.size)

    def forward(self, x, causal=False):
        P = self.params
        T = x.shape[1]
        mask = np.tril(np.ones((T, T), dtype=bool)) if causal else None
        self.x = x
        self.attn = []
        outputs = []
        for h in range(self.heads):
            cols = self.block(h)
            q = np.einsum("nte,ed->ntd", x, P["Wq"][:, cols]) + P["bq"][cols]
            k = np.einsum("nte,ed->ntd", x, P["Wk"][:, cols]) + P["bk"][cols]
            v = np.einsum("nte,ed->ntd", x, P["Wv"][:, cols]) + P["bv"][cols]
            attention = ScaledDotProductAttention()
            outputs.append(attention.forward(q, k, v, mask))
            self.attn.append(attention)
        self.concat = np.concatenate(outputs, axis=-1)
        return np.einsum("nte,ef->ntf", self.concat, P["Wo"]) + P["bo"]

    def backward(self, dout):
        P, x = self.params, self.x
        grads = {name: np.zeros_like(value) for name, value in P.items()}
        grads["Wo"] = np.einsum("nte,ntf->ef", self.concat, dout)
        grads["bo"] = dout.sum(axis=(0, 1))
        dconcat = np.einsum("ntf,ef->nte", dout, P["Wo"])
        dx = np.zeros_like(x)
        for h, attention in enumerate(self.attn):
            cols = self.block(h)
            for name, d in zip("qkv", attention.backward(dconcat[..., cols])):
                grads["W" + name][:, cols] = np.einsum("nte,ntd->ed", x, d)
                grads["b" + name][cols] = d.sum(axis=(0, 1))
                dx += np.einsum("ntd,ed->nte", d, P["W" + name][:, cols])
        self.grads = grads
        return dx
