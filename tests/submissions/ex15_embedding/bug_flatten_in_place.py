"""forward flattens the caller's indices with indices.shape = -1 to avoid a copy.

The output and the gradient are right, but the caller's array changes shape.

kind: in-place
"""

import numpy as np


class Embedding:
    def __init__(self, num_embeddings, embedding_dim, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.params = {"W": rng.normal(size=(num_embeddings, embedding_dim))}
        self.grads = {"W": np.zeros((num_embeddings, embedding_dim))}

    def forward(self, indices):
        shape = indices.shape
        indices.shape = (-1,)
        self.indices = indices
        return self.params["W"][indices].reshape(*shape, -1)

    def backward(self, dout):
        dW = np.zeros_like(self.params["W"])
        np.add.at(dW, self.indices, dout.reshape(len(self.indices), -1))
        self.grads["W"] = dW
