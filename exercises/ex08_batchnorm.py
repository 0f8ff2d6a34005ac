r"""# Exercise 8: Batch normalisation

Batch normalisation standardises every feature over the examples of the
batch, then lets the network rescale it with two learned vectors, $\gamma$
(scale) and $\beta$ (shift). For a batch $x$ of N examples with D features,
feature by feature (column by column):

$$\mu = \frac{1}{N}\sum_n x_n \qquad
\sigma^2 = \frac{1}{N}\sum_n (x_n - \mu)^2 \qquad
\hat x_n = \frac{x_n - \mu}{\sqrt{\sigma^2 + \epsilon}} \qquad
\text{out}_n = \gamma\, \hat x_n + \beta$$

$\sigma^2$ is the *biased* variance (divided by N, what `x.var(axis=0)`
returns), and $\epsilon$ sits *inside* the square root.

## Shapes

| name | shape |
|---|---|
| `x`, `out`, `dout`, `dx` | `(N, D)` |
| `gamma`, `beta`, their grads | `(D,)` |
| `mean`, `var`, `running_mean`, `running_var` | `(D,)` |

## Training and evaluation

The statistics of a batch are only available while training on batches. At
inference a single example must give a deterministic answer, whatever else
is in the batch, so the layer keeps **running statistics**, an exponential
moving average of the batch statistics seen during training:

- `training = True` (the default): normalise with the batch's $\mu$ and
  $\sigma^2$, then update
  `running = (1 - momentum) * running + momentum * batch_stat`.
- `training = False`: normalise with `running_mean` and `running_var`; change
  nothing. The layer is then a fixed affine map of each feature.

Two conventions, both PyTorch's, that other libraries do differently:

- `momentum` is the weight of the **new** value. (Keras's `momentum=0.99` is
  the weight of the old one, and an optimizer's momentum means something else
  again.) With the default 0.1, the running statistics average roughly the
  last 10 batches.
- `running_var` is updated with the **unbiased** variance,
  $\frac{1}{N-1}\sum_n (x_n-\mu)^2$ = `x.var(axis=0, ddof=1)`, because it
  estimates the variance of the whole data set, while the output is
  normalised with the biased one. The two differ by a factor $N/(N-1)$: 2 for
  a batch of 2.

`running_mean` starts at zeros and `running_var` at ones, so a new layer in
evaluation mode returns $\gamma\, x / \sqrt{1 + \epsilon} + \beta$.

## Backward, by the chain rule

The gradients of the parameters are short. $\gamma$ and $\beta$ are shared by
all N examples, so each example adds its share:

$$\frac{\partial L}{\partial \gamma} = \sum_n \text{dout}_n\, \hat x_n \qquad
\frac{\partial L}{\partial \beta} = \sum_n \text{dout}_n$$

The gradient of $x$ is the heart of the exercise. $x_n$ reaches the loss
three ways: directly through $\hat x_n$, and through $\mu$ and $\sigma^2$,
which depend on every example of the batch. Treating $\mu$ and $\sigma^2$ as
constants gives $\text{dout}\,\gamma / \sqrt{\sigma^2+\epsilon}$, which is
wrong.

### The staged graph

Write the forward pass as small steps and walk back through them. Per
feature, with $s = 1/\sqrt{\sigma^2+\epsilon}$ and
$d\hat x_n = \text{dout}_n\, \gamma$:

$$\frac{\partial L}{\partial \sigma^2} = \sum_n d\hat x_n\,(x_n - \mu)\cdot\left(-\tfrac12\right)(\sigma^2+\epsilon)^{-3/2}$$

$$\frac{\partial L}{\partial \mu} = \sum_n d\hat x_n\cdot(-s) \;+\; \frac{\partial L}{\partial \sigma^2}\cdot\frac{1}{N}\sum_n -2(x_n-\mu)$$

The last sum is zero (the deviations from the mean sum to zero), so
$\partial L/\partial \mu = -s\sum_n d\hat x_n$. Each $x_n$ then collects its
three paths, using $\partial \mu/\partial x_n = 1/N$ and
$\partial \sigma^2/\partial x_n = 2(x_n-\mu)/N$:

$$\frac{\partial L}{\partial x_n} = s\, d\hat x_n + \frac{\partial L}{\partial \sigma^2}\,\frac{2(x_n-\mu)}{N} + \frac{\partial L}{\partial \mu}\,\frac{1}{N}$$

### The compact formula

Substitute $x_n - \mu = \hat x_n / s$ and $(\sigma^2+\epsilon)^{-3/2} = s^3$:
$\partial L/\partial \sigma^2 = -\tfrac{s^2}{2}\sum_m d\hat x_m \hat x_m$, so

$$\frac{\partial L}{\partial x_n} = \frac{s}{N}\Big(N\, d\hat x_n - \sum_m d\hat x_m - \hat x_n \sum_m d\hat x_m\, \hat x_m\Big)$$

and, vectorized over the batch (sums over axis 0):

```python
dxhat = dout * gamma
dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * np.sqrt(var + eps))
```

Both forms are correct; the staged one is easier to derive, the compact one
needs only `xhat` and `1 / sqrt(var + eps)` from the forward pass. A check
on the result: every column of `dx` sums to zero, because adding the same
number to a whole column of `x` moves the mean with it and leaves `out`
unchanged.

## Where eps goes

$\epsilon$ keeps the division finite when a feature is constant over the
batch. The contract (like PyTorch) divides by $\sqrt{\sigma^2+\epsilon}$.
$\sqrt{\sigma^2} + \epsilon$ also avoids the division by zero but computes a
different function, with a different gradient; the results differ by about
$\epsilon/\sigma - \epsilon/(2\sigma^2)$ relative ($\epsilon/2$ for a unit
variance), far above the grader's tolerance, and more with a larger `eps`
such as 0.1.

## Traps

- **Mean and variance are not constants.** They are computed from `x`, so
  `dx` has paths through them. `dx = dout * gamma / sqrt(var + eps)` is the
  most common wrong answer, and central differences catch it at once.
- **Biased for the output, unbiased for `running_var`.** Normalise with
  `x.var(axis=0)`; update `running_var` with `x.var(axis=0, ddof=1)`.
  Normalising with the unbiased variance, or updating with the biased one,
  are both wrong here.
- **Momentum weighs the new value.** `running = (1 - momentum) * running +
  momentum * batch_stat`, not the other way round, and use the constructor's
  `momentum`, not a hard-coded 0.1.
- **Evaluation mode changes nothing.** With `training = False`, use the
  running statistics and do not update them; compute no batch statistics at
  all (a batch of one example has no variance to estimate).
- **Training needs N >= 2.** The unbiased variance divides by N - 1; PyTorch
  raises an error for a training batch of one example.
- **eps inside the square root**, as above.
- **Sum over the batch in `dgamma` and `dbeta`.** Both have shape `(D,)`; a
  mean over the batch is N times too small. `dgamma` uses the normalised
  `xhat`, not `x`.
- **The 1/N of the compact formula.** Forgetting it makes `dx` N times too
  large.
- **Do not modify `x` in place.** `x -= mean` changes the caller's array;
  write `xc = x - mean`.
- **Overwrite `grads`** on every backward (`=`, not `+=`).
"""

from __future__ import annotations

import numpy as np


class BatchNorm1d:
    """Normalise each feature over the batch, then scale by ``gamma`` and shift by ``beta``.

    Attributes:
        params: ``gamma`` (ones) and ``beta`` (zeros), both of shape (D,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
        running_mean: moving average of the batch means, shape (D,), starts at zeros.
        running_var: moving average of the unbiased batch variances, shape (D,), starts at ones.
        training: True to normalise with the batch statistics (and update the
            running ones), False to normalise with the running statistics.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        # TODO: store eps and momentum; create params "gamma" (ones) and "beta" (zeros) of shape
        # (num_features,), a grads dict with the same keys, running_mean (zeros), running_var
        # (ones) and training = True.
        raise NotImplementedError("BatchNorm1d.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Normalise ``x`` of shape (N, D) feature by feature.

        In training mode the statistics are the batch mean and the biased batch
        variance (N >= 2), and the running statistics move towards the batch's
        mean and unbiased variance by ``momentum``. In evaluation mode the
        running statistics are used and left unchanged.

        Returns:
            Output of shape (N, D): ``gamma * (x - mean) / sqrt(var + eps) + beta``.
        """
        # TODO: pick the statistics by self.training (updating the running ones in training),
        # normalise, scale and shift, and keep what backward needs.
        raise NotImplementedError("BatchNorm1d.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` of shape (N, D) through the training-mode forward.

        Sets ``grads["gamma"]`` and ``grads["beta"]`` (D,), summed over the batch.

        Returns:
            dx of shape (N, D), including the paths through the batch mean and variance.
        """
        # TODO: set self.grads["gamma"] and self.grads["beta"], return dx.
        raise NotImplementedError("BatchNorm1d.backward")
