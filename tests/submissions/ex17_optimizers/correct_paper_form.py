"""Correct optimizers written after the Adam paper's efficient form: the bias corrections
folded into the step size, with eps scaled to match PyTorch's rule, and state keyed by name
and created lazily on the first step."""

import numpy as np


class SGD:
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.state = {}

    def step(self, grads):
        for key in self.params:
            p = self.params[key]
            d_p = grads[key] + self.weight_decay * p
            if self.momentum > 0:
                if key not in self.state:
                    self.state[key] = np.array(d_p, copy=True)
                else:
                    self.state[key] *= self.momentum
                    self.state[key] += d_p
                d_p = self.state[key]
            p -= self.lr * d_p


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params = params
        self.lr = lr
        self.b1, self.b2 = betas
        self.eps = eps
        self.wd = weight_decay
        self.state = {}
        self.t = 0

    def step(self, grads):
        self.t += 1
        c2 = np.sqrt(1 - self.b2 ** self.t)
        alpha = self.lr * c2 / (1 - self.b1 ** self.t)
        eps_hat = self.eps * c2
        for key, p in self.params.items():
            g = grads[key] + self.wd * p
            m, v = self.state.get(key, (0.0, 0.0))
            m = self.b1 * m + (1 - self.b1) * g
            v = self.b2 * v + (1 - self.b2) * np.square(g)
            self.state[key] = (m, v)
            p -= alpha * m / (np.sqrt(v) + eps_hat)
