"""Adam uses m and v without bias correction.

kind: factor
"""

import numpy as np


class SGD:
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.buffers = {}

    def step(self, grads):
        for name, p in self.params.items():
            g = grads[name] + self.weight_decay * p
            if self.momentum != 0:
                if name in self.buffers:
                    self.buffers[name] = self.momentum * self.buffers[name] + g
                else:
                    self.buffers[name] = g.copy()
                g = self.buffers[name]
            p -= self.lr * g


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params = params
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, grads):
        self.t += 1
        for name, p in self.params.items():
            g = grads[name] + self.weight_decay * p
            self.m[name] = self.beta1 * self.m[name] + (1 - self.beta1) * g
            self.v[name] = self.beta2 * self.v[name] + (1 - self.beta2) * g * g
            m_hat = self.m[name]
            v_hat = self.v[name]
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
