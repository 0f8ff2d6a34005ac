r"""# Exercise 15: Embedding

An embedding layer turns integer tokens (word ids, item ids, positions) into
learned vectors. It keeps a table `W` with one row per token and looks rows
up:

$$\text{out}[\dots] = W[\text{indices}[\dots]]$$

## Shapes

| name | shape |
|---|---|
| `indices` | integers of any shape `(...)`: `(N,)`, `(N, T)`, even `()` for one index |
| `W` | `(V, D)`: `V = num_embeddings` rows of `D = embedding_dim` entries |
| `out`, `dout` | `(..., D)`: the shape of `indices` plus a last axis of size `D` |
| `grads["W"]` | `(V, D)` |

Numpy's integer-array indexing does the forward in one line: `W[indices]`
has shape `indices.shape + (D,)` for any shape of `indices`.

## The lookup is a matrix product with one-hot rows

Flatten the indices to $M$ positions and write position $m$ as a one-hot row
$x_m \in \{0, 1\}^V$, with a single 1 at column $i_m$. Then
$x_m W = W_{i_m}$, so stacking the rows into $X$ of shape $(M, V)$:

$$\text{out} = X W$$

This is exercise 2's linear layer without a bias, and its weight gradient is
$dW = X^\top \text{dout}$. Entry by entry:

$$\frac{\partial L}{\partial W_{vj}} = \sum_m X_{mv}\, \text{dout}_{mj}
= \sum_{m \,:\, i_m = v} \text{dout}_{mj}$$

Row $v$ of $dW$ is the sum of the upstream gradients of every position that
looked up token $v$. A token used three times gets three contributions; a
token never used gets a zero row.

## Backward as scatter-add

Building $X$ costs $M \times V$ numbers (a vocabulary of 50,000 tokens makes
that huge) and almost all of them are zero. The sum above only needs to
**scatter** each row of `dout` into the row of $dW$ its index names, and
**add** when two positions share an index:

```python
dW = np.zeros_like(W)
np.add.at(dW, indices, dout)   # dW[indices[m]] += dout[m], for every m in turn
```

`np.add.at` accepts `indices` of any shape, with `dout` of shape
`indices.shape + (D,)`.

The indices are integers: the loss is piecewise constant in them, so there is
no gradient to return and `backward` returns `None`.

## Traps

- **`dW[indices] += dout` loses repeated indices.** Numpy evaluates it as
  `dW[indices] = dW[indices] + dout`: it reads every selected row once, adds,
  then writes the rows back, and for a repeated index each write overwrites
  the last. Only one contribution survives. `dW[indices] = dout` has the same
  problem. Use `np.add.at`, which is unbuffered, or an explicit loop.
- **Start from zeros on every `backward`.** `grads["W"]` is overwritten by each
  call. Adding into the previous call's array accumulates. Zeroing only the
  rows this call uses leaves stale values in the rows that the previous call
  used and this one does not.
- **Any shape of indices.** `(N, T)` token ids give `dout` of shape
  `(N, T, D)`; a single index of shape `()` gives `(D,)`. If you flatten, use
  `indices.reshape(-1)` and `dout.reshape(-1, D)`, and give `out` the shape
  `indices.shape + (D,)`.
- **Do not change the caller's indices.** `indices.shape = (-1,)` or
  `indices.sort()` modify the array the caller still owns; `reshape` and
  `np.sort` return new arrays.
- **Sum, not mean.** Each position contributes its full `dout`; any average
  over the batch belongs in the loss.
"""

from __future__ import annotations

import numpy as np


class Embedding:
    """Lookup table that maps each integer index to a learned row of ``W``.

    Attributes:
        params: ``W`` of shape (num_embeddings, embedding_dim), one row per index.
        grads: gradient of the loss with respect to ``W``, set by ``backward``.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, rng: np.random.Generator | None = None):
        # TODO: create params "W" of shape (num_embeddings, embedding_dim) (e.g. standard normal),
        # and a grads dict with the same key.
        raise NotImplementedError("Embedding.__init__")

    def forward(self, indices: np.ndarray) -> np.ndarray:
        """Look up the rows of ``W`` for every index.

        Args:
            indices: integer array of any shape (...), each entry in [0, num_embeddings).

        Returns:
            Output of shape (..., embedding_dim): ``out[i] = W[indices[i]]``.
        """
        # TODO: look up the rows and keep the indices for backward.
        raise NotImplementedError("Embedding.forward")

    def backward(self, dout: np.ndarray) -> None:
        """Backpropagate ``dout`` of shape (..., embedding_dim) into ``grads["W"]``.

        Row ``v`` of ``grads["W"]`` is the sum of ``dout`` over every position
        whose index is ``v``, and zero for indices that were not looked up.
        The indices are not differentiable, so nothing is returned.
        """
        # TODO: scatter-add dout into a zero array of W's shape and store it in self.grads["W"].
        raise NotImplementedError("Embedding.backward")
