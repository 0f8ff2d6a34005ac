r"""# Exercise 11: Conv2d

A 2-D convolution layer slides `C_out` small filters over an image and, at
every position, takes the dot product of a filter with the patch under it.
Deep-learning libraries (PyTorch's `nn.Conv2d` among them) do **not** flip
the filter, so what they call convolution is, strictly, a
**cross-correlation**. This exercise follows them. With the input
zero-padded by $p_H$ rows and $p_W$ columns on each side ($\tilde x$) and
stride $(s_H, s_W)$:

$$\text{out}_{n,o,i,j} = b_o + \sum_{c=0}^{C_\text{in}-1} \sum_{p=0}^{k_H-1} \sum_{q=0}^{k_W-1}
W_{o,c,p,q}\; \tilde x_{n,\,c,\; i s_H + p,\; j s_W + q}$$

`kernel_size`, `stride` and `padding` are each an int (the same on both
axes) or a pair `(height, width)`.

## Shapes

| name | shape |
|---|---|
| `x`, `dx` | `(N, C_in, H, W)` |
| `W`, `grads["W"]` | `(C_out, C_in, kH, kW)` |
| `b`, `grads["b"]` | `(C_out,)` |
| `out`, `dout` | `(N, C_out, H_out, W_out)` |

A window fits wherever its top row lies in
$0, s_H, 2 s_H, \dots$ and its last row stays inside the padded input, so

$$H_\text{out} = \left\lfloor \frac{H + 2 p_H - k_H}{s_H} \right\rfloor + 1,
\qquad W_\text{out} = \left\lfloor \frac{W + 2 p_W - k_W}{s_W} \right\rfloor + 1 .$$

When $s_H$ does not divide $H + 2p_H - k_H$, the last rows of the padded
input are read by no window at all.

## Forward with im2col

Four nested loops over `n, o, i, j` compute the formula directly, but every
iteration runs in the Python interpreter. **im2col** turns the whole layer
into one matrix product. Copy every window into a row of a matrix:

$$\text{cols} \in \mathbb{R}^{(N H_\text{out} W_\text{out}) \times (C_\text{in} k_H k_W)},
\qquad \text{out\_rows} = \text{cols}\; W_\text{mat}^\top + b,$$

with $W_\text{mat}$ = `W.reshape(C_out, -1)`, then reshape `out_rows` to
`(N, H_out, W_out, C_out)` and move the channel axis forward. numpy builds
the windows without copying: `sliding_window_view(x_pad, (kH, kW),
axis=(2, 3))[:, :, ::sH, ::sW]` is a view of shape `(N, C_in, H_out, W_out,
kH, kW)`; the reshape into `cols` is where the copy happens.

**The cost.** The multiply-adds are the same as with loops,
$N H_\text{out} W_\text{out} \cdot C_\text{out} C_\text{in} k_H k_W$, but they
run in one BLAS call. The price is memory: with stride 1 every input entry is
copied into up to $k_H k_W$ rows, so `cols` is about $k_H k_W$ times the size
of the input (9 times for a 3 x 3 kernel).

## Backward, by the chain rule

Write $\delta_{n,o,i,j}$ for `dout`. Each parameter and input entry reaches
the loss through every output that uses it, so its gradient sums over those
outputs.

**Bias.** $b_o$ is added to every output of channel $o$, in every example:

$$\frac{\partial L}{\partial b_o} = \sum_{n,i,j} \delta_{n,o,i,j}
\quad\Rightarrow\quad db = \text{dout.sum(axis=(0, 2, 3))} \;\; (C_\text{out},)$$

**Weights.** $W_{o,c,p,q}$ multiplies $\tilde x_{n,c,i s_H + p, j s_W + q}$
in $\text{out}_{n,o,i,j}$:

$$\frac{\partial L}{\partial W_{o,c,p,q}} = \sum_{n,i,j} \delta_{n,o,i,j}\;
\tilde x_{n,\,c,\; i s_H + p,\; j s_W + q}$$

This is the cross-correlation of the padded input with `dout` (no flip). In
im2col form it is one product: $dW_\text{mat} = \text{dout\_rows}^\top\,
\text{cols}$, with `dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1,
C_out)`, reshaped to the shape of `W`.

**Input.** Entry $(h, w)$ of $\tilde x$ sits at offset
$(p, q) = (h - i s_H,\; w - j s_W)$ in every window $(i, j)$ that covers it:

$$\frac{\partial L}{\partial \tilde x_{n,c,h,w}} = \sum_{o}\;
\sum_{\substack{i, j:\; 0 \le h - i s_H < k_H \\ 0 \le w - j s_W < k_W}}
\delta_{n,o,i,j}\; W_{o,\,c,\; h - i s_H,\; w - j s_W}$$

With stride 1 the kernel index is $h - i$: the *difference* of two indices,
which makes this a true convolution of `dout` with `W`. Written as a
cross-correlation, it is the **full** cross-correlation of `dout` (padded
by $k - 1$ on each side) with the kernel **flipped** by 180 degrees,
`W[:, :, ::-1, ::-1]`, summed over `o`. With stride $s > 1$, first spread
`dout` out with $s - 1$ zeros between its entries. Finally, the padding
entries of $\tilde x$ are not inputs, so crop them:

$$dx = d\tilde x\,[:, :, p_H : p_H + H,\; p_W : p_W + W].$$

In im2col form: $d\text{cols} = \text{dout\_rows}\; W_\text{mat}$, then
**col2im** sends each column back to the input entry it was copied from.
Loop over the $k_H k_W$ kernel offsets (not over examples or positions):

```python
for p in range(kH):
    for q in range(kW):
        dx_pad[:, :, p:p + sH*(H_out-1) + 1:sH, q:q + sW*(W_out-1) + 1:sW] += dcols_pq
```

where `dcols_pq` is offset $(p, q)$'s slice of `dcols`, as `(N, C_in, H_out,
W_out)`. Windows overlap when the stride is smaller than the kernel, so an
entry collects gradient from several windows: that is why the loop adds.

## Traps

- **Flipping the kernel.** The textbook convolution (and
  `scipy.signal.convolve2d`) flips the kernel; `nn.Conv2d` and this
  exercise do not. The only flip in the whole layer is in the
  full-convolution form of `dx`, and the im2col form needs none. A flip in
  forward or in `dW`, or a missing flip in that `dx` formula, gives wrong
  values.
- **Padding only the spatial axes.** `np.pad(x, p)` pads the batch and
  channel axes as well; write `np.pad(x, ((0, 0), (0, 0), (pH, pH), (pW,
  pW)))`.
- **Cropping the padding off dx.** Backward works on the padded input, but
  `dx` must have the shape of `x`. Crop with `pH:pH + H`, not `pH:-pH`: with
  no padding, `0:-0` is an empty slice.
- **Stride in backward.** Output $(i, j)$ sends its gradient back to the
  window that starts at $(i s_H, j s_W)$, so the col2im slices step by the
  stride. Rows and columns that no window reads get a gradient of 0.
- **Adding at overlaps.** Assigning (`=`) in col2im keeps only the last
  window's contribution where windows overlap; add with `+=`.
- **Sums, not means.** `db` and `dW` sum over the batch and over every
  output position; the 1/N of a mean loss belongs to the loss's backward.
- **The output size.** Floor division, the `+ 1`, and the padding counted on
  both sides: `(H + 2*pH - kH) // sH + 1`.
- **Caches and grads.** Keep what backward needs (the padded input or
  `cols`); do not modify `x` or `dout` in place; set `grads` with `=` in
  every backward call.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """Return ``(value, value)`` for an int, or the two entries of a pair."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


class Conv2d:
    """2-D cross-correlation of ``x`` with ``C_out`` filters, plus a bias per filter.

    ``out[n, o, i, j] = b[o] + sum_{c, p, q} W[o, c, p, q] * x_pad[n, c, i*sH + p, j*sW + q]``,
    where ``x_pad`` is ``x`` with ``padding`` zeros on each side of both spatial axes.

    Attributes:
        params: ``W`` of shape (C_out, C_in, kH, kW) and ``b`` of shape (C_out,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 rng: np.random.Generator | None = None):
        # TODO: store kernel_size, stride and padding as pairs (see _pair); create params "W"
        # (e.g. uniform on +-1/sqrt(C_in * kH * kW)) and "b" (zeros), and a grads dict with the same keys.
        raise NotImplementedError("Conv2d.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Correlate ``x`` with every filter.

        Args:
            x: input of shape (N, C_in, H, W).

        Returns:
            Output of shape (N, C_out, H_out, W_out), where
            ``H_out = (H + 2 * padding_h - kH) // stride_h + 1`` and likewise ``W_out``.
        """
        # TODO: pad x, build the windows (or cols), compute the output and keep what backward needs.
        raise NotImplementedError("Conv2d.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, C_out, H_out, W_out).

        Sets ``grads["W"]`` (C_out, C_in, kH, kW) and ``grads["b"]`` (C_out,),
        summed over the batch and every output position.

        Returns:
            dx of shape (N, C_in, H, W).
        """
        # TODO: set self.grads["W"] and self.grads["b"], return dx with the padding cropped off.
        raise NotImplementedError("Conv2d.backward")
