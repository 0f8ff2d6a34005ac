"""neuron fills dw for the weights only; the bias entry dw[-1] stays 0.

kind: partial
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic sigmoid ``1 / (1 + exp(-z))``, elementwise.

    NOTE: exp(-z) overflows (with a warning) for z below about -709. Exercise 3
    builds the stable form; the inputs of this exercise stay far from that range.
    """
    return 1.0 / (1.0 + np.exp(-z))


class MultiplyGate:
    """The gate ``out = a * b``, elementwise."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Compute ``a * b`` and keep both inputs for backward.

        Args:
            a: array of any shape (...).
            b: array of the same shape as ``a``.

        Returns:
            ``a * b``, of the same shape.
        """
        self._a, self._b = a, b
        return a * b

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate ``dout``, of the shape of the output.

        Returns:
            ``(da, db)``, each of the shape of ``a``.
        """
        return dout * self._b, dout * self._a


class AddGate:
    """The gate ``out = a + b``, elementwise."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Compute ``a + b``.

        Args:
            a: array of any shape (...).
            b: array of the same shape as ``a``.

        Returns:
            ``a + b``, of the same shape.
        """
        return a + b

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate ``dout``, of the shape of the output.

        Returns:
            ``(da, db)``, each of the shape of ``a``.
        """
        # Copies, so that a caller who edits da in place leaves db unchanged.
        return dout.copy(), dout.copy()


class MaxGate:
    """The gate ``out = max(a, b)``, elementwise."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Compute ``max(a, b)`` and remember which input won each entry.

        Args:
            a: array of any shape (...).
            b: array of the same shape as ``a``.

        Returns:
            ``np.maximum(a, b)``, of the same shape.
        """
        self._a_wins = a >= b  # a tie goes to a; either input is correct
        return np.maximum(a, b)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate ``dout``, of the shape of the output.

        Returns:
            ``(da, db)``, each of the shape of ``a``: each entry of ``dout`` goes
            whole to the input that won that entry.
        """
        da = np.where(self._a_wins, dout, 0.0)
        db = np.where(self._a_wins, 0.0, dout)
        return da, db


def neuron(w: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Run one sigmoid neuron forward and backward.

    Args:
        w: weights of shape (n + 1,); the last entry is the bias.
        x: input of shape (n,).

    Returns:
        ``(out, dw, dx)``: ``out = sigmoid(w[:-1] @ x + w[-1])`` as a float,
        d(out)/dw of shape (n + 1,) and d(out)/dx of shape (n,).
    """
    z = w[:-1] @ x + w[-1]
    out = sigmoid(z)

    dz = out * (1.0 - out)
    dw = np.zeros_like(w)
    dw[:-1] = dz * x
    dx = dz * w[:-1]
    return float(out), dw, dx


def staged(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute ``f = (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2)`` and its partial derivatives.

    Args:
        x: array of any shape (...).
        y: array of the same shape as ``x``.

    Returns:
        ``(f, dfdx, dfdy)``, each of the shape of ``x``, elementwise.
    """
    sig_y = sigmoid(y)
    num = x + sig_y
    sig_x = sigmoid(x)
    xpy = x + y
    xpy_sq = xpy ** 2
    den = sig_x + xpy_sq
    inv_den = 1.0 / den
    f = num * inv_den

    dnum = inv_den
    dinv_den = num
    dden = -1.0 / den ** 2 * dinv_den
    dsig_x = dden
    dxpy_sq = dden
    dxpy = 2.0 * xpy * dxpy_sq
    dsig_y = dnum

    # x reaches f by three paths (num, sig_x and xpy) and y by two (sig_y and
    # xpy): a variable's gradient is the sum over its paths.
    dfdx = dnum + sig_x * (1.0 - sig_x) * dsig_x + dxpy
    dfdy = sig_y * (1.0 - sig_y) * dsig_y + dxpy
    return f, dfdx, dfdy
