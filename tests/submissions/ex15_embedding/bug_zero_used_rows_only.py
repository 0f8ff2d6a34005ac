"""backward zeroes only the rows it is about to fill, a "sparse" reset that leaves the
previous call's rows in grads['W'].

kind: partial
"""

import numpy as np


class Embedding:
    def __init__(self, num_embeddings, embedding_dim, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.params = {"W": rng.normal(size=(num_embeddings, embedding_dim))}
        self.grads = {"W": np.zeros((num_embeddings, embedding_dim))}

    def forward(self, indices):
        self.indices = indices
        return self.params["W"][indices]

    def backward(self, dout):
        dW = self.grads["W"]
        dW[self.indices] = 0.0
        np.add.at(dW, self.indices, dout)
