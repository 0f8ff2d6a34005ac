"""The table is created as float32 "to save memory", so lookups return float32 rows.

kind: float32
"""

import numpy as np


class Embedding:
    def __init__(self, num_embeddings, embedding_dim, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.params = {"W": rng.normal(size=(num_embeddings, embedding_dim)).astype(np.float32)}
        self.grads = {"W": np.zeros((num_embeddings, embedding_dim))}

    def forward(self, indices):
        self.indices = indices
        return self.params["W"][indices]

    def backward(self, dout):
        dW = np.zeros(self.params["W"].shape)
        np.add.at(dW, self.indices, dout)
        self.grads["W"] = dW
