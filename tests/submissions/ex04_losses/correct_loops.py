"""Correct losses written with Python loops over examples; backward recomputes the softmax from cached logits."""

import math

import numpy as np


class SoftmaxCrossEntropy:
    def __init__(self):
        self.params = {}
        self.grads = {}

    def forward(self, logits, targets):
        self.logits = np.array(logits, dtype=np.float64)
        self.targets = [int(t) for t in targets]
        total = 0.0
        for row, target in zip(self.logits, self.targets):
            top = max(row)
            log_sum = top + math.log(sum(math.exp(z - top) for z in row))
            total += log_sum - row[target]
        return total / len(self.targets)

    def backward(self, dout=1.0):
        n = len(self.targets)
        dlogits = np.zeros_like(self.logits)
        for i, (row, target) in enumerate(zip(self.logits, self.targets)):
            top = max(row)
            exps = [math.exp(z - top) for z in row]
            total = sum(exps)
            for c, e in enumerate(exps):
                dlogits[i, c] = (e / total - (1.0 if c == target else 0.0)) * dout / n
        return dlogits


class MSELoss:
    def __init__(self):
        self.params = {}
        self.grads = {}

    def forward(self, pred, target):
        self.pred = np.array(pred, dtype=np.float64)
        self.target = np.array(target, dtype=np.float64)
        flat_pred, flat_target = self.pred.ravel(), self.target.ravel()
        total = 0.0
        for p, t in zip(flat_pred, flat_target):
            total += (p - t) ** 2
        return total / flat_pred.size

    def backward(self, dout=1.0):
        n = self.pred.size
        dpred = np.empty_like(self.pred)
        for index in np.ndindex(self.pred.shape):
            dpred[index] = dout * 2.0 * (self.pred[index] - self.target[index]) / n
        return dpred
