"""Correct LSTM that multiplies the concatenation [x_t, h_{t-1}] by the stacked
weights [Wx; Wh], keeps dz for every step and computes the parameter gradients
with one product over all steps at the end."""

import numpy as np


class LSTM:
    def __init__(self, input_size, hidden_size, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.D, self.H = input_size, hidden_size
        self.params = {
            "Wx": rng.standard_normal((input_size, 4 * hidden_size)) * 0.1,
            "Wh": rng.standard_normal((hidden_size, 4 * hidden_size)) * 0.1,
            "b": np.zeros(4 * hidden_size),
        }
        self.params["b"][hidden_size:2 * hidden_size] = 1.0  # forget bias 1
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def forward(self, x, h0=None):
        N, T, _ = x.shape
        H = self.H
        W = np.vstack([self.params["Wx"], self.params["Wh"]])
        hs = np.zeros((N, T + 1, H))
        cs = np.zeros((N, T + 1, H))
        if h0 is not None:
            hs[:, 0] = h0
        acts = np.zeros((N, T, 4 * H))
        inputs = np.zeros((N, T, self.D + H))
        for t in range(T):
            inputs[:, t] = np.concatenate([x[:, t], hs[:, t]], axis=1)
            z = inputs[:, t] @ W + self.params["b"]
            i, f, g, o = np.split(z, 4, axis=1)
            i, f, o = (np.exp(-np.logaddexp(0, -v)) for v in (i, f, o))
            g = np.tanh(g)
            cs[:, t + 1] = f * cs[:, t] + i * g
            hs[:, t + 1] = o * np.tanh(cs[:, t + 1])
            acts[:, t] = np.concatenate([i, f, g, o], axis=1)
        self.saved = (inputs, hs, cs, acts)
        return hs[:, 1:]

    def backward(self, dh):
        inputs, hs, cs, acts = self.saved
        N, T, H = dh.shape
        W = np.vstack([self.params["Wx"], self.params["Wh"]])
        dz_all = np.zeros((N, T, 4 * H))
        dx = np.zeros((N, T, self.D))
        dh_next = np.zeros((N, H))
        dc_next = np.zeros((N, H))
        for t in range(T - 1, -1, -1):
            i, f, g, o = np.split(acts[:, t], 4, axis=1)
            tc = np.tanh(cs[:, t + 1])
            dht = dh[:, t] + dh_next
            dct = dc_next + dht * o * (1 - tc ** 2)
            dz_all[:, t] = np.concatenate([
                dct * g * i * (1 - i),
                dct * cs[:, t] * f * (1 - f),
                dct * i * (1 - g ** 2),
                dht * tc * o * (1 - o),
            ], axis=1)
            d_inputs = dz_all[:, t] @ W.T
            dx[:, t], dh_next = d_inputs[:, :self.D], d_inputs[:, self.D:]
            dc_next = dct * f
        dW = inputs.reshape(N * T, -1).T @ dz_all.reshape(N * T, -1)
        self.grads = {"Wx": dW[:self.D], "Wh": dW[self.D:], "b": dz_all.sum(axis=(0, 1))}
        return dx, dh_next
