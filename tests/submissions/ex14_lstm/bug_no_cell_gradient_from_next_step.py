"""The gradient of the cell state comes only through h_t: dc_next from step t + 1
is never added, so the additive cell path carries no gradient back in time.

kind: partial
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))``, computed as ``(1 + tanh(z / 2)) / 2`` so nothing overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class LSTM:
    """Long short-term memory layer over a batch of sequences.

    The four gates share one matrix product: its 4H columns hold one block of H
    per gate, in PyTorch's order input ``i``, forget ``f``, cell candidate ``g``,
    output ``o``.

    D is ``input_size`` and H is ``hidden_size``.

    Attributes:
        params: ``Wx`` of shape (D, 4H), ``Wh`` of shape (H, 4H) and ``b`` of shape (4H,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator | None = None):
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / np.sqrt(hidden_size)  # PyTorch's range for recurrent weights
        self.params = {
            "Wx": rng.uniform(-bound, bound, size=(input_size, 4 * hidden_size)),
            "Wh": rng.uniform(-bound, bound, size=(hidden_size, 4 * hidden_size)),
            "b": np.zeros(4 * hidden_size),
        }
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._cache: dict[str, np.ndarray] | None = None

    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
        """Run the LSTM cell over every time step; the initial cell state is zeros.

        Args:
            x: input sequences of shape (N, T, D).
            h0: initial hidden state of shape (N, H); zeros when None.

        Returns:
            Every hidden state h_1 ... h_T, shape (N, T, H).
        """
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        N, T, _ = x.shape
        H = Wh.shape[0]
        h_start = np.zeros((N, H)) if h0 is None else h0

        gates = np.empty((N, T, 4 * H))  # i, f, g, o after their nonlinearities
        c = np.empty((N, T, H))
        h = np.empty((N, T, H))
        h_state, c_state = h_start, np.zeros((N, H))
        z_input = x @ Wx + b  # the part of every step's pre-activation that needs no recurrence
        for t in range(T):
            z = z_input[:, t] + h_state @ Wh
            a = sigmoid(z)  # right for i, f and o
            a[:, 2 * H:3 * H] = np.tanh(z[:, 2 * H:3 * H])  # g uses tanh
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]

            c_state = f * c_state + i * g
            h_state = o * np.tanh(c_state)

            gates[:, t], c[:, t], h[:, t] = a, c_state, h_state

        self._cache = {"x": x, "h_start": h_start, "gates": gates, "c": c, "h": h}
        return h

    def backward(self, dh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate through time.

        Args:
            dh: upstream gradient of every hidden state, shape (N, T, H).

        Sets ``grads["Wx"]`` (D, 4H), ``grads["Wh"]`` (H, 4H) and ``grads["b"]``
        (4H,), each summed over the batch and over time, gate blocks in the
        order i, f, g, o.

        Returns:
            ``(dx, dh0)``: dx of shape (N, T, D) and dh0 of shape (N, H), the
            gradient of the initial hidden state (of the zeros when h0 was None).
        """
        x, h_start, gates, c, h = (self._cache[key] for key in ("x", "h_start", "gates", "c", "h"))
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        T = x.shape[1]
        H = Wh.shape[0]

        dx = np.empty(x.shape)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
        dh_next = np.zeros(h_start.shape)
        dc_next = np.zeros(h_start.shape)
        for t in reversed(range(T)):
            i, f, g, o = np.split(gates[:, t], 4, axis=1)
            h_prev = h[:, t - 1] if t > 0 else h_start
            c_prev = c[:, t - 1] if t > 0 else np.zeros_like(h_start)
            tanh_c = np.tanh(c[:, t])

            # h_t reaches the loss directly and through step t + 1; c_t through
            # h_t and, along the additive cell path, through c_{t+1}.
            dh_t = dh[:, t] + dh_next
            dc = dh_t * o * (1.0 - tanh_c ** 2)

            # Gradients of the pre-activations, through each gate's nonlinearity.
            di = dc * g * i * (1.0 - i)
            df = dc * c_prev * f * (1.0 - f)
            dg = dc * i * (1.0 - g ** 2)
            do = dh_t * tanh_c * o * (1.0 - o)
            dz = np.concatenate([di, df, dg, do], axis=1)

            dWx += x[:, t].T @ dz
            dWh += h_prev.T @ dz
            db += dz.sum(axis=0)

            dx[:, t] = dz @ Wx.T
            dh_next = dz @ Wh.T
            dc_next = dc * f

        self.grads = {"Wx": dWx, "Wh": dWh, "b": db}
        # After the first step, dh_next is the gradient of the initial hidden state.
        return dx, dh_next
