"""backward returns zeros for dh0: the gradient sent back by the first step is
never returned.

kind: zero
"""

from __future__ import annotations

import numpy as np


class RNN:
    """Recurrent layer ``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)`` over a batch of sequences.

    D is ``input_size`` and H is ``hidden_size``.

    Attributes:
        params: ``Wx`` of shape (D, H), ``Wh`` of shape (H, H) and ``b`` of shape (H,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator | None = None):
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / np.sqrt(hidden_size)  # PyTorch's range for recurrent weights
        self.params = {
            "Wx": rng.uniform(-bound, bound, size=(input_size, hidden_size)),
            "Wh": rng.uniform(-bound, bound, size=(hidden_size, hidden_size)),
            "b": np.zeros(hidden_size),
        }
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
        """Run the recurrence over every time step.

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

        h = np.empty((N, T, H))
        h_state = h_start
        a_input = x @ Wx + b  # the part of every step's pre-activation that needs no recurrence
        for t in range(T):
            h_state = np.tanh(a_input[:, t] + h_state @ Wh)
            h[:, t] = h_state

        self._cache = (x, h_start, h)
        return h

    def backward(self, dh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate through time.

        Args:
            dh: upstream gradient of every hidden state, shape (N, T, H).

        Sets ``grads["Wx"]`` (D, H), ``grads["Wh"]`` (H, H) and ``grads["b"]``
        (H,), each summed over the batch and over time.

        Returns:
            ``(dx, dh0)``: dx of shape (N, T, D) and dh0 of shape (N, H), the
            gradient of the initial state (of the zeros when h0 was None).
        """
        x, h_start, h = self._cache
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        T = x.shape[1]

        dx = np.empty(x.shape)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        dh_next = np.zeros(h_start.shape)
        for t in reversed(range(T)):
            h_prev = h[:, t - 1] if t > 0 else h_start
            # h_t reaches the loss directly (dh) and through h_{t+1} (dh_next).
            da = (dh[:, t] + dh_next) * (1.0 - h[:, t] ** 2)

            dWx += x[:, t].T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)

            dx[:, t] = da @ Wx.T
            dh_next = da @ Wh.T

        self.grads = {"Wx": dWx, "Wh": dWh, "b": db}
        # After the first step, dh_next is the gradient of the initial state.
        return dx, np.zeros_like(h_start)
