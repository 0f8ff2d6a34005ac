r"""# Exercise 1: The chain rule

Backpropagation is the chain rule applied to a graph, one node at a time.
This exercise builds that habit on the smallest graphs there are: three gates,
one sigmoid neuron and a function of two variables computed in stages.

## Computational graphs and local gradients

Write a computation as a graph: every node takes a few inputs and produces
one output, and the last node produces a scalar $L$ (the loss). For a node
$\text{out} = g(a, b)$ somewhere inside the graph, backpropagation hands the
node its **upstream gradient**

$$\text{dout} = \frac{\partial L}{\partial \text{out}},$$

and the node multiplies it by its **local gradients**
$\partial \text{out} / \partial a$ and $\partial \text{out} / \partial b$,
which depend only on the node itself:

$$\frac{\partial L}{\partial a} = \frac{\partial L}{\partial \text{out}} \cdot \frac{\partial \text{out}}{\partial a},
\qquad
\frac{\partial L}{\partial b} = \frac{\partial L}{\partial \text{out}} \cdot \frac{\partial \text{out}}{\partial b}.$$

*Upstream times local* is the whole algorithm. A node never needs to know
what comes after it. It only needs the inputs it saw in the forward pass.

## Shapes

| name | shape |
|---|---|
| `a`, `b` (gates) | any shape `(...)`, both the same |
| `out`, `dout`, `da`, `db` (gates) | the shape of `a` |
| `w` (neuron) | `(n + 1,)`: `n` weights, then the bias |
| `x` (neuron) | `(n,)` |
| `out` (neuron) | a single number |
| `dw`, `dx` (neuron) | `(n + 1,)` and `(n,)`: a gradient has the shape of what it is the gradient of |
| `x`, `y`, `f`, `dfdx`, `dfdy` (staged) | any shape `(...)`, all the same |

The gates work elementwise, so every formula below applies entry by entry,
and the numpy expression is the same formula on whole arrays.

## Gates as patterns

**Add gate**, $\text{out} = a + b$. The local gradients are
$\partial \text{out} / \partial a = \partial \text{out} / \partial b = 1$, so

$$da = \text{dout}, \qquad db = \text{dout}.$$

An add gate **distributes**: each input receives all of the upstream
gradient, not a share of it.

**Multiply gate**, $\text{out} = a \, b$. The local gradients are
$\partial \text{out} / \partial a = b$ and $\partial \text{out} / \partial b = a$, so

$$da = \text{dout} \cdot b, \qquad db = \text{dout} \cdot a.$$

A multiply gate **swaps**: each input's gradient is scaled by the *other*
input, which forward must keep for backward.

**Max gate**, $\text{out} = \max(a, b)$. The output is $a$ where $a > b$ and
$b$ where $b > a$, so the local gradient is 1 for the winner and 0 for the
other input:

$$da = \text{dout} \cdot [a > b], \qquad db = \text{dout} \cdot [b > a].$$

A max gate **routes**: all of the gradient goes to the input that won. At a
tie ($a = b$) the max has no derivative, and any choice that sends all of
`dout` to exactly one of the inputs is accepted, e.g. `a >= b` for `a` and
its complement for `b`.

## A sigmoid neuron

`neuron(w, x)` computes one neuron and its gradients. With the bias stored as
the last weight, $b = w_n$:

$$z = \sum_{i<n} w_i x_i + w_n, \qquad \text{out} = \sigma(z) = \frac{1}{1 + e^{-z}}.$$

The module provides `sigmoid`. Its local gradient, which is yours to use,
follows from the quotient rule and can be written with its own output:

$$\sigma'(z) = \frac{e^{-z}}{(1 + e^{-z})^2}
= \frac{1}{1 + e^{-z}} \cdot \frac{e^{-z}}{1 + e^{-z}} = \sigma(z)\,\bigl(1 - \sigma(z)\bigr).$$

Here the "loss" is `out` itself, so the upstream gradient at the top is 1.
The chain rule through $z$ gives, with $dz = \text{out}\,(1 - \text{out})$:

$$\frac{\partial\, \text{out}}{\partial w_i} = dz \cdot x_i \;(i < n), \qquad
\frac{\partial\, \text{out}}{\partial w_n} = dz \cdot 1, \qquad
\frac{\partial\, \text{out}}{\partial x_i} = dz \cdot w_i.$$

Vectorized: `dw = dz * np.append(x, 1.0)` of shape `(n + 1,)` and
`dx = dz * w[:-1]` of shape `(n,)`. The sum inside $z$ is an add gate and
each product $w_i x_i$ a multiply gate, which is why $x$ and $w$ swap.

## Staged computation

`staged(x, y)` returns

$$f(x, y) = \frac{x + \sigma(y)}{\sigma(x) + (x + y)^2}$$

and its partial derivatives. Deriving $\partial f / \partial x$ in one go is
long and error-prone. Instead, compute $f$ in stages, one intermediate
variable per line, and backpropagate through the same variables in reverse:

| forward | backward (each `dv` is $\partial f / \partial v$) |
|---|---|
| `sig_y = sigmoid(y)` | `dsig_y = dnum` |
| `num = x + sig_y` | `dnum = inv_den` |
| `sig_x = sigmoid(x)` | `dsig_x = dden` |
| `xpy = x + y` | `dxpy = 2 * xpy * dxpy_sq` |
| `xpy_sq = xpy ** 2` | `dxpy_sq = dden` |
| `den = sig_x + xpy_sq` | `dden = -1 / den ** 2 * dinv_den` |
| `inv_den = 1 / den` | `dinv_den = num` |
| `f = num * inv_den` | start: $\partial f / \partial f = 1$ |

Read the backward column from the bottom up. Each line is upstream times
local: `f = num * inv_den` is a multiply gate, so `dnum = inv_den * 1` and
`dinv_den = num * 1`. Then $\partial (1/d) / \partial d = -1/d^2$, then an add
gate copies `dden` to `dsig_x` and `dxpy_sq`, and so on.

## A gradient that reaches a variable by two paths adds up

$x$ enters $f$ three times: through `num`, through `sig_x` and through `xpy`.
The multivariable chain rule sums over every path from $x$ to $f$:

$$\frac{\partial f}{\partial x}
= \frac{\partial f}{\partial \text{num}} \frac{\partial \text{num}}{\partial x}
+ \frac{\partial f}{\partial \text{sig}_x} \frac{\partial \text{sig}_x}{\partial x}
+ \frac{\partial f}{\partial \text{xpy}} \frac{\partial \text{xpy}}{\partial x}
= \text{dnum} + \sigma(x)\bigl(1 - \sigma(x)\bigr)\,\text{dsig}_x + \text{dxpy}.$$

Likewise $y$ reaches $f$ through `sig_y` and `xpy`:

$$\frac{\partial f}{\partial y} = \sigma(y)\bigl(1 - \sigma(y)\bigr)\,\text{dsig}_y + \text{dxpy}.$$

In a graph this is the rule that gradients flowing into one node from
several branches are **added**: a variable used twice is like a copy gate,
whose backward is an add.

## Traps

- **Forgetting a local gradient.** `dw = np.append(x, 1.0)` skips the
  sigmoid: the chain rule multiplies by $\sigma'(z) = \text{out}(1 -
  \text{out})$ at every sigmoid, not only at the last node.
- **$\sigma'(z)$ is not $\sigma(z)$, and not $1 - \sigma(z)$.** It is their
  product.
- **Multiply swaps.** `da = dout * a` is wrong: the gradient of `a * b` with
  respect to `a` is `b`.
- **Add distributes, it does not split.** `da = db = dout / 2` gives each
  input half of its gradient. Both inputs get all of `dout`.
- **Max ties counted twice.** `a >= b` for `a` and `b >= a` for `b` sends
  `dout` to both inputs at a tie, so the gradient is counted twice. Use one
  mask and its complement.
- **The bias is a parameter.** `dw` has `n + 1` entries, and the last one,
  $\partial\,\text{out} / \partial w_n = \text{out}(1 - \text{out})$, is not zero.
- **Overwriting instead of adding.** When a variable reaches the output by
  several paths, `dx = ...` on each path keeps only the last one. Sum the
  contributions (or start from zeros and use `+=`).
- **Aliasing while accumulating.** `dx = dxpy` then `dx += ...` changes
  `dxpy` too, because both names point at one array, so `dy = dxpy` picks up
  `x`'s terms. Write `dx = dxpy + ...`, which builds a new array.
- **In-place edits of the caller's arrays.** `dout *= b` in a gate's backward
  changes the caller's `dout`, which the caller may still need. Compute
  `dout * b` into a new array.
- **Brackets.** `(x + sig_y) / sig_x + (x + y) ** 2` divides by `sig_x`
  only. Staging the computation in named variables avoids the mistake.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic sigmoid ``1 / (1 + exp(-z))``, elementwise.

    NOTE: exp(-z) overflows (with a warning) for z below about -709. Exercise 3
    builds the stable form. The inputs of this exercise stay far from that range.
    """
    return 1.0 / (1.0 + np.exp(-z))


class MultiplyGate:
    """The gate ``out = a * b``, elementwise."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Compute ``a * b`` and keep both inputs for backward.

        Args:
            a: array of any shape (...).
            b: array of the same shape as ``a``.

        Returns:
            ``a * b``, of the same shape.
        """
        # TODO: keep a and b for backward, and return their product.
        raise NotImplementedError("MultiplyGate.forward")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate ``dout``, of the shape of the output.

        Returns:
            ``(da, db)``, each of the shape of ``a``.
        """
        # TODO: return (da, db), upstream times local gradient for each input.
        raise NotImplementedError("MultiplyGate.backward")


class AddGate:
    """The gate ``out = a + b``, elementwise."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Compute ``a + b``.

        Args:
            a: array of any shape (...).
            b: array of the same shape as ``a``.

        Returns:
            ``a + b``, of the same shape.
        """
        # TODO: return the sum.
        raise NotImplementedError("AddGate.forward")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate ``dout``, of the shape of the output.

        Returns:
            ``(da, db)``, each of the shape of ``a``.
        """
        # TODO: return (da, db), upstream times local gradient for each input.
        raise NotImplementedError("AddGate.backward")


class MaxGate:
    """The gate ``out = max(a, b)``, elementwise."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Compute ``max(a, b)`` and remember which input won each entry.

        Args:
            a: array of any shape (...).
            b: array of the same shape as ``a``.

        Returns:
            ``np.maximum(a, b)``, of the same shape.
        """
        # TODO: remember where a wins (ties go to one input only), and return the maximum.
        raise NotImplementedError("MaxGate.forward")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate ``dout``, of the shape of the output.

        Returns:
            ``(da, db)``, each of the shape of ``a``: each entry of ``dout`` goes
            whole to the input that won that entry.
        """
        # TODO: route each entry of dout to the input that won it.
        raise NotImplementedError("MaxGate.backward")


def neuron(w: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Run one sigmoid neuron forward and backward.

    Args:
        w: weights of shape (n + 1,), whose last entry is the bias.
        x: input of shape (n,).

    Returns:
        ``(out, dw, dx)``: ``out = sigmoid(w[:-1] @ x + w[-1])`` as a float,
        d(out)/dw of shape (n + 1,) and d(out)/dx of shape (n,).
    """
    # TODO: compute z and out, then dz = d(out)/dz, then dw and dx.
    raise NotImplementedError("neuron")


def staged(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute ``f = (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2)`` and its partial derivatives.

    Args:
        x: array of any shape (...).
        y: array of the same shape as ``x``.

    Returns:
        ``(f, dfdx, dfdy)``, each of the shape of ``x``, elementwise.
    """
    # TODO: compute f in stages, then backpropagate through the stages in reverse,
    # adding up the paths by which x and y reach f.
    raise NotImplementedError("staged")
