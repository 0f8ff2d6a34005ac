r"""# Exercise 17: Optimizers

Backward gives the gradient of the loss with respect to every parameter; an
optimizer turns those gradients into parameter updates. This exercise builds
the two most used ones with the update rules of PyTorch's `torch.optim.SGD`
(no dampening, no Nesterov) and `torch.optim.Adam` (no AMSGrad).

## The interface

| name | what it is |
|---|---|
| `params` | `dict[str, ndarray]`, for example a layer's `params`; the optimizer keeps this dict |
| `grads` | `dict[str, ndarray]` passed to `step`, same keys and shapes as `params` |
| `lr` | learning rate $\eta$ |
| `step(grads)` | updates every array of `params` **in place** and returns `None` |

The layer and the optimizer share the same arrays. `p -= update` changes the
array the layer reads in its next forward; `self.params[name] = p - update`
builds a new array that only the optimizer's dict refers to, and the layer
keeps training with the old weights.

## SGD with momentum and weight decay

For each parameter $p$ with gradient $\nabla$ at step $t$:

$$g_t = \nabla_t + \lambda\, p_{t-1} \qquad b_t = \mu\, b_{t-1} + g_t \;\;(b_1 = g_1) \qquad p_t = p_{t-1} - \eta\, b_t$$

with $\lambda$ = `weight_decay` and $\mu$ = `momentum`. With $\mu = 0$ there is
no buffer and the update is $p \mathrel{-}= \eta\, g$.

**Weight decay as L2.** $\lambda p$ is the gradient of the penalty
$\frac{\lambda}{2}\lVert p\rVert^2$ added to the loss, so it is added to the
gradient before anything else uses it, momentum included.

**Momentum as velocity.** Unrolled, $b_t = \sum_{s \le t} \mu^{t-s} g_s$: a sum
of past gradients in which older ones fade by $\mu$ per step. Components that
keep their sign add up, and components that flip sign cancel. Under a
constant gradient $g$ the buffer tends to $g / (1 - \mu)$, so
with $\mu = 0.9$ steady directions move 10 times faster than plain SGD would
move them. The form $v = \mu v + \eta g$, $p \mathrel{-}= v$ is the same
optimizer while $\eta$ stays constant. The exponential average
$b = \mu b + (1 - \mu) g$ is not: its steps are $1 - \mu$ times smaller.

## Adam

With $g_t$ as above and $\beta_1, \beta_2$ = `betas`:

$$m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2$$

$$\hat m_t = \frac{m_t}{1 - \beta_1^t} \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t} \qquad
p_t = p_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}$$

$m$ and $v$ start at 0, every operation is elementwise, and $t$ counts the
calls of `step`, starting at 1.

**What the moments do.** $m$ averages the gradient (momentum) and $v$ its
square. Their ratio $\hat m / \sqrt{\hat v}$ is near $\pm 1$ where the
gradient is consistent and smaller where it is noisy, so each coordinate
moves by about $\eta$ per step, whatever the scale of its gradient.

**Why bias correction matters early.** Because $m_0 = 0$, the first average
is $m_1 = (1 - \beta_1) g_1$, only a tenth of the gradient for
$\beta_1 = 0.9$. For a steady gradient, $m_t = (1 - \beta_1^t)\, g$, and
dividing by $1 - \beta_1^t$ removes that bias exactly (likewise for $v$).
Without the correction the first update is
$\eta \cdot 0.1\, g / (\sqrt{0.001}\, |g|) \approx 3.2\, \eta$ per coordinate
instead of about $\eta$, and since $\beta_2 = 0.999$ the bias in $v$ lasts
for thousands of steps. With it, the first update is
$\eta\, g / (|g| + \epsilon)$.

**eps** goes after the square root. It keeps the step finite where $v$ is
near zero and matters only for gradients near $\epsilon$ in size.

## Weight decay in Adam versus AdamW

For plain SGD (no momentum), adding $\lambda p$ to the gradient and shrinking
the weights by $(1 - \eta\lambda)$ each step are the same thing. In Adam they
differ: the L2 term goes through $m$ and $v$ and is divided by
$\sqrt{\hat v}$, so weights with large gradients are decayed less. AdamW
(PyTorch's `torch.optim.AdamW`) decouples the two:
$p \leftarrow p - \eta \lambda p$, then the Adam update
computed from the raw gradient. This exercise's `Adam(weight_decay=...)` is
the L2 form, as in `torch.optim.Adam`.

## Traps

- **Update in place.** `p -= lr * g` or `p[...] = ...`. Rebinding
  `self.params[name]`, or copying `params` in `__init__`, leaves the caller's
  arrays unchanged.
- **Do not write into `grads`.** `g = grads[name]; g += wd * p` changes the
  caller's gradient; `g = grads[name] + wd * p` does not. The same holds for
  a momentum buffer stored as `grads[name]` itself and scaled later.
- **One state per parameter.** Keep a buffer (SGD) or an `m` and `v` (Adam)
  for each key; a single shared array mixes parameters, or fails to
  broadcast across shapes.
- **Start `t` at 1.** With `t = 0` in the first update, $1 - \beta^0 = 0$ and
  the bias correction divides by zero.
- **No $(1 - \mu)$ in SGD's momentum**, and the buffer persists across calls;
  recomputing it from zeros each step is plain SGD.
- **Weight decay before the momentum buffer and the moments**, not added to
  the update afterwards (that is AdamW, or a different SGD).
- **`sqrt(v_hat) + eps`, not `sqrt(v_hat + eps)`.**
"""

from __future__ import annotations

import numpy as np


class SGD:
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    Attributes:
        params: the parameter arrays, updated in place by ``step``.
        lr: learning rate.
        momentum: momentum factor; 0 disables the momentum buffer.
        weight_decay: L2 penalty coefficient, added to the gradient as ``weight_decay * p``.
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        # TODO: keep params (the caller's dict, not a copy) and the settings; prepare one
        # momentum buffer per parameter.
        raise NotImplementedError("SGD.__init__")

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads`` (same keys and shapes).

        ``g = grad + weight_decay * p``; with momentum ``b = momentum * b + g`` (``b = g`` on
        the first step) replaces ``g``; then ``p -= lr * g``.
        """
        # TODO: for every parameter: weight decay, momentum buffer, in-place update.
        raise NotImplementedError("SGD.step")


class Adam:
    """Adam with bias-corrected moment estimates and L2 weight decay (not AdamW).

    Attributes:
        params: the parameter arrays, updated in place by ``step``.
        lr: learning rate.
        betas: decay rates (beta1, beta2) of the first and second moment estimates.
        eps: added to the denominator's square root, for numerical stability.
        weight_decay: L2 penalty coefficient, added to the gradient as ``weight_decay * p``.
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        # TODO: keep params and the settings; create m and v (zeros) for every parameter
        # and a step counter.
        raise NotImplementedError("Adam.__init__")

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads`` (same keys and shapes).

        With ``g = grad + weight_decay * p`` and step count ``t`` (1 on the first call):
        ``m = beta1 * m + (1 - beta1) * g``, ``v = beta2 * v + (1 - beta2) * g**2``,
        ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - beta1**t)`` and
        ``v_hat = v / (1 - beta2**t)``.
        """
        # TODO: count the step, then for every parameter: weight decay, moments, bias
        # correction, in-place update.
        raise NotImplementedError("Adam.step")
