r"""# Exercise 2: Linear

A linear (fully connected) layer maps each example's features through a
weight matrix and adds a bias:

$$\text{out} = x W + b$$

## Shapes

| name | shape |
|---|---|
| `x` | `(N, D)`, or more generally `(..., D)` |
| `W` | `(D, M)` |
| `b` | `(M,)`, broadcast over every leading axis |
| `out`, `dout` | `(N, M)` or `(..., M)` |

## Backward, by the chain rule

Write one output entry: $\text{out}_{nm} = \sum_d x_{nd} W_{dm} + b_m$. The
loss $L$ reaches $W$, $b$ and $x$ only through `out`, so with
$\text{dout}_{nm} = \partial L / \partial \text{out}_{nm}$:

$$\frac{\partial L}{\partial x_{nd}} = \sum_m \text{dout}_{nm} \frac{\partial \text{out}_{nm}}{\partial x_{nd}} = \sum_m \text{dout}_{nm} W_{dm}
\quad\Rightarrow\quad dx = \text{dout}\, W^\top \;\; (N, D)$$

$$\frac{\partial L}{\partial W_{dm}} = \sum_n \text{dout}_{nm}\, x_{nd}
\quad\Rightarrow\quad dW = x^\top \text{dout} \;\; (D, M)$$

$$\frac{\partial L}{\partial b_m} = \sum_n \text{dout}_{nm}
\quad\Rightarrow\quad db = \textstyle\sum_n \text{dout}_{n\cdot} \;\; (M,)$$

A quick self-check: every gradient has the shape of the thing it is the
gradient of. If `dW` does not come out `(D, M)`, an operand is transposed.

## Traps

- **The bias gradient is a sum over the batch.** `b` is shared by all N
  examples, so each example adds its `dout` row. `db = dout` has shape
  `(N, M)`; `dout.mean(axis=0)` is N times too small.
- **Sum, not mean, in `dW`.** `x.T @ dout` already sums over the batch. The
  1/N of a mean loss belongs to the loss's backward, not here.
- **Leading axes.** For `x` of shape `(B, T, D)` (a batch of sequences),
  `x @ W + b` still works, but `x.T @ dout` does not: flatten the leading
  axes first, `x.reshape(-1, D)` and `dout.reshape(-1, M)`, and return `dx`
  with the shape of `x`.
- **Cache what backward needs.** `backward` gets only `dout`; keep `x` from
  `forward`. Do not modify `x` or `dout` in place: the caller still owns them.
- **Overwrite `grads`.** `backward` sets `grads["W"] = ...`; `+=` would
  accumulate across calls (PyTorch accumulates on purpose; this contract
  does not).
"""

from __future__ import annotations

import numpy as np


class Linear:
    """Affine map ``out = x @ W + b`` applied to the last axis of ``x``.

    Attributes:
        params: ``W`` of shape (in_features, out_features) and ``b`` of shape (out_features,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator | None = None):
        # TODO: create params "W" (e.g. uniform on +-1/sqrt(in_features)) and "b" (zeros),
        # and a grads dict with the same keys.
        raise NotImplementedError("Linear.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``x @ W + b``.

        Args:
            x: input of shape (..., in_features).

        Returns:
            Output of shape (..., out_features).
        """
        # TODO: compute the output and keep what backward needs.
        raise NotImplementedError("Linear.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (..., out_features).

        Sets ``grads["W"]`` (in_features, out_features) and ``grads["b"]``
        (out_features,), summed over every leading axis.

        Returns:
            dx of shape (..., in_features).
        """
        # TODO: set self.grads["W"] and self.grads["b"], return dx.
        raise NotImplementedError("Linear.backward")
