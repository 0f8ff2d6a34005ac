"""Reference solution of exercise 3: elementwise activation functions."""

from __future__ import annotations

import numpy as np

#: Constants of GELU's tanh approximation.
SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
GELU_CUBIC = 0.044715


class ReLU:
    """Rectified linear unit ``max(x, 0)``, elementwise.

    Attributes:
        params: empty, because ReLU has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``max(x, 0)``.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``.
        """
        self._x = x
        return np.maximum(x, 0.0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        return dout * (self._x > 0)


class LeakyReLU:
    """Leaky rectified linear unit: ``x`` where ``x > 0``, ``negative_slope * x`` elsewhere.

    Attributes:
        negative_slope: slope of the function for negative inputs.
        params: empty, because LeakyReLU has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``x`` where ``x > 0`` and ``negative_slope * x`` elsewhere.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``.
        """
        self._x = x
        return np.where(x > 0, x, self.negative_slope * x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        return np.where(self._x > 0, dout, self.negative_slope * dout)


class Sigmoid:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, elementwise.

    Finite and free of warnings for any finite float64 ``x``.

    Attributes:
        params: empty, because Sigmoid has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``1 / (1 + exp(-x))`` without overflow.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``, in [0, 1].
        """
        # exp(-|x|) lies in [0, 1], so it cannot overflow. For x >= 0 the usual
        # form 1 / (1 + exp(-x)) applies. For x < 0, multiplying its numerator
        # and denominator by exp(x) gives exp(x) / (1 + exp(x)).
        z = np.exp(-np.abs(x))
        self._out = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        return dout * self._out * (1.0 - self._out)


class Tanh:
    """Hyperbolic tangent, elementwise.

    Attributes:
        params: empty, because Tanh has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``tanh(x)``.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``, in [-1, 1].
        """
        self._out = np.tanh(x)
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        return dout * (1.0 - self._out ** 2)


class GELU:
    """Gaussian error linear unit in its tanh approximation, elementwise.

    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))``

    Attributes:
        params: empty, because GELU has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._x: np.ndarray | None = None
        self._tanh: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))``.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``.
        """
        self._x = x
        self._tanh = np.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x ** 3))
        return 0.5 * x * (1.0 + self._tanh)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        x, t = self._x, self._tanh
        du_dx = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x ** 2)

        local = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t ** 2) * du_dx
        return dout * local
