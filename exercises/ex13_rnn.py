r"""# Exercise 13: RNN

A recurrent neural network reads a sequence one step at a time and carries a
hidden state from each step to the next. The vanilla (Elman) RNN uses the
same weights at every step:

$$h_t = \tanh(x_t W_x + h_{t-1} W_h + b), \qquad t = 1, \dots, T$$

starting from the initial state $h_0$, the argument `h0`, or zeros when `h0`
is None. `forward` returns every hidden state $h_1, \dots, h_T$; a model on
top (a classifier on $h_T$, a prediction at every step) decides which ones
feed the loss. Arrays are 0-based, so $x_t$ is `x[:, t-1]` and $h_t$ is
`h[:, t-1]`.

## Shapes

| name | shape | meaning |
|---|---|---|
| `x` | `(N, T, D)` | N sequences of T steps with D features per step |
| `h0` | `(N, H)` or None | initial state $h_0$; None means zeros |
| `Wx` | `(D, H)` | input to hidden |
| `Wh` | `(H, H)` | hidden to hidden: the recurrence |
| `b` | `(H,)` | bias |
| `h`, `dh` | `(N, T, H)` | every hidden state, and the upstream gradient of each |
| `dx`, `dh0` | `(N, T, D)`, `(N, H)` | what `backward` returns, as the tuple `(dx, dh0)` |

## Forward: unrolling

Write $a_t = x_t W_x + h_{t-1} W_h + b$ for the pre-activation. Unrolled over
time, the RNN is a network of T layers that all share $W_x$, $W_h$ and $b$,
where layer t also takes the input $x_t$:

    h_0 --> [step 1] --> h_1 --> [step 2] --> h_2 --> ... --> h_T
               ^                    ^
              x_1                  x_2

Only the recurrence needs a loop over time: the input part $x W_x + b$ of
every step can be computed for all steps at once before the loop.

## Backward through time

`backward(dh)` receives $\text{dh}_t = \partial L / \partial h_t$ for every
step: the gradient that reaches $h_t$ **directly**, from whatever uses the
outputs. But $h_t$ also feeds step $t+1$, so the loss reaches it a second
way. The total gradient of $h_t$ adds both paths:

$$\delta_t = \text{dh}_t + \underbrace{da_{t+1}\, W_h^\top}_{\text{through step } t+1},
\qquad \delta_T = \text{dh}_T$$

where $da_t = \partial L / \partial a_t$. That is why backward runs from the
last step to the first: step $t$ can only be finished once step $t+1$ has
sent its gradient back. Inside one step the chain rule goes through tanh,
whose derivative $\tanh'(a) = 1 - \tanh^2(a)$ needs only the cached output
$h_t = \tanh(a_t)$:

$$da_t = \delta_t \odot (1 - h_t^2) \;\; (N, H)$$

$$dx_t = da_t\, W_x^\top \;\; (N, D), \qquad
\frac{\partial L}{\partial h_{t-1}}\Big|_{\text{through step } t} = da_t\, W_h^\top \;\; (N, H)$$

The second of these is the recurrent term of $\delta_{t-1}$. For $t = 1$ it
is the gradient of the initial state, $dh_0 = da_1 W_h^\top$. When `forward`
got no `h0`, it is the gradient of the zeros it started from.

The parameters are used at every step, so their gradients **sum over time**
(and, through the matrix products, over the batch):

$$dW_x = \sum_{t=1}^{T} x_t^\top da_t \;\; (D, H), \qquad
dW_h = \sum_{t=1}^{T} h_{t-1}^\top da_t \;\; (H, H), \qquad
db = \sum_{t=1}^{T} \sum_{n} da_{t,n} \;\; (H,)$$

One loop does it all, from the last step to the first:

    gradient from the next step = zeros (N, H);  dWx, dWh, db = zeros
    for t = T, ..., 1:
        delta_t = dh_t + gradient from the next step
        da_t    = delta_t * (1 - h_t**2)
        add x_t^T da_t to dWx,  h_{t-1}^T da_t to dWh,  the batch sum of da_t to db
        dx_t    = da_t Wx^T
        gradient from the next step = da_t Wh^T      (for step t - 1)
    dh0 = the last gradient sent back

## Vanishing and exploding gradients

Follow the gradient from $h_t$ back to an earlier $h_k$. Each step multiplies
it by the Jacobian $\partial h_s / \partial h_{s-1} = \operatorname{diag}(1 - h_s^2)\, W_h^\top$
(written for one example), so

$$\frac{\partial h_t}{\partial h_k} = \prod_{s=k+1}^{t} \operatorname{diag}(1 - h_s^2)\, W_h^\top,
\qquad \Big\lVert \frac{\partial h_t}{\partial h_k} \Big\rVert_2 \le \lVert W_h \rVert_2^{\,t-k}$$

because $0 < 1 - h_s^2 \le 1$. Over many steps such a product grows or
shrinks roughly like $\rho^{t-k}$, where $\rho$ is the spectral radius of
$W_h$ (its largest eigenvalue in absolute value), damped further by every
tanh derivative below 1.

- **Vanishing** ($\rho < 1$, or saturated units with $|h| \to 1$): the
  gradient from distant steps decays exponentially, so the RNN learns
  little from dependencies that span many steps. The LSTM of exercise 14
  adds an additive cell path to fix this.
- **Exploding** ($\rho > 1$ with tanh in its linear region): the gradient
  grows exponentially, and one update can throw the weights far away.

**Gradient clipping** tames the exploding case. After backward, compute the
global L2 norm of all parameter gradients; if it exceeds a threshold, scale
every gradient by `threshold / norm` (exercise 6's `clip_grad_norm`). The
direction stays and only the step length is capped. Truncated
backpropagation through time, which goes back a fixed number of steps only,
also bounds the cost of long sequences.

## Traps

- **Forgetting the recurrent term.** Using only `dh[:, t]` as the gradient
  of the state drops the path through the next step. The last step is still
  right, but every earlier step and `dh0` are wrong.
- **Overwriting instead of accumulating.** `dWh = h_prev.T @ da` inside the
  loop keeps only the step computed last, the first one. Start from zeros
  before the loop and add with `+=`; the same holds for `dWx` and `db`.
- **Accumulating across calls.** The sum over time happens inside one
  `backward` call. Adding into `self.grads` without resetting it makes a
  second call return twice the gradient: sum into fresh zeros, then assign.
- **The wrong tanh derivative.** $\tanh'(a_t) = 1 - h_t^2$ uses the output
  $h_t$. `1 - a**2` (the pre-activation) and `1 - np.tanh(h)**2` (tanh
  applied twice) are both wrong.
- **Which state is the previous one.** $dW_h$ pairs $da_t$ with $h_{t-1}$,
  the state that went into step t: `h0` for the first step (zeros when `h0`
  was None). In code, `h[:, t - 1]` at `t = 0` is `h[:, -1]`, the *last*
  state, not the initial one.
- **In-place writes through views.** `dh[:, t]` is a view of the caller's
  array, so `g = dh[:, t]; g += dh_next` changes `dh`. Write
  `g = dh[:, t] + dh_next`.
- **`dh0` when `h0` is None.** `backward` always returns `(dx, dh0)`. With
  no `h0` given, `dh0` is the gradient of the zero initial state, shape
  `(N, H)`, not None.
"""

from __future__ import annotations

import numpy as np


class RNN:
    """Recurrent layer ``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)`` over a batch of sequences.

    D is ``input_size`` and H is ``hidden_size``.

    Attributes:
        params: ``Wx`` of shape (D, H), ``Wh`` of shape (H, H) and ``b`` of shape (H,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator | None = None):
        # TODO: create params "Wx" (D, H), "Wh" (H, H) (e.g. uniform on +-1/sqrt(hidden_size))
        # and "b" (H,) (zeros), and a grads dict with the same keys.
        raise NotImplementedError("RNN.__init__")

    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
        """Run the recurrence over every time step.

        Args:
            x: input sequences of shape (N, T, D).
            h0: initial hidden state of shape (N, H); zeros when None.

        Returns:
            Every hidden state h_1 ... h_T, shape (N, T, H).
        """
        # TODO: loop over time from h0 (or zeros), stack the hidden states and keep what backward needs.
        raise NotImplementedError("RNN.forward")

    def backward(self, dh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate through time.

        Args:
            dh: upstream gradient of every hidden state, shape (N, T, H).

        Sets ``grads["Wx"]`` (D, H), ``grads["Wh"]`` (H, H) and ``grads["b"]``
        (H,), each summed over the batch and over time.

        Returns:
            ``(dx, dh0)``: dx of shape (N, T, D) and dh0 of shape (N, H), the
            gradient of the initial state (of the zeros when h0 was None).
        """
        # TODO: loop from the last step to the first and add the gradient from step t + 1 to dh[:, t].
        # Sum the parameter gradients over time, set self.grads and return (dx, dh0).
        raise NotImplementedError("RNN.backward")
