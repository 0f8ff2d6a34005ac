"""Correct RNN that stores the gradient of every pre-activation during the loop
and computes the parameter gradients for all steps at once with einsum afterwards."""

import numpy as np


class RNN:
    def __init__(self, input_size, hidden_size, rng=None):
        if rng is None:
            rng = np.random.default_rng()
        scale = np.sqrt(1.0 / hidden_size)
        self.params = {
            "Wx": rng.uniform(-scale, scale, (input_size, hidden_size)),
            "Wh": rng.uniform(-scale, scale, (hidden_size, hidden_size)),
            "b": rng.uniform(-scale, scale, hidden_size),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x, h0=None):
        N, T, D = x.shape
        H = self.params["b"].shape[0]
        states = np.zeros((N, T + 1, H))  # states[:, 0] is the initial state
        if h0 is not None:
            states[:, 0] = h0
        projected = np.einsum("ntd,dh->nth", x, self.params["Wx"]) + self.params["b"]
        for t in range(T):
            states[:, t + 1] = np.tanh(projected[:, t] + states[:, t] @ self.params["Wh"])
        self.x, self.states = x, states
        return states[:, 1:].copy()

    def backward(self, dh):
        N, T, H = dh.shape
        da = np.zeros((N, T, H))
        carry = np.zeros((N, H))
        for t in np.arange(T)[::-1]:
            da[:, t] = (dh[:, t] + carry) * (1 - self.states[:, t + 1] ** 2)
            carry = da[:, t] @ self.params["Wh"].T
        self.grads["Wx"] = np.einsum("ntd,nth->dh", self.x, da)
        self.grads["Wh"] = np.einsum("ntk,nth->kh", self.states[:, :-1], da)
        self.grads["b"] = da.sum(axis=(0, 1))
        dx = np.einsum("nth,dh->ntd", da, self.params["Wx"])
        return dx, carry
