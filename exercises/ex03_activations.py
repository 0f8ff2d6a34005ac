r"""# Exercise 3: Activation functions

An activation applies one scalar function $g$ to every entry of its input:
$\text{out} = g(x)$ entry by entry. Between linear layers it is what makes a
network more than one big matrix product. This exercise builds five of them,
forward and backward: ReLU, LeakyReLU, Sigmoid, Tanh and GELU.

## Shapes

| name | shape |
|---|---|
| `x` | any shape `(...)`: `(N, D)`, `(N, T, D)`, a vector... |
| `out`, `dout`, `dx` | the shape of `x` |
| `params`, `grads` | `{}`: activations have no learnable parameters |

## Backward, by the chain rule, once for all five

Entry $j$ of the output depends on entry $j$ of the input only, so
$\partial\, \text{out}_j / \partial x_i = g'(x_i)$ when $i = j$ and 0
otherwise. With $\text{dout}_j = \partial L / \partial \text{out}_j$:

$$\frac{\partial L}{\partial x_i} = \sum_j \text{dout}_j \, \frac{\partial\, \text{out}_j}{\partial x_i}
= \text{dout}_i \, g'(x_i)
\quad\Rightarrow\quad dx = \text{dout} \odot g'(x),$$

an elementwise product of two arrays of the shape of `x`. The Jacobian is
diagonal, so no matrix product appears anywhere. All that changes from one
activation to the next is the local gradient $g'$.

## ReLU

$$g(x) = \max(x, 0), \qquad g'(x) = \begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}$$

so `dx = dout * (x > 0)`. At exactly $x = 0$ ReLU has a kink and no
derivative. Any value in $[0, 1]$ is a valid subgradient, and 0 is the
common choice. The grader keeps its inputs away from 0, so any choice passes.

## LeakyReLU

With slope $\alpha$ (`negative_slope`, default 0.01) for negative inputs:

$$g(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}, \qquad
g'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x < 0 \end{cases}$$

so `dx = np.where(x > 0, dout, alpha * dout)`. The negative side keeps a
small gradient, so a unit whose input is negative for every example still
learns, unlike a ReLU unit in the same state.

## Sigmoid

$$\sigma(x) = \frac{1}{1 + e^{-x}}, \qquad
\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2} = \sigma(x)\,\bigl(1 - \sigma(x)\bigr).$$

The derivative is written with the output, so forward keeps
$\text{out} = \sigma(x)$ and backward computes
`dx = dout * out * (1 - out)`.

**Numerical stability.** For $x < -709$, $e^{-x}$ exceeds the largest
float64 (about $1.8 \times 10^{308}$): numpy returns `inf` with an overflow
warning. Multiplying numerator and denominator by $e^{x}$ gives an
equivalent form that is safe for negative $x$:

$$\sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}.$$

Use the first form for $x \ge 0$ and the second for $x < 0$: in both, the
exponent is $-|x| \le 0$, so $z = e^{-|x|} \in (0, 1]$ never overflows:

$$\sigma(x) = \begin{cases} 1 / (1 + z) & x \ge 0 \\ z / (1 + z) & x < 0 \end{cases}, \qquad z = e^{-|x|}.$$

Compute `z = np.exp(-np.abs(x))` once and choose with `np.where`.

## Tanh

$$\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, \qquad
\tanh'(x) = \frac{(e^{x} + e^{-x})^2 - (e^{x} - e^{-x})^2}{(e^{x} + e^{-x})^2} = 1 - \tanh^2(x).$$

Again the derivative is written with the output: forward keeps
$\text{out} = \tanh(x)$ (`np.tanh` is stable for any input) and backward
computes `dx = dout * (1 - out ** 2)`. Note that $\tanh(x) = 2\sigma(2x) - 1$:
tanh is a sigmoid rescaled to $(-1, 1)$ and centred on 0.

## GELU (tanh approximation)

The Gaussian error linear unit is $x\,\Phi(x)$, with $\Phi$ the standard
normal CDF. This exercise uses its tanh approximation, the one that
PyTorch's `nn.GELU(approximate="tanh")` computes:

$$g(x) = \tfrac{1}{2}\, x \,\bigl(1 + \tanh u\bigr), \qquad
u = \sqrt{2/\pi}\,\bigl(x + 0.044715\, x^3\bigr).$$

Stage it: $u$, then $t = \tanh u$, then $g$. Backward is the product rule on
$\tfrac12 x (1 + t)$, then the chain rule through $t$ and $u$:

$$g'(x) = \tfrac{1}{2}(1 + t) + \tfrac{1}{2}\, x\, (1 - t^2)\, \frac{du}{dx}, \qquad
\frac{du}{dx} = \sqrt{2/\pi}\,\bigl(1 + 3 \cdot 0.044715\, x^2\bigr).$$

Keep `x` and `t` from forward, then `dx = dout * g'(x)`.

## Traps

- **Sigmoid overflow.** `1 / (1 + np.exp(-x))` returns the right value for
  $x = -10^4$ (since $1 / \infty = 0$) but numpy warns about the overflow,
  and `np.exp(x) / (1 + np.exp(x))` returns `inf / inf = NaN` for
  $x = 10^4$. Use the two-branch form above.
- **`np.where` evaluates both branches.**
  `np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))`
  computes both expressions on every entry before choosing, so it still
  overflows. Compute only `np.exp(-np.abs(x))`, or apply each formula to its
  own boolean mask.
- **Saturation makes gradients vanish.** For $|x| \gtrsim 20$,
  $\sigma(x)(1 - \sigma(x))$ and $1 - \tanh^2 x$ are below $10^{-8}$, so
  almost no gradient flows back through a saturated unit. This is correct
  behaviour, not a bug to patch with a floor, and it is why large
  pre-activations slow training down (and why weight initialization matters).
- **The derivative of ReLU at 0.** It does not exist. `x > 0` and `x >= 0`
  give different answers at exactly 0, and both are acceptable subgradients.
  What must hold is 1 for positive and 0 for negative inputs.
- **Caching the output or the input.** Sigmoid and Tanh backward need the
  *output*: `1 - x ** 2` with the cached input is not the derivative of tanh.
  Keep `out` in forward, or recompute $g(x)$ from `x` in backward, but do
  not mix the two.
- **In-place edits of the caller's array.** `x[x < 0] = 0` or
  `np.maximum(x, 0, out=x)` in ReLU's forward overwrite the caller's `x`,
  and `dout[x <= 0] = 0` in backward overwrites the caller's `dout`. The
  values you return are right, but the caller's arrays are not any more. Use
  expressions that build new arrays: `np.maximum(x, 0)`, `dout * (x > 0)`.
- **A hard-coded slope.** LeakyReLU must use the `negative_slope` it was
  constructed with, in forward and in backward, not the literal 0.01.
- **GELU's approximation is not the erf form.** The exact GELU is
  $\tfrac12 x\,(1 + \operatorname{erf}(x / \sqrt 2))$, and the tanh
  approximation differs from it by up to about $5 \times 10^{-4}$, far more
  than rounding. Implement the formula given, with the constants
  $\sqrt{2/\pi}$ and $0.044715$ in full.
"""

from __future__ import annotations

import numpy as np

#: Constants of GELU's tanh approximation.
SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
GELU_CUBIC = 0.044715


class ReLU:
    """Rectified linear unit ``max(x, 0)``, elementwise.

    Attributes:
        params: empty, because ReLU has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self) -> None:
        # TODO: set params and grads to empty dicts.
        raise NotImplementedError("ReLU.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``max(x, 0)``.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``.
        """
        # TODO: keep what backward needs and return a new array.
        raise NotImplementedError("ReLU.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        # TODO: return dout times the local gradient.
        raise NotImplementedError("ReLU.backward")


class LeakyReLU:
    """Leaky rectified linear unit: ``x`` where ``x > 0``, ``negative_slope * x`` elsewhere.

    Attributes:
        negative_slope: slope of the function for negative inputs.
        params: empty, because LeakyReLU has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        # TODO: keep negative_slope, and set params and grads to empty dicts.
        raise NotImplementedError("LeakyReLU.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``x`` where ``x > 0`` and ``negative_slope * x`` elsewhere.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``.
        """
        # TODO: keep what backward needs and return a new array.
        raise NotImplementedError("LeakyReLU.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        # TODO: return dout times the local gradient.
        raise NotImplementedError("LeakyReLU.backward")


class Sigmoid:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, elementwise.

    Finite and free of warnings for any finite float64 ``x``.

    Attributes:
        params: empty, because Sigmoid has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self) -> None:
        # TODO: set params and grads to empty dicts.
        raise NotImplementedError("Sigmoid.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``1 / (1 + exp(-x))`` without overflow.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``, in [0, 1].
        """
        # TODO: compute the sigmoid with the stable two-branch form and keep the output.
        raise NotImplementedError("Sigmoid.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        # TODO: return dout times the local gradient, written with the output.
        raise NotImplementedError("Sigmoid.backward")


class Tanh:
    """Hyperbolic tangent, elementwise.

    Attributes:
        params: empty, because Tanh has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self) -> None:
        # TODO: set params and grads to empty dicts.
        raise NotImplementedError("Tanh.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``tanh(x)``.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``, in [-1, 1].
        """
        # TODO: compute tanh and keep the output.
        raise NotImplementedError("Tanh.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        # TODO: return dout times the local gradient, written with the output.
        raise NotImplementedError("Tanh.backward")


class GELU:
    """Gaussian error linear unit in its tanh approximation, elementwise.

    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))``

    Attributes:
        params: empty, because GELU has no learnable parameters.
        grads: empty, like ``params``.
    """

    def __init__(self) -> None:
        # TODO: set params and grads to empty dicts.
        raise NotImplementedError("GELU.__init__")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))``.

        Args:
            x: input of any shape (...).

        Returns:
            Output of the shape of ``x``.
        """
        # TODO: compute u, then t = tanh(u), then the output, and keep x and t for backward.
        raise NotImplementedError("GELU.forward")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Backpropagate ``dout``, of the shape of ``x``.

        Returns:
            dx of the shape of ``x``.
        """
        # TODO: product rule on 0.5 * x * (1 + t), chain rule through t and u.
        raise NotImplementedError("GELU.backward")
