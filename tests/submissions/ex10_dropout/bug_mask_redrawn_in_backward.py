"""backward draws a fresh mask instead of reusing the one forward applied.

kind: partial
"""

from __future__ import annotations

import numpy as np


class Dropout:
    """Inverted dropout: zero each unit with probability ``p`` while training, scale the rest by 1 / (1 - p).

    Attributes:
        p: the probability of dropping a unit, in [0, 1].
        params, grads: empty dicts, as the layer has no parameters.
        training: True to drop units, False to pass the input through unchanged.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None):
        self.p = p
        self.rng = np.random.default_rng() if rng is None else rng
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply dropout to ``x`` of any shape.

        In training mode a unit is kept when ``rng.random(x.shape) >= p`` and
        kept units are multiplied by ``1 / (1 - p)``; with ``p = 1`` every unit
        is dropped. In evaluation mode the input passes through unchanged.

        Returns:
            Output of the shape of ``x``.
        """
        if not self.training:
            self._mask = None
            return x

        keep = self.rng.random(x.shape) >= self.p
        # With p = 1 no unit is kept, and 1 / (1 - p) would divide by zero.
        scale = 1.0 / (1.0 - self.p) if self.p < 1.0 else 0.0
        self._mask = keep * scale

        return x * self._mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` (the shape of the last output) through the last forward.

        Returns:
            dx of the shape of ``dout``: ``dout`` times the mask of the last
            forward in training mode, ``dout`` itself after an evaluation-mode forward.
        """
        if self._mask is None:
            return dout
        keep = self.rng.random(dout.shape) >= self.p
        scale = 1.0 / (1.0 - self.p) if self.p < 1.0 else 0.0
        return dout * keep * scale
