r"""# Exercise 14: LSTM

The vanilla RNN of exercise 13 sends its gradient back in time through a
matrix product and a tanh at every step, so it vanishes or explodes over long
sequences. The long short-term memory (LSTM) cell adds a second state, the
**cell state** $c_t$, which is updated by addition. Gates decide, per unit
and per step, what to write to it, what to keep and what to show:

$$z_t = x_t W_x + h_{t-1} W_h + b \qquad (N, 4H)$$

$$i = \sigma(z^{i}), \quad f = \sigma(z^{f}), \quad g = \tanh(z^{g}), \quad o = \sigma(z^{o})$$

$$c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)$$

for $t = 1, \dots, T$, starting from the hidden state $h_0$ (the argument
`h0`, zeros when it is None) and the cell state $c_0 = 0$. Here $\sigma$ is
the sigmoid $1 / (1 + e^{-z})$ (the module provides `sigmoid`) and $\odot$
the elementwise product. As in exercise 13, arrays are 0-based: $x_t$ is
`x[:, t-1]`.

| gate | function | role |
|---|---|---|
| input $i$ | sigmoid, in (0, 1) | how much of the candidate to write |
| forget $f$ | sigmoid, in (0, 1) | how much of the old cell state to keep |
| cell candidate $g$ | tanh, in (-1, 1) | what to write; it can add or remove |
| output $o$ | sigmoid, in (0, 1) | how much of the cell to show as $h_t$ |

## Shapes and the packed gates

| name | shape | meaning |
|---|---|---|
| `x` | `(N, T, D)` | N sequences of T steps with D features per step |
| `h0` | `(N, H)` or None | initial hidden state; None means zeros |
| `Wx` | `(D, 4H)` | input to the four gates |
| `Wh` | `(H, 4H)` | hidden state to the four gates |
| `b` | `(4H,)` | bias of the four gates |
| `h`, `dh` | `(N, T, H)` | every hidden state, and the upstream gradient of each |
| `dx`, `dh0` | `(N, T, D)`, `(N, H)` | what `backward` returns, as the tuple `(dx, dh0)` |

The four gates are four linear maps of the same inputs, so they share one
matrix product: one large matmul is much faster than four small ones. The
$4H$ columns of `z` hold one block of H columns per gate, in **PyTorch's
order i, f, g, o**:

| columns of `z`, `Wx`, `Wh`, `b` | `0:H` | `H:2H` | `2H:3H` | `3H:4H` |
|---|---|---|---|---|
| gate | $i$ | $f$ | $g$ | $o$ |

`backward` packs the gradients of the four pre-activations, $dz^i$, $dz^f$,
$dz^g$, $dz^o$, in the same order, so the parameter gradients come out of one
matrix product too.

## Backward through time

Two states link step $t$ to step $t+1$: $h_t$ (through $W_h$) and $c_t$
(through $c_{t+1} = f_{t+1} \odot c_t + \dots$). Backward runs from the last
step to the first and carries one gradient for each, $dh_{\text{next}}$ and
$dc_{\text{next}}$, both zeros at the last step.

**The hidden state.** As in the RNN, $h_t$ reaches the loss directly and
through the next step:

$$\delta h_t = \text{dh}_t + dh_{\text{next}}$$

**The cell state.** $c_t$ reaches the loss through $h_t = o \odot \tanh(c_t)$
and through $c_{t+1}$. The derivative of $\tanh(c_t)$ is
$1 - \tanh^2(c_t)$, of the tanh of the *cell*, not $1 - c_t^2$:

$$\delta c_t = \delta h_t \odot o \odot \big(1 - \tanh^2(c_t)\big) + dc_{\text{next}}$$

**The gates.** From $c_t = f \odot c_{t-1} + i \odot g$ and
$h_t = o \odot \tanh(c_t)$, then through each gate's function, with
$\sigma' = \sigma (1 - \sigma)$ and $\tanh' = 1 - \tanh^2$ written with the
gate values already computed:

$$dz^i = \delta c_t \odot g \odot i (1 - i), \qquad
dz^f = \delta c_t \odot c_{t-1} \odot f (1 - f)$$

$$dz^g = \delta c_t \odot i \odot (1 - g^2), \qquad
dz^o = \delta h_t \odot \tanh(c_t) \odot o (1 - o)$$

and $dz_t = [dz^i, dz^f, dz^g, dz^o]$, shape $(N, 4H)$. Note that $f$'s
gradient uses the previous cell state $c_{t-1}$ (zeros at the first step).

**What flows on.** The pre-activation is linear, exactly as in the RNN:

$$dx_t = dz_t W_x^\top, \qquad dh_{\text{next}} = dz_t W_h^\top, \qquad
dc_{\text{next}} = \delta c_t \odot f$$

are the gradients for $x_t$, $h_{t-1}$ and $c_{t-1}$. After the first step,
$dh_{\text{next}}$ is $dh_0$, the gradient of the initial hidden state (of the
zeros when `h0` was None). The parameters are used at every step, so

$$dW_x = \sum_{t=1}^{T} x_t^\top dz_t, \qquad
dW_h = \sum_{t=1}^{T} h_{t-1}^\top dz_t, \qquad
db = \sum_{t=1}^{T} \sum_n dz_{t,n}$$

with $h_0$ in the first term of $dW_h$.

## Why the cell path carries gradients

Along the cell state alone, one step back multiplies the gradient by

$$\frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(f_t)$$

an elementwise factor, with no weight matrix and no squashing derivative.
When the forget gate is near 1 the gradient passes many steps almost
unchanged. The network learns *when* to keep it (f near 1) and when to
reset (f near 0), instead of multiplying the gradient by $W_h^\top$ and a
tanh derivative at every step as the RNN does. Initialising the forget
gate's bias to 1 makes the cell remember by default early in training.
Keras's LSTM does so by default (`unit_forget_bias=True`), following
Jozefowicz, Zaremba and Sutskever (2015). Gradients through $h$ still go
through $W_h$, so they can still explode, and gradient clipping (scale all
gradients when their global norm exceeds a threshold) is used with LSTMs as
well.

## Traps

- **Gate order.** The blocks are i, f, g, o. Code written for another order
  (i, f, o, g, for example) computes a different function with the same
  shapes, so only the values show the mistake.
- **g uses tanh.** The cell candidate must be able to push the cell up or
  down; a sigmoid makes every write positive. i, f and o use sigmoid.
- **The cell gradient from the next step.** $\delta c_t$ adds $dc_{\text{next}}$
  to the part coming through $h_t$. Without it the last step is still right,
  but every earlier step loses the additive path, the one that makes an LSTM
  an LSTM.
- **$\tanh'(c)$ uses $\tanh(c)$.** Write `1 - np.tanh(c)**2`, not `1 - c**2`:
  the cell state is not itself a tanh output and can exceed 1 in magnitude.
- **The forget gate uses $c_{t-1}$.** $dz^f$ multiplies by the previous cell
  state, not $c_t$.
- **Overwriting instead of accumulating** `dWx`, `dWh`, `db` over the steps,
  and **accumulating across calls**, as in exercise 13.
- **Packing the gradients.** Concatenate $dz$ in the order i, f, g, o, the
  order in which forward reads the gates.
- **In-place writes through views.** `dh[:, t]` is a view of the caller's
  array; `d = dh[:, t]; d += dh_next` changes it.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))``, computed as ``(1 + tanh(z / 2)) / 2`` so nothing overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class LSTM:
    """Long short-term memory layer over a batch of sequences.

    The four gates share one matrix product: its 4H columns hold one block of H
    per gate, in PyTorch's order input ``i``, forget ``f``, cell candidate ``g``,
    output ``o``.

    D is ``input_size`` and H is ``hidden_size``.

    Attributes:
        params: ``Wx`` of shape (D, 4H), ``Wh`` of shape (H, 4H) and ``b`` of shape (4H,).
        grads: gradients of the loss with respect to ``params``, set by ``backward``.
    """

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator | None = None):
        # TODO: create params "Wx" (D, 4H), "Wh" (H, 4H) (e.g. uniform on +-1/sqrt(hidden_size))
        # and "b" (4H,) (zeros), and a grads dict with the same keys.
        raise NotImplementedError("LSTM.__init__")

    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
        """Run the LSTM cell over every time step; the initial cell state is zeros.

        Args:
            x: input sequences of shape (N, T, D).
            h0: initial hidden state of shape (N, H); zeros when None.

        Returns:
            Every hidden state h_1 ... h_T, shape (N, T, H).
        """
        # TODO: compute the four gates from one matrix product per step (blocks i, f, g, o), update
        # c and h, stack the hidden states and keep what backward needs.
        raise NotImplementedError("LSTM.forward")

    def backward(self, dh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate through time.

        Args:
            dh: upstream gradient of every hidden state, shape (N, T, H).

        Sets ``grads["Wx"]`` (D, 4H), ``grads["Wh"]`` (H, 4H) and ``grads["b"]``
        (4H,), each summed over the batch and over time, gate blocks in the
        order i, f, g, o.

        Returns:
            ``(dx, dh0)``: dx of shape (N, T, D) and dh0 of shape (N, H), the
            gradient of the initial hidden state (of the zeros when h0 was None).
        """
        # TODO: loop from the last step to the first and carry the gradients of h and c back.
        # Sum the parameter gradients over time, set self.grads and return (dx, dh0).
        raise NotImplementedError("LSTM.backward")
