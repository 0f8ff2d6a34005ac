r"""# Exercise 12: Pooling

A pooling layer shrinks each channel of an image by summarising small
windows: **max pooling** keeps each window's largest entry, **average
pooling** its mean. Both look at `k x k` windows that start every `stride`
rows and columns; `stride` defaults to `kernel_size`, and there is no
padding. Channels and examples are pooled independently, and neither layer
has parameters.

Window $(i, j)$ covers rows $i s \dots i s + k - 1$ and columns
$j s \dots j s + k - 1$:

$$\text{max: } \text{out}_{n,c,i,j} = \max_{0 \le p, q < k} x_{n,\,c,\; i s + p,\; j s + q}
\qquad
\text{avg: } \text{out}_{n,c,i,j} = \frac{1}{k^2} \sum_{p=0}^{k-1} \sum_{q=0}^{k-1} x_{n,\,c,\; i s + p,\; j s + q}$$

## Shapes

| name | shape |
|---|---|
| `x`, `dx` | `(N, C, H, W)` |
| `out`, `dout` | `(N, C, H_out, W_out)` |

$$H_\text{out} = \left\lfloor \frac{H - k}{s} \right\rfloor + 1, \qquad
W_\text{out} = \left\lfloor \frac{W - k}{s} \right\rfloor + 1 .$$

Three regimes of the stride matter for backward:

- $s = k$ (the default): the windows sit side by side; when $s$ does not
  divide $H - k$, the last rows are read by no window.
- $s < k$: windows **overlap**, and an entry belongs to several windows.
- $s > k$: windows leave **gaps**, rows and columns that no window reads.

`numpy.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :,
::s, ::s]` is a view of every window, shape `(N, C, H_out, W_out, k, k)`,
built without copying `x`; `.max(axis=(-2, -1))` or `.mean(axis=(-2, -1))`
then gives the output.

## Backward, by the chain rule

An entry $x_e$ (write $e = (n, c, h, w)$) reaches the loss through every
output whose window contains it, so

$$\frac{\partial L}{\partial x_e} = \sum_{(i, j)\,:\; e \in \text{window}(i, j)}
\text{dout}_{n,c,i,j}\; \frac{\partial\, \text{out}_{n,c,i,j}}{\partial x_e}.$$

The sum runs over *every* window that contains $e$. Without overlaps it has
at most one term; with overlaps it has several, and they **add up**.

**Average pooling.** Each entry counts $1/k^2$ in its window's mean:
$\partial\, \text{out}_{n,c,i,j} / \partial x_e = 1/k^2$ for every $e$ in
the window. A window spreads its gradient evenly:

$$dx_{n,c,h,w} = \frac{1}{k^2} \sum_{(i, j)\,:\; (h, w) \in \text{window}(i, j)} \text{dout}_{n,c,i,j}.$$

**Max pooling.** Near a point where the window's maximum is unique, the
output *is* that one entry, $\text{out}_{n,c,i,j} = x_{n,c,h^*,w^*}$, so its
derivative is 1 for the maximum and 0 for every other entry. A window
**routes** its whole gradient to its maximum:

$$dx_{n,c,h,w} = \sum_{(i, j)\,:\; (h, w) = (h^*_{ij}, w^*_{ij})} \text{dout}_{n,c,i,j}.$$

Store the position of each maximum in forward (`argmax` over the flattened
window, then `divmod(index, k)` gives the offset $(p, q)$ in the window) and
scatter `dout` back to it in backward.

**Ties.** When several entries share the maximum, the maximum is not
differentiable there. Any one of the tied entries is a valid choice (a
subgradient). This exercise accepts any rule that gives each window's whole
gradient to exactly **one** of its tied entries, and `argmax` picks the
first. Giving it to all of them multiplies the gradient.

**Vectorized scatter.** Loop over the $k^2$ offsets of a window, not over
examples or positions. For offset $(p, q)$, the entries it reads from all
windows form a strided slice of `x`:

```python
for p in range(k):
    for q in range(k):
        dx[:, :, p:p + s*(H_out-1) + 1:s, q:q + s*(W_out-1) + 1:s] += grad_pq
```

where `grad_pq` is `dout / k**2` for average pooling, and `dout` where the
window's maximum is at $(p, q)$ (else 0) for max pooling. `np.add.at` does
the same with index arrays.

## Traps

- **Overwriting at overlaps.** With $s < k$, `dx[...] = ...` inside the
  scatter keeps only the last window's gradient at entries that belong to
  several windows; the correct gradient is the sum, so use `+=` (or
  `np.add.at`; fancy-index `dx[idx] += g` also loses repeated indices).
- **All tied entries.** A mask `window == window.max()` marks every tied
  entry, and each receives the full gradient; keep exactly one.
- **The default stride** is `kernel_size`, not 1.
- **Upsampling shortcuts.** `np.repeat(np.repeat(dout, k, 2), k, 3) / k**2`
  is correct only when $s = k$ and the windows cover the whole input; it
  breaks with overlaps, gaps and leftover rows.
- **Entries outside every window** (gaps, leftover rows and columns) get a
  gradient of exactly 0; start `dx` from `np.zeros(x.shape)`.
- **The factor $1/k^2$** of average pooling belongs in backward too.
- **In-place edits.** `dout /= k * k` changes the caller's array; compute
  `dout / (k * k)` instead. Do not write into `x` either.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class MaxPool2d:
    """Maximum over each ``kernel_size x kernel_size`` window, moved by ``stride``; no padding.

    Attributes:
        params: empty, the layer has no parameters.
        grads: empty.
    """

    def __init__(self, kernel_size: int, stride: int | None = None):
        # TODO: store kernel_size and stride (kernel_size when None), and empty params and grads dicts.
        raise NotImplementedError("MaxPool2d.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Take the maximum of each window.

        Args:
            x: input of shape (N, C, H, W).

        Returns:
            Output of shape (N, C, H_out, W_out), ``H_out = (H - k) // stride + 1``, likewise ``W_out``.
        """
        # TODO: compute each window's maximum and keep where it was for backward.
        raise NotImplementedError("MaxPool2d.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, C, H_out, W_out).

        Each window's gradient goes to the entry that was its maximum.

        Returns:
            dx of shape (N, C, H, W).
        """
        # TODO: route each window's dout to its maximum, adding where windows overlap.
        raise NotImplementedError("MaxPool2d.backward")


class AvgPool2d:
    """Mean over each ``kernel_size x kernel_size`` window, moved by ``stride``; no padding.

    Attributes:
        params: empty, the layer has no parameters.
        grads: empty.
    """

    def __init__(self, kernel_size: int, stride: int | None = None):
        # TODO: store kernel_size and stride (kernel_size when None), and empty params and grads dicts.
        raise NotImplementedError("AvgPool2d.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Average each window.

        Args:
            x: input of shape (N, C, H, W).

        Returns:
            Output of shape (N, C, H_out, W_out), ``H_out = (H - k) // stride + 1``, likewise ``W_out``.
        """
        # TODO: compute each window's mean and keep the input shape for backward.
        raise NotImplementedError("AvgPool2d.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, C, H_out, W_out).

        Each window spreads its gradient evenly, ``dout / k**2``, over its entries.

        Returns:
            dx of shape (N, C, H, W).
        """
        # TODO: spread dout / k**2 over each window, adding where windows overlap.
        raise NotImplementedError("AvgPool2d.backward")
