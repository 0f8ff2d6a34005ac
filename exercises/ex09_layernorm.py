r"""# Exercise 9: Layer normalisation

Layer normalisation standardises each example over its own features, then
rescales with learned $\gamma$ and $\beta$. For one example (one row) $x$ of
D features:

$$\mu = \frac{1}{D}\sum_d x_d \qquad
\sigma^2 = \frac{1}{D}\sum_d (x_d - \mu)^2 \qquad
\hat x_d = \frac{x_d - \mu}{\sqrt{\sigma^2 + \epsilon}} \qquad
\text{out}_d = \gamma_d\, \hat x_d + \beta_d$$

The input may have any number of leading axes: a batch `(N, D)`, a batch of
sequences `(N, T, D)`... Every position along the leading axes is one row,
normalised on its own. $\sigma^2$ is the biased variance (divided by D), and
$\epsilon$ sits inside the square root.

## Shapes

| name | shape |
|---|---|
| `x`, `out`, `dout`, `dx` | `(..., D)`, e.g. `(N, D)` or `(N, T, D)` |
| `mean`, `var` (one per row) | `(..., 1)` with `keepdims=True` |
| `gamma`, `beta`, their grads | `(D,)` |

## LayerNorm and BatchNorm

The two layers compute the same formula over different axes:

| | BatchNorm1d | LayerNorm |
|---|---|---|
| statistics over | the batch, axis 0, per feature | the features, the last axis, per example |
| one example's output depends on | the other examples of the batch | that example only |
| running statistics | yes, for evaluation | none |
| training and evaluation | differ | identical (no `training` flag) |
| works with a batch of 1 | not in training | yes |

Because each row is normalised with its own statistics, LayerNorm behaves
the same at training and inference and does not care about the batch size,
which is why Transformers (and some recurrent networks) use it. $\gamma$ and $\beta$ are still
per feature, shape `(D,)`, exactly as in BatchNorm.

## Backward, by the chain rule

LayerNorm's backward is BatchNorm's with the roles of the axes swapped: the
sums run over the last axis (the D features of one row) instead of the
batch. Per row, with $s = 1/\sqrt{\sigma^2+\epsilon}$ and
$d\hat x_d = \text{dout}_d\,\gamma_d$:

$$\frac{\partial L}{\partial \sigma^2} = -\frac{s^3}{2}\sum_d d\hat x_d\,(x_d-\mu) \qquad
\frac{\partial L}{\partial \mu} = -s\sum_d d\hat x_d$$

(the path of $\mu$ through $\sigma^2$ vanishes because $\sum_d (x_d-\mu) = 0$), and
each $x_d$ collects the direct path and the two through the statistics, with
$\partial\mu/\partial x_d = 1/D$ and $\partial\sigma^2/\partial x_d = 2(x_d-\mu)/D$:

$$\frac{\partial L}{\partial x_d} = s\,d\hat x_d + \frac{\partial L}{\partial \sigma^2}\frac{2(x_d-\mu)}{D} + \frac{\partial L}{\partial \mu}\frac{1}{D}
= \frac{s}{D}\Big(D\,d\hat x_d - \sum_e d\hat x_e - \hat x_d\sum_e d\hat x_e\,\hat x_e\Big)$$

Vectorized, with every sum over `axis=-1` and `keepdims=True` so that the
`(..., 1)` results broadcast back against `(..., D)`:

```python
dxhat = dout * gamma
dx = (D * dxhat - dxhat.sum(-1, keepdims=True)
      - xhat * (dxhat * xhat).sum(-1, keepdims=True)) / (D * np.sqrt(var + eps))
```

The parameters are shared by every row, so their gradients sum over **all**
the leading axes:

$$\frac{\partial L}{\partial \gamma_d} = \sum_{\text{rows}} \text{dout}_d\,\hat x_d \qquad
\frac{\partial L}{\partial \beta_d} = \sum_{\text{rows}} \text{dout}_d$$

`(dout * xhat).reshape(-1, D).sum(axis=0)` does this for any number of
leading axes.

## Traps

- **The last axis, not axis 0.** `x.mean(axis=0)` is BatchNorm. And not a
  hard-coded `axis=1` either: for `(N, T, D)` input that normalises over `T`.
  Use `axis=-1`.
- **keepdims.** `x - x.mean(axis=-1)` broadcasts the `(N,)` means against
  the last axis: it fails, or is silently wrong when N equals D. Keep the
  statistics as `(..., 1)`.
- **Mean and variance are not constants** in backward: `dx = dout * gamma /
  sqrt(var + eps)` drops two paths of the chain rule.
- **Sum the parameter gradients over every leading axis.** Summing over
  axis 0 only leaves `dgamma` of shape `(T, D)` for `(N, T, D)` input. A mean
  in place of the sum is too small by the number of rows.
- **Biased variance**, `x.var(axis=-1)`; there are no running statistics
  here, so the unbiased variance has no role at all.
- **eps inside the square root**, `sqrt(var + eps)`, as in BatchNorm.
- **Do not modify `x` in place**, and **overwrite `grads`** on every backward.
"""

from __future__ import annotations

import numpy as np


class LayerNorm:
    """Normalise each example over its features (the last axis), then scale by ``gamma`` and shift by ``beta``.

    Attributes:
        params: ``gamma`` (ones) and ``beta`` (zeros), both of shape (D,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-5):
        # TODO: store eps; create params "gamma" (ones) and "beta" (zeros) of shape
        # (normalized_shape,), and a grads dict with the same keys.
        raise NotImplementedError("LayerNorm.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalise ``x`` of shape (..., D) over its last axis with the biased variance.

        Returns:
            Output of shape (..., D): ``gamma * (x - mean) / sqrt(var + eps) + beta``.
        """
        # TODO: normalise each row over the last axis, scale and shift, and keep what backward needs.
        raise NotImplementedError("LayerNorm.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (..., D).

        Sets ``grads["gamma"]`` and ``grads["beta"]`` (D,), summed over every leading axis.

        Returns:
            dx of shape (..., D), including the paths through each row's mean and variance.
        """
        # TODO: set self.grads["gamma"] and self.grads["beta"], return dx.
        raise NotImplementedError("LayerNorm.backward")
