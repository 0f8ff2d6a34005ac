"""Correct RNN that caches one tuple per step and differentiates tanh from the pre-activation.

It keeps its own Wx, Wh and b attributes, which alias the arrays in params.
"""

import numpy as np


class RNN:
    def __init__(self, input_size, hidden_size, rng=None):
        rng = rng or np.random.default_rng()
        self.Wx = rng.normal(0.0, 0.1, (input_size, hidden_size))
        self.Wh = rng.normal(0.0, 0.1, (hidden_size, hidden_size))
        self.b = np.zeros(hidden_size)
        self.params = {"Wx": self.Wx, "Wh": self.Wh, "b": self.b}
        self.grads = {}

    def step(self, x_t, h_prev):
        a = x_t @ self.Wx + h_prev @ self.Wh + self.b
        return np.tanh(a), (x_t, h_prev, a)

    def forward(self, x, h0=None):
        N, T, _ = x.shape
        h = np.zeros((N, self.Wh.shape[0])) if h0 is None else h0
        self.steps = []
        outputs = []
        for t in range(T):
            h, cache = self.step(x[:, t, :], h)
            self.steps.append(cache)
            outputs.append(h)
        return np.stack(outputs, axis=1)

    def backward(self, dh):
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        dx = []
        carry = 0.0
        for t in range(len(self.steps) - 1, -1, -1):
            x_t, h_prev, a = self.steps[t]
            da = (dh[:, t, :] + carry) * (1.0 - np.tanh(a) ** 2)
            self.grads["Wx"] += np.dot(x_t.T, da)
            self.grads["Wh"] += np.dot(h_prev.T, da)
            self.grads["b"] += np.sum(da, axis=0)
            dx.append(np.dot(da, self.Wx.T))
            carry = np.dot(da, self.Wh.T)
        return np.stack(dx[::-1], axis=1), carry
