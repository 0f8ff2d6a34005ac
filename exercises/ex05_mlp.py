r"""# Exercise 5: MLP

A multilayer perceptron stacks linear layers with a ReLU between
consecutive layers and none after the last, so its scores can take any
sign. Backpropagation through it is the chain rule applied layer by layer,
from the scores down to the input.

## Shapes

`sizes = [d_in, h1, ..., d_out]` gives $L$ = `len(sizes) - 1` linear layers,
numbered from 1. A network with `sizes = [d_in, d_out]` has one layer and no
ReLU at all.

| name | shape |
|---|---|
| `x` | `(N, sizes[0])` |
| `params["W{i}"]`, `grads["W{i}"]` | `(sizes[i-1], sizes[i])` |
| `params["b{i}"]`, `grads["b{i}"]` | `(sizes[i],)` |
| `scores`, `dscores` | `(N, sizes[-1])` |

## Forward

With $h_0 = x$, for $i = 1, \dots, L$:

$$z_i = h_{i-1} W_i + b_i, \qquad
h_i = \begin{cases} \operatorname{relu}(z_i) = \max(z_i, 0) & i < L \\ z_i & i = L \end{cases}$$

and the scores are $h_L = z_L$.

## Backward, by the chain rule

`backward(dscores)` receives $\partial \ell / \partial z_L$ = `dscores` and walks
the layers in reverse. Each step is exercise 2's linear layer followed by the
ReLU's derivative:

$$dW_i = h_{i-1}^\top\, dz_i, \qquad db_i = \textstyle\sum_n dz_{i,n\cdot}, \qquad
dh_{i-1} = dz_i\, W_i^\top$$

$$dz_{i-1} = dh_{i-1} \odot \mathbb{1}[z_{i-1} > 0] \qquad (i > 1)$$

The ReLU passes the gradient through where its input was positive and blocks
it where it was negative: the mask $\mathbb{1}[z > 0]$, which equals
$\mathbb{1}[h > 0]$ since $h = \max(z, 0)$. At $z = 0$ exactly the derivative
is undefined; using 0 there is the usual convention. After the first layer,
$dh_0$ is `dx`.

Every parameter gets its gradient: `grads` must contain `W1`, `b1`, ..., `WL`,
`bL` after `backward`.

### What to cache

`backward` only receives `dscores`, so `forward` must keep, for every layer,
its input $h_{i-1}$ (for $dW_i$) and the ReLU mask of the layer below (or its
pre-activation $z$). One variable reused by every layer keeps only the last
layer's values: store a list, one entry per layer.

## One SGD step

Gradient descent moves every parameter against its gradient:

$$\theta \leftarrow \theta - \text{lr} \cdot \frac{\partial \ell}{\partial \theta}$$

`sgd_step(params, grads, lr)` does this for every key, in place
(`p -= lr * g`), so every object that references the same array (the model,
an optimizer, a layer inside the model) sees the new values.

## Traps

- **A ReLU after the last layer.** The scores (logits) must be free to be
  negative; the contract puts ReLUs only between layers.
- **One cache for every layer.** `self.x = h` inside the loop overwrites the
  previous layer's input, so every $dW_i$ but the last is computed from the
  wrong activations. Keep a list.
- **The mask of the wrong layer.** The mask applied to $dh_{i-1}$ comes
  from $z_{i-1}$, the layer *below* $W_i$, not from $z_i$.
- **Missing a layer.** `range(L, 1, -1)` stops before layer 1, so `W1` and
  `b1` keep stale gradients. Check that every key of `params` is in `grads`.
- **Sum over the batch, no 1/N.** As in exercise 2, $dW_i$ and $db_i$ sum
  over the batch; the loss's backward already divided by N.
- **SGD in place and downhill.** `params[k] = params[k] - lr * g` binds a new
  array to the key and leaves the original array, which other objects may
  still use, unchanged: write `params[k] -= lr * g`. Also mind the sign:
  `+=` climbs the loss.
"""

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
        # TODO: create params "W1", "b1", ..., one pair per layer (e.g. W normal with std
        # sqrt(2 / fan_in), b zeros), a grads dict with the same keys, and the per-layer caches.
        raise NotImplementedError("MLP.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the scores of a batch.

        Args:
            x: input of shape (N, sizes[0]).

        Returns:
            Scores of shape (N, sizes[-1]).
        """
        # TODO: apply each layer, with a ReLU after every layer but the last; cache each layer's input.
        raise NotImplementedError("MLP.forward")

    def backward(self, dscores: np.ndarray) -> np.ndarray:
        """Backpropagate ``dscores`` of shape (N, sizes[-1]) through every layer.

        Sets ``grads[f"W{i}"]`` and ``grads[f"b{i}"]`` for every layer.

        Returns:
            dx of shape (N, sizes[0]).
        """
        # TODO: walk the layers from the last to the first: set grads, then apply W.T and the ReLU mask.
        raise NotImplementedError("MLP.backward")


def sgd_step(params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> None:
    """Update every parameter in place: ``params[k] -= lr * grads[k]``.

    Args:
        params: arrays to update, by name; the same array objects are modified.
        grads: gradients with the same keys and shapes as ``params``.
        lr: learning rate.
    """
    # TODO: subtract lr * grads[k] from every params[k], in place.
    raise NotImplementedError("sgd_step")
