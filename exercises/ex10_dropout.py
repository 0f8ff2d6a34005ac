r"""# Exercise 10: Dropout

Dropout regularises a network by zeroing each unit at random while
training, so no unit can rely on any particular other one being present.
Here **`p` is the probability of dropping a unit** (PyTorch's convention).

## Inverted dropout

Training, for input $x$ of any shape, draw one uniform number per unit and
keep the units whose number is at least $p$:

$$u = \texttt{rng.random(x.shape)} \qquad
m = \frac{\mathbb{1}[u \ge p]}{1 - p} \qquad
\text{out} = x \odot m$$

Each unit is kept with probability $1-p$, and the kept ones are scaled by
$1/(1-p)$, so the expected output equals the input:
$\mathbb{E}[\text{out}] = x\,(1-p)\cdot\frac{1}{1-p} = x$.

Evaluation (`training = False`): $\text{out} = x$, nothing dropped, nothing
scaled.

## Shapes

| name | shape |
|---|---|
| `x`, `out`, `dout`, `dx`, the mask | any shape, all the same |
| `params`, `grads` | empty dicts: dropout has no parameters |

## Why scale at training time

Without the $1/(1-p)$, the next layer sees inputs that are on average
$1-p$ times smaller during training than at inference. The dropout paper
(Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
Overfitting", JMLR 2014) corrects that at test time instead, scaling by the
keep probability, $1-p$ here; this is often called "vanilla" dropout.
*Inverted* dropout moves the correction into training, so that

- evaluation is exactly the identity, and the trained network can be used
  (or exported) without knowing that dropout was there or what its $p$ was;
- changing $p$ between runs needs no change to the inference code.

The two conventions give the same expected activations; they differ only in
where the scale sits. This exercise (and PyTorch) uses inverted dropout.

## Backward

$\text{out} = x \odot m$ is elementwise with a constant $m$, so

$$\frac{\partial L}{\partial x} = \text{dout} \odot m$$

with **the same mask** that forward used: a dropped unit passes no gradient,
a kept one passes it scaled by $1/(1-p)$. Forward must store the mask, and
backward uses the mask of the **last** forward. Drawing a fresh mask in
backward computes the gradient of a different function.

After an evaluation-mode forward, the layer was the identity, so backward
returns `dout`.

## Conventions for p

| source | parameter | meaning |
|---|---|---|
| PyTorch `nn.Dropout(p)`, this exercise | `p` | drop probability |
| Keras `Dropout(rate)` | `rate` | drop probability |
| TensorFlow 1 `tf.nn.dropout(x, keep_prob)` | `keep_prob` | keep probability |
| Srivastava et al. (2014) | $p$ | keep probability |

The paper's $p$ is the probability of *keeping* a unit, and PyTorch's is the
probability of *dropping* one. Read the contract before writing `>= p` or
`< p`.

## The edge values

- `p = 0`: every $u \ge 0$, so every unit is kept with scale 1: the
  identity.
- `p = 1`: no $u$ (which lies in $[0, 1)$) is $\ge 1$, so every unit is
  dropped and `out` is zeros. But $1/(1-p)$ divides by zero: in numpy,
  `keep / (1 - p)` gives `0 / 0 = nan` with a warning, and in Python
  `1 / (1 - 1.0)` raises `ZeroDivisionError`. Define the mask as zeros
  when `p == 1`.

## Traps

- **p is the drop probability.** Keep where `u >= p`; `u < p` keeps the
  units that should be dropped (and for `p = 0.5` looks right at a glance).
- **Scale by 1 / (1 - p), not 1 / p**, and do it while training. Scaling by
  `1 - p` at evaluation is vanilla dropout, a different contract.
- **One draw per forward, from the given generator.** `self.rng.random(x.shape)`,
  exactly once per training forward. `np.random.rand` or a second draw gives
  a different mask from the one the grader expects.
- **Reuse the mask in backward**; do not draw a new one, and do not keep the
  mask of an earlier forward: store it on every call.
- **Evaluation is the identity**, and so is the backward that follows it.
- **No division by zero at p = 1.**
- **Do not modify `x` or `dout` in place.** `x *= mask` changes the caller's
  array; return `x * mask`.
- **Keep float64.** A boolean mask times `x` is float64. A mask built with
  `astype(np.float32)` and then divided by `1 - p` stays float32, which
  rounds the scale $1/(1-p)$ to about 7 digits: `x * mask` is float64 but
  off by up to about 6e-8 relative, more than the precision checks allow.
"""

from __future__ import annotations

import numpy as np


class Dropout:
    """Inverted dropout: zero each unit with probability ``p`` while training, scale the rest by 1 / (1 - p).

    Attributes:
        p: the probability of dropping a unit, in [0, 1].
        params, grads: empty dicts, as the layer has no parameters.
        training: True to drop units, False to pass the input through unchanged.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None):
        # TODO: store p and the generator (np.random.default_rng() when rng is None); create
        # empty params and grads dicts and training = True.
        raise NotImplementedError("Dropout.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply dropout to ``x`` of any shape.

        In training mode a unit is kept when ``rng.random(x.shape) >= p`` and
        kept units are multiplied by ``1 / (1 - p)``; with ``p = 1`` every unit
        is dropped. In evaluation mode the input passes through unchanged.

        Returns:
            Output of the shape of ``x``.
        """
        # TODO: in training mode draw the mask, store it for backward and apply it;
        # in evaluation mode return x.
        raise NotImplementedError("Dropout.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout`` (the shape of the last output) through the last forward.

        Returns:
            dx of the shape of ``dout``: ``dout`` times the mask of the last
            forward in training mode, ``dout`` itself after an evaluation-mode forward.
        """
        # TODO: return dout times the stored mask (dout itself after an evaluation-mode forward).
        raise NotImplementedError("Dropout.backward")
