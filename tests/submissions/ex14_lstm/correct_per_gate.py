"""Correct LSTM that slices the packed weights into one matrix per gate at every
forward call, keeps a list of per-step caches and stacks the gate gradients with
np.hstack at the end."""

import numpy as np

GATES = ("i", "f", "g", "o")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class LSTM:
    def __init__(self, input_size, hidden_size, rng=None):
        rng = rng if rng is not None else np.random.default_rng()
        k = 1.0 / np.sqrt(hidden_size)
        self.hidden_size = hidden_size
        self.params = {
            "Wx": rng.uniform(-k, k, (input_size, 4 * hidden_size)),
            "Wh": rng.uniform(-k, k, (hidden_size, 4 * hidden_size)),
            "b": rng.uniform(-k, k, 4 * hidden_size),
        }
        self.grads = {}

    def split(self, name):
        """One view per gate of a packed parameter."""
        H = self.hidden_size
        packed = self.params[name]
        return {gate: packed[..., n * H:(n + 1) * H] for n, gate in enumerate(GATES)}

    def forward(self, x, h0=None):
        N, T, _ = x.shape
        H = self.hidden_size
        Wx, Wh, b = self.split("Wx"), self.split("Wh"), self.split("b")
        h = np.zeros((N, H)) if h0 is None else np.array(h0, dtype=float)
        c = np.zeros((N, H))
        self.cache = []
        out = np.zeros((N, T, H))
        for t in range(T):
            x_t = x[:, t, :]
            pre = {gate: x_t @ Wx[gate] + h @ Wh[gate] + b[gate] for gate in GATES}
            i, f, o = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"])
            g = np.tanh(pre["g"])
            c_new = f * c + i * g
            h_new = o * np.tanh(c_new)
            self.cache.append({"x": x_t, "h": h, "c": c, "i": i, "f": f, "g": g, "o": o, "c_new": c_new})
            h, c = h_new, c_new
            out[:, t, :] = h
        return out

    def backward(self, dh):
        N, T, H = dh.shape
        Wx, Wh = self.split("Wx"), self.split("Wh")
        grads = {name: {gate: 0.0 for gate in GATES} for name in ("Wx", "Wh", "b")}
        dx = np.zeros((N, T, self.params["Wx"].shape[0]))
        dh_carry = np.zeros((N, H))
        dc_carry = np.zeros((N, H))
        for t in reversed(range(T)):
            s = self.cache[t]
            dh_total = dh[:, t, :] + dh_carry
            tanh_c = np.tanh(s["c_new"])
            dc_total = dc_carry + dh_total * s["o"] * (1 - tanh_c * tanh_c)
            d_pre = {
                "i": dc_total * s["g"] * s["i"] * (1 - s["i"]),
                "f": dc_total * s["c"] * s["f"] * (1 - s["f"]),
                "g": dc_total * s["i"] * (1 - s["g"] * s["g"]),
                "o": dh_total * tanh_c * s["o"] * (1 - s["o"]),
            }
            dh_carry = np.zeros((N, H))
            for gate in GATES:
                grads["Wx"][gate] = grads["Wx"][gate] + s["x"].T @ d_pre[gate]
                grads["Wh"][gate] = grads["Wh"][gate] + s["h"].T @ d_pre[gate]
                grads["b"][gate] = grads["b"][gate] + d_pre[gate].sum(axis=0)
                dx[:, t, :] += d_pre[gate] @ Wx[gate].T
                dh_carry += d_pre[gate] @ Wh[gate].T
            dc_carry = dc_total * s["f"]
        self.grads = {name: np.hstack([grads[name][gate] for gate in GATES]) for name in grads}
        return dx, dh_carry
