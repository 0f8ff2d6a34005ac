"""Correct attention written with loops over examples and query rows, using the full softmax
Jacobian per row and the most negative float as the mask fill; MultiHeadAttention concatenates
per-head results built with swapaxes."""

import numpy as np

NEG = np.finfo(np.float64).min


def softmax_row(scores):
    shifted = scores - np.max(scores)
    e = np.exp(shifted)
    return e / np.sum(e)


class ScaledDotProductAttention:
    def __init__(self):
        self.params = {}
        self.grads = {}

    def forward(self, q, k, v, mask=None):
        N, Tq, d = q.shape
        Tk = k.shape[1]
        allowed = np.ones((N, Tq, Tk), dtype=bool) if mask is None else np.broadcast_to(mask, (N, Tq, Tk))
        self.P = np.zeros((N, Tq, Tk))
        out = np.zeros((N, Tq, v.shape[2]))
        for n in range(N):
            for i in range(Tq):
                row = np.array([q[n, i] @ k[n, j] / np.sqrt(d) for j in range(Tk)])
                row = np.where(allowed[n, i], row, NEG)
                self.P[n, i] = softmax_row(row)
                out[n, i] = self.P[n, i] @ v[n]
        self.saved = (q.copy(), k.copy(), v.copy())
        return out

    def backward(self, dout):
        q, k, v = self.saved
        N, Tq, d = q.shape
        dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
        for n in range(N):
            for i in range(Tq):
                p = self.P[n, i]
                dv[n] += np.outer(p, dout[n, i])
                dp = v[n] @ dout[n, i]
                jacobian = np.diag(p) - np.outer(p, p)
                ds = jacobian @ dp / np.sqrt(d)
                dq[n, i] = ds @ k[n]
                dk[n] += np.outer(ds, q[n, i])
        return dq, dk, dv


class MultiHeadAttention:
    def __init__(self, embed_dim, num_heads, rng=None):
        if embed_dim % num_heads != 0:
            raise ValueError("embed_dim must be a multiple of num_heads")
        rng = rng or np.random.default_rng()
        self.num_heads = num_heads
        self.params = {
            "Wq": rng.normal(size=(embed_dim, embed_dim)) * 0.1,
            "Wk": rng.normal(size=(embed_dim, embed_dim)) * 0.1,
            "Wv": rng.normal(size=(embed_dim, embed_dim)) * 0.1,
            "Wo": rng.normal(size=(embed_dim, embed_dim)) * 0.1,
            "bq": np.zeros(embed_dim),
            "bk": np.zeros(embed_dim),
            "bv": np.zeros(embed_dim),
            "bo": np.zeros(embed_dim),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.core = ScaledDotProductAttention()

    def _heads(self, a):
        pieces = np.split(a, self.num_heads, axis=-1)
        return np.concatenate(pieces, axis=0)

    def _unheads(self, a):
        pieces = np.split(a, self.num_heads, axis=0)
        return np.concatenate(pieces, axis=-1)

    def forward(self, x, causal=False):
        W = self.params
        self.x = x
        q = x @ W["Wq"] + W["bq"]
        k = x @ W["Wk"] + W["bk"]
        v = x @ W["Wv"] + W["bv"]
        mask = None
        if causal:
            T = x.shape[1]
            mask = np.arange(T)[None, :] <= np.arange(T)[:, None]
        self.heads_out = self.core.forward(self._heads(q), self._heads(k), self._heads(v), mask)
        self.concat = self._unheads(self.heads_out)
        return self.concat @ W["Wo"] + W["bo"]

    def backward(self, dout):
        W = self.params
        E = self.x.shape[-1]
        flat_x = self.x.reshape(-1, E)
        self.grads["Wo"] = self.concat.reshape(-1, E).T @ dout.reshape(-1, E)
        self.grads["bo"] = dout.reshape(-1, E).sum(axis=0)
        dq, dk, dv = self.core.backward(self._heads(dout @ W["Wo"].T))
        dq, dk, dv = self._unheads(dq), self._unheads(dk), self._unheads(dv)
        self.grads["Wq"] = flat_x.T @ dq.reshape(-1, E)
        self.grads["Wk"] = flat_x.T @ dk.reshape(-1, E)
        self.grads["Wv"] = flat_x.T @ dv.reshape(-1, E)
        self.grads["bq"] = dq.reshape(-1, E).sum(axis=0)
        self.grads["bk"] = dk.reshape(-1, E).sum(axis=0)
        self.grads["bv"] = dv.reshape(-1, E).sum(axis=0)
        return dq @ W["Wq"].T + dk @ W["Wk"].T + dv @ W["Wv"].T
