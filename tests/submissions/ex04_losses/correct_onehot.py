"""Correct losses with an explicit one-hot matrix and np.logaddexp.reduce, no params or grads attributes.

The losses return 0-d arrays, which the grader converts with np.asarray.
"""

import numpy as np


class SoftmaxCrossEntropy:
    def forward(self, logits, targets):
        n, classes = logits.shape
        self.onehot = np.eye(classes)[targets]
        log_norm = np.logaddexp.reduce(logits, axis=1, keepdims=True)
        log_probs = logits - log_norm
        self.probs = np.exp(log_probs)
        return np.asarray(-(self.onehot * log_probs).sum() / n)

    def backward(self, dout=1.0):
        return dout * (self.probs - self.onehot) / self.onehot.shape[0]


class MSELoss:
    def forward(self, pred, target):
        self.residual = np.subtract(pred, target)
        self.count = int(np.prod(self.residual.shape))
        return np.asarray(np.square(self.residual).sum() / self.count)

    def backward(self, dout=1.0):
        return (2.0 * dout / self.count) * self.residual
