"""Correct losses that cache the log-probabilities and use np.take_along_axis; the gradient is built by scaling first."""

import numpy as np


class SoftmaxCrossEntropy:
    def __init__(self):
        self.params, self.grads = {}, {}
        self.cache = None

    def forward(self, logits, targets):
        z = logits - np.max(logits, axis=-1, keepdims=True)
        log_probs = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
        picked = np.take_along_axis(log_probs, targets[:, None], axis=1)
        self.cache = (log_probs, targets)
        return -np.mean(picked)

    def backward(self, dout=1.0):
        log_probs, targets = self.cache
        scale = dout / log_probs.shape[0]
        grad = np.exp(log_probs) * scale
        np.put_along_axis(grad, targets[:, None], np.take_along_axis(grad, targets[:, None], axis=1) - scale, axis=1)
        return grad


class MSELoss:
    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, pred, target):
        self.pred, self.target = pred, target
        return ((pred - target) ** 2).mean()

    def backward(self, dout=1.0):
        return dout * (self.pred - self.target) * (2.0 / self.pred.size)
