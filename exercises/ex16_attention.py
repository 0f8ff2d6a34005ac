r"""# Exercise 16: Attention

Attention lets every query position read a weighted average of value
vectors, where the weights say how well the query matches each key. Scaled
dot-product attention is

$$\text{out} = \operatorname{softmax}\!\left(\frac{q k^\top}{\sqrt{d}}\right) v$$

with the softmax taken over the keys. Multi-head attention runs several of
these side by side on learned projections of the same input.

## Shapes

| name | shape |
|---|---|
| `q` | `(N, Tq, d)`: `Tq` queries of size `d` per example |
| `k` | `(N, Tk, d)`: `Tk` keys, the same size `d` as the queries |
| `v` | `(N, Tk, dv)`: one value per key, of any size `dv` |
| `mask` | booleans broadcastable to `(N, Tq, Tk)`, `True` where query `i` may attend to key `j` |
| scores `s`, weights `p` | `(N, Tq, Tk)` |
| `out`, `dout` | `(N, Tq, dv)` |

A mask of shape `(Tq, Tk)` is shared by the whole batch (a causal mask); one
of shape `(N, 1, Tk)` masks the same keys for every query of an example
(padding).

## Forward

$$s = \frac{q k^\top}{\sqrt d}, \qquad
s_{ij} = -\infty \text{ where } \text{mask}_{ij} \text{ is False}, \qquad
p_{ij} = \frac{e^{s_{ij}}}{\sum_l e^{s_{il}}}, \qquad
\text{out} = p\, v$$

**Why $1/\sqrt d$.** With query and key entries of unit variance, $q \cdot k$
is a sum of $d$ products and has variance $d$. Dividing by $\sqrt d$ keeps the
scores near unit size, so the softmax does not saturate into a one-hot
vector whose gradient is almost zero.

**Stable softmax.** $e^{s}$ overflows for $s > 709$. Because
$\operatorname{softmax}(s) = \operatorname{softmax}(s - c)$ for any constant
$c$ in a row, subtract the row maximum first: the largest term becomes
$e^0 = 1$ and nothing overflows.

**Masks go before the softmax.** A score of $-\infty$ gets weight
$e^{-\infty} = 0$ exactly, and the allowed keys share the whole weight of 1.
`np.where(mask, s, -np.inf)` does it, and a large negative finite number
such as `-1e9` works as well. The row maximum is then taken over the
allowed keys; a row with no allowed key would be all $-\infty$ and give
NaN, which is why every query needs at least one allowed key.

## Backward

Take `dout` $= \partial L / \partial\, \text{out}$, shape `(N, Tq, dv)`. Each
example is independent, so write one example's matrices.

**Through $\text{out} = p v$**, a matrix product:

$$dp = \text{dout}\, v^\top \;\; (Tq, Tk), \qquad dv = p^\top \text{dout} \;\; (Tk, dv)$$

**Through the softmax**, row by row. With
$\partial p_j / \partial s_l = p_j (\delta_{jl} - p_l)$:

$$ds_l = \sum_j dp_j\, p_j (\delta_{jl} - p_l) = p_l \Big(dp_l - \sum_j dp_j\, p_j\Big)
\quad\Rightarrow\quad ds = p \odot \big(dp - \textstyle\sum_j (dp \odot p)_{\cdot j}\big)$$

The sum runs over the keys (the last axis, `keepdims=True`). This is the
Jacobian-vector product: the $Tk \times Tk$ Jacobian is never built. Masked
entries have $p = 0$, so their $ds$ is 0 without applying the mask again.

**Through the scores** $s = c\, q k^\top$ with $c = 1/\sqrt d$:

$$dq = c\; ds\, k \;\; (Tq, d), \qquad dk = c\; ds^\top q \;\; (Tk, d)$$

For a batch, transpose only the last two axes: `k.transpose(0, 2, 1)` or
`np.swapaxes(k, -1, -2)`.

## Multi-head attention

Self-attention on `x` of shape `(N, T, E)` with `H = num_heads` heads of
size `Dh = E // H`:

1. Project: $q = x W_q + b_q$, $k = x W_k + b_k$, $v = x W_v + b_v$, each `(N, T, E)`.
2. Split: head `h` takes features `h*Dh` to `(h+1)*Dh`.
   `a.reshape(N, T, H, Dh).transpose(0, 2, 1, 3)` gives `(N, H, T, Dh)`;
   reshape it to `(N*H, T, Dh)` to reuse the attention above.
3. Attend in every head; with `causal=True` the mask is
   `np.tril(np.ones((T, T), dtype=bool))`, so position `t` sees keys `j <= t`.
4. Merge: the inverse of step 2 gives `concat` `(N, T, E)`, the heads in order.
5. Project: $\text{out} = \text{concat}\, W_o + b_o$.

Backward runs the steps in reverse. Step 5 is a linear layer:
$dW_o = \text{concat}^\top \text{dout}$ and $db_o = \sum \text{dout}$ over the
batch and the positions, and $d\,\text{concat} = \text{dout}\, W_o^\top$. Split
$d\,\text{concat}$ into heads, run the attention backward, and merge $dq$,
$dk$, $dv$ back to `(N, T, E)`. Each projection of step 1 is a linear layer
too: $dW_q = x^\top dq$ and $db_q = \sum dq$ (likewise for `k` and `v`). `x`
feeds all three projections, so its gradient is the sum of three paths:

$$dx = dq\, W_q^\top + dk\, W_k^\top + dv\, W_v^\top$$

One gradient is zero whatever the input: $b_k$ adds $q_i \cdot b_k$ to every
score in row $i$, a constant the softmax ignores, so $db_k = 0$ up to rounding.

## Traps

- **The softmax runs over the keys**, the last axis of the scores. Over any
  other axis the weights of a query no longer sum to 1.
- **`k.T` on a 3-D array reverses all three axes.** Transpose only the last
  two.
- **The scale is $1/\sqrt d$, with `d = q.shape[-1]`**, not the value size
  `dv`. It appears in `dq` and `dk` too: both come through the scaled scores.
- **Mask the scores, not the weights.** `s * mask` gives masked keys a score
  of 0, which still has weight. Zeroing weights after a softmax over all keys
  leaves rows that do not sum to 1, and renormalising them fails when a
  masked key has the largest score: the allowed weights underflow to 0 and
  0 / 0 is NaN.
- **Subtract the row maximum before `exp`.** Scores in the hundreds are
  normal with large inputs; the naive softmax returns NaN for them.
- **The softmax derivative is not `p * (1 - p) * dp`.** That keeps only the
  diagonal of the Jacobian; the off-diagonal terms $-p_j p_l$ give the
  subtracted sum.
- **Splitting heads needs the transpose.** `q.reshape(N * H, T, Dh)` without
  it mixes positions of different heads, and `reshape(N, T, Dh, H)` takes
  interleaved features instead of contiguous blocks.
- **`causal=True` is the lower triangle** (`np.tril`): a query sees its own
  position and earlier ones, never later ones.
- **Do not scale or mask the inputs in place.** `q /= np.sqrt(d)` changes the
  caller's `q`; write `q = q / np.sqrt(d)` or scale the scores.
- **Overwrite `grads`.** Every `backward` sets each of the eight gradients
  anew.
"""

from __future__ import annotations

import numpy as np


class ScaledDotProductAttention:
    """``softmax(q @ k^T / sqrt(d)) @ v`` over a batch, with an optional mask of allowed keys.

    Attributes:
        params: empty, the layer has no learnable parameters.
        grads: empty.
    """

    def __init__(self):
        # TODO: set self.params and self.grads to empty dicts.
        raise NotImplementedError("ScaledDotProductAttention.__init__")

    def forward(self, q: np.ndarray, k: np.ndarray, v: np.ndarray,
                mask: np.ndarray | None = None) -> np.ndarray:
        """Attend from every query to the allowed keys and average their values.

        Args:
            q: queries of shape (N, Tq, d).
            k: keys of shape (N, Tk, d).
            v: values of shape (N, Tk, dv).
            mask: booleans broadcastable to (N, Tq, Tk), True where query i may attend
                to key j; None allows every key. Each query needs at least one allowed key.

        Returns:
            Output of shape (N, Tq, dv).
        """
        # TODO: scaled scores, masked to -inf, stable softmax over the keys, weighted sum of v;
        # keep what backward needs.
        raise NotImplementedError("ScaledDotProductAttention.forward")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Backpropagate ``dout`` of shape (N, Tq, dv).

        Returns:
            (dq, dk, dv) with the shapes of q (N, Tq, d), k (N, Tk, d) and v (N, Tk, dv).
        """
        # TODO: dv and dp from out = p @ v, ds from the softmax's Jacobian-vector product,
        # then dq and dk through the scaled scores.
        raise NotImplementedError("ScaledDotProductAttention.backward")


class MultiHeadAttention:
    """Multi-head self-attention over sequences of ``embed_dim`` features.

    Attributes:
        params: ``Wq``, ``Wk``, ``Wv``, ``Wo`` of shape (E, E) and ``bq``, ``bk``, ``bv``, ``bo``
            of shape (E,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, embed_dim: int, num_heads: int, rng: np.random.Generator | None = None):
        # TODO: check that num_heads divides embed_dim; create params "Wq", "Wk", "Wv", "Wo"
        # (e.g. uniform on +-1/sqrt(embed_dim)) and "bq", "bk", "bv", "bo" (zeros), and grads.
        raise NotImplementedError("MultiHeadAttention.__init__")

    def forward(self, x: np.ndarray, causal: bool = False) -> np.ndarray:
        """Project ``x`` to queries, keys and values, attend in every head, merge and project.

        Args:
            x: input of shape (N, T, E).
            causal: if True, position t attends only to positions <= t.

        Returns:
            Output of shape (N, T, E).
        """
        # TODO: project, split into heads, attend (with a causal mask if asked), merge, project.
        raise NotImplementedError("MultiHeadAttention.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, T, E).

        Sets every entry of ``grads``, summed over the batch and the positions.

        Returns:
            dx of shape (N, T, E).
        """
        # TODO: reverse the forward's steps; set all eight grads and return dx.
        raise NotImplementedError("MultiHeadAttention.backward")
