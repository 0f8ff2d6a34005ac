r"""# Exercise 6: Initialization

A deep network trains only if a signal can cross it: the activations going
forward and the gradients going backward must keep roughly their scale from
layer to layer. The scale of the initial weights decides that. This exercise
derives the two standard choices and adds gradient clipping, the usual guard
against gradients that explode anyway.

## Shapes and conventions

| name | shape |
|---|---|
| `W` from `xavier_uniform(fan_in, fan_out)`, `kaiming_normal(fan_in, fan_out)` | `(fan_in, fan_out)`, used as `x @ W` |
| `grads` of `clip_grad_norm` | a dict of arrays of any shapes |

`fan_in` is the number of inputs of a layer (the rows of `W` here; PyTorch
stores the transpose, `(out, in)`), and `fan_out` the number of outputs.
Both initializers take `rng`, a `numpy.random.Generator`, and draw all their
random numbers from it; `rng=None` means a fresh `np.random.default_rng()`.

## Variance through one layer

Take $y_j = \sum_{i=1}^{\text{fan\_in}} x_i W_{ij}$ with weights drawn
independently of the inputs, with mean 0. Each term has variance
$\text{Var}(W)\, E[x_i^2]$ and the terms are uncorrelated, so

$$\text{Var}(y_j) = \text{fan\_in} \cdot \text{Var}(W) \cdot E[x^2].$$

Backward, $dx_i = \sum_{j=1}^{\text{fan\_out}} W_{ij}\, dy_j$, so
$\text{Var}(dx) = \text{fan\_out} \cdot \text{Var}(W) \cdot \text{Var}(dy)$.

## Why deep networks vanish or explode

Stack $L$ layers and the variances multiply: after $L$ layers the signal's
variance has been scaled by $(\text{fan\_in} \cdot \text{Var}(W) \cdot c)^L$,
where $c$ is what the activation does to the second moment. A per-layer
factor of $1/2$ over 32 layers is $2^{-32} \approx 2 \times 10^{-10}$: the
activations and the gradients vanish, and the first layers stop learning. A
factor of 2 makes them explode to $4 \times 10^{9}$. Only a factor close to 1
lets the signal through, which fixes $\text{Var}(W)$.

## Xavier (Glorot) initialization

For tanh, which is close to the identity near 0 ($c \approx 1$), the forward
pass wants $\text{fan\_in} \cdot \text{Var}(W) = 1$ and the backward pass wants
$\text{fan\_out} \cdot \text{Var}(W) = 1$. Both hold only when the fans are
equal, so Xavier uses the average of the two fans:

$$\text{Var}(W) = \frac{2}{\text{fan\_in} + \text{fan\_out}}.$$

A uniform distribution on $[-a, a]$ has variance $a^2 / 3$, so

$$W \sim \mathcal{U}[-a, a], \qquad a = \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}.$$

Through tanh layers the activations still shrink, but only slowly (the
second moment falls roughly like $1/\text{depth}$), instead of exponentially.

## Kaiming (He) initialization

A ReLU zeroes the negative half of a zero-mean symmetric input $z$, so
$E[\operatorname{relu}(z)^2] = \text{Var}(z) / 2$: here $c = 1/2$. Keeping
$\text{fan\_in} \cdot \text{Var}(W) \cdot \frac{1}{2} = 1$ gives

$$W \sim \mathcal{N}\!\left(0, \frac{2}{\text{fan\_in}}\right), \qquad \text{std} = \sqrt{\frac{2}{\text{fan\_in}}}.$$

With Xavier's variance in a square ReLU network, the per-layer factor is
$1/2$: the example above, where 32 layers lose a factor $2^{32}$.

## Exploding gradients and clipping

Even well-initialised networks (recurrent ones especially) meet the odd
batch whose gradient is huge, and one such step can throw the weights far
away. Clipping bounds the step: treat all gradients as one long vector $g$,
compute its norm, and rescale when it is too large:

$$\|g\| = \sqrt{\sum_{\text{arrays } k} \sum_{\text{entries}} g_k^2}, \qquad
g_k \leftarrow g_k \cdot \frac{\text{max\_norm}}{\|g\|} \quad \text{if } \|g\| > \text{max\_norm}.$$

Every array gets the same factor, so the direction of the whole gradient is
kept and only its length changes. `clip_grad_norm` returns the norm before
clipping, as PyTorch's `clip_grad_norm_` does, because that is the number
worth logging to see when gradients explode.

## Traps

- **Which fan.** Xavier uses both fans, Kaiming uses `fan_in`. With `W` of
  shape `(fan_in, fan_out)`, `fan_in` is `W.shape[0]`.
- **Bound versus standard deviation.** A uniform distribution on $[-a, a]$
  has standard deviation $a / \sqrt{3}$, not $a$. A normal draw with std $a$
  is three times too wide in variance, and a normal draw is not uniform
  anyway: its entries leave $[-a, a]$.
- **The square root.** `np.sqrt(2 / fan_in)` is the standard deviation;
  `2 / fan_in` is the variance. `rng.normal` takes the standard deviation.
- **Use `rng`.** Draw from the generator you are given, not from
  `np.random.*` or a generator of your own: the same generator state must
  give the same weights, or runs cannot be reproduced.
- **One global norm.** Clipping each array by its own norm changes the
  direction of the gradient. Sum the squares over every array first.
- **In place, and only above the limit.** Scale the arrays in the dict
  (`g *= scale`), do not bind new ones to the keys, and leave them
  untouched when the norm is within `max_norm`. Return the norm before
  clipping, not after.
"""

from __future__ import annotations

import numpy as np


def xavier_uniform(fan_in: int, fan_out: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw weights uniformly on ``[-a, a]`` with ``a = sqrt(6 / (fan_in + fan_out))``.

    The variance ``a**2 / 3 = 2 / (fan_in + fan_out)`` keeps the scale of the
    activations and of the gradients steady through tanh-like layers.

    Args:
        fan_in: number of inputs of the layer.
        fan_out: number of outputs of the layer.
        rng: source of randomness; None means a fresh default generator.

    Returns:
        W of shape (fan_in, fan_out).
    """
    # TODO: compute the bound a and draw W of shape (fan_in, fan_out) from rng.
    raise NotImplementedError("xavier_uniform")


def kaiming_normal(fan_in: int, fan_out: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw weights from a normal distribution with mean 0 and std ``sqrt(2 / fan_in)``.

    The variance ``2 / fan_in`` makes up for the ReLU zeroing half of its
    inputs, so the activations keep their scale through ReLU layers.

    Args:
        fan_in: number of inputs of the layer.
        fan_out: number of outputs of the layer.
        rng: source of randomness; None means a fresh default generator.

    Returns:
        W of shape (fan_in, fan_out).
    """
    # TODO: draw W of shape (fan_in, fan_out) from a normal distribution with std sqrt(2 / fan_in).
    raise NotImplementedError("kaiming_normal")


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Scale every gradient in place so that their global L2 norm is at most ``max_norm``.

    The global norm is ``sqrt(sum over every array of the sum of its squared
    entries)``. When it exceeds ``max_norm``, every array is multiplied by
    ``max_norm / norm``, so the direction of the whole gradient is kept.

    Args:
        grads: gradients by name; the arrays are modified in place.
        max_norm: largest global norm allowed.

    Returns:
        The global norm before clipping.
    """
    # TODO: compute the global norm; above max_norm, multiply every array in place by max_norm / norm.
    raise NotImplementedError("clip_grad_norm")
