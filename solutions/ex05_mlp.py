"""Reference solution of exercise 5: a multilayer perceptron and one SGD step."""

from __future__ import annotations

import numpy as np


class MLP:
    """Linear layers with a ReLU between consecutive layers and none after the last.

    ``sizes = [d_in, h1, ..., d_out]`` gives ``len(sizes) - 1`` linear layers;
    layer i (counting from 1) maps ``sizes[i-1]`` features to ``sizes[i]``.

    Attributes:
        params: ``W{i}`` of shape (sizes[i-1], sizes[i]) and ``b{i}`` of shape (sizes[i],).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, sizes: list[int], rng: np.random.Generator | None = None):
        rng = np.random.default_rng() if rng is None else rng
        self.num_layers = len(sizes) - 1
        self.params: dict[str, np.ndarray] = {}
        for i in range(1, self.num_layers + 1):
            fan_in, fan_out = sizes[i - 1], sizes[i]
            # He initialisation keeps the activations' scale steady through the ReLUs (exercise 6).
            self.params[f"W{i}"] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
            self.params[f"b{i}"] = np.zeros(fan_out)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._layer_inputs: list[np.ndarray] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the scores of a batch.

        Args:
            x: input of shape (N, sizes[0]).

        Returns:
            Scores of shape (N, sizes[-1]).
        """
        self._layer_inputs = []
        h = x
        for i in range(1, self.num_layers + 1):
            self._layer_inputs.append(h)
            z = h @ self.params[f"W{i}"] + self.params[f"b{i}"]
            h = np.maximum(z, 0.0) if i < self.num_layers else z
        return h

    def backward(self, dscores: np.ndarray) -> np.ndarray:
        """Backpropagate ``dscores`` of shape (N, sizes[-1]) through every layer.

        Sets ``grads[f"W{i}"]`` and ``grads[f"b{i}"]`` for every layer.

        Returns:
            dx of shape (N, sizes[0]).
        """
        dout = dscores
        for i in range(self.num_layers, 0, -1):
            h = self._layer_inputs[i - 1]

            self.grads[f"W{i}"] = h.T @ dout
            self.grads[f"b{i}"] = dout.sum(axis=0)
            dh = dout @ self.params[f"W{i}"].T

            # h = relu(z) of the layer below, so h > 0 exactly where z > 0.
            dout = dh * (h > 0) if i > 1 else dh
        return dout


def sgd_step(params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> None:
    """Update every parameter in place: ``params[k] -= lr * grads[k]``.

    Args:
        params: arrays to update, by name; the same array objects are modified.
        grads: gradients with the same keys and shapes as ``params``.
        lr: learning rate.
    """
    for name, value in params.items():
        value -= lr * grads[name]
