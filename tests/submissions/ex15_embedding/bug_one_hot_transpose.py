"""backward takes one_hot.T @ dout without flattening, so 2-D indices transpose every axis.

kind: other
"""

import numpy as np


class Embedding:
    def __init__(self, num_embeddings, embedding_dim, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.params = {"W": rng.normal(size=(num_embeddings, embedding_dim))}
        self.grads = {"W": np.zeros((num_embeddings, embedding_dim))}

    def forward(self, indices):
        self.one_hot = np.eye(self.params["W"].shape[0])[indices]
        return self.one_hot @ self.params["W"]

    def backward(self, dout):
        self.grads["W"] = self.one_hot.T @ dout
