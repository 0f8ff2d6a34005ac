"""Correct optimizers in other forms: SGD with a velocity that includes the learning rate
(v = momentum * v + lr * g, p -= v), Adam with PyTorch's step size and denominator, and state
kept in lists in the order of the params dict."""

import math

import numpy as np


class SGD:
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        self.params = params
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity = [np.zeros_like(p) for p in params.values()]

    def step(self, grads):
        for i, (name, p) in enumerate(self.params.items()):
            g = grads[name]
            if self.weight_decay:
                g = g + self.weight_decay * p
            self.velocity[i] = self.momentum * self.velocity[i] + self.lr * g
            p[...] = p - self.velocity[i]


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params = params
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.exp_avg = [np.zeros_like(p) for p in params.values()]
        self.exp_avg_sq = [np.zeros_like(p) for p in params.values()]
        self.steps = 0

    def step(self, grads):
        beta1, beta2 = self.betas
        self.steps += 1
        correction1 = 1 - beta1 ** self.steps
        correction2 = 1 - beta2 ** self.steps
        for i, (name, p) in enumerate(self.params.items()):
            g = grads[name] + self.weight_decay * p if self.weight_decay else grads[name]
            self.exp_avg[i] *= beta1
            self.exp_avg[i] += (1 - beta1) * g
            self.exp_avg_sq[i] *= beta2
            self.exp_avg_sq[i] += (1 - beta2) * g ** 2
            denominator = np.sqrt(self.exp_avg_sq[i]) / math.sqrt(correction2) + self.eps
            np.subtract(p, self.lr / correction1 * self.exp_avg[i] / denominator, out=p)
