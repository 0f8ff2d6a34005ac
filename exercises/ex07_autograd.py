r"""# Exercise 7: Autograd

In exercises 1 to 6 you wrote every backward pass by hand. PyTorch writes
them for you: `loss.backward()` fills `.grad` of every tensor the loss came
from. This exercise builds that machinery for scalars, in the style of
micrograd: a class `Value` that records a graph while you compute, then
walks it backwards with the chain rule.

## The API

| name | what it is |
|---|---|
| `Value(data)` | a leaf node; `.data` is `float(data)`, `.grad` starts at `0.0` |
| `a + b`, `a - b`, `a * b`, `a / b` | a new `Value`; either side may be a plain number (`2 - v`, `v / 3`) |
| `-a`, `a ** n` | a new `Value`; `n` is a plain number, integer or fractional |
| `a.tanh()`, `a.relu()`, `a.exp()`, `a.log()`, `a.sigmoid()` | a new `Value` |
| `out.backward()` | sets `out.grad = 1` and adds $\partial\,\text{out} / \partial v$ into `v.grad` for every node `v` that `out` depends on |

Everything is a Python float (float64); there are no shapes.

## The graph is recorded during the forward pass

Each operation returns a new node that remembers its inputs and how to
push a gradient back to them: the local derivative of its output with
respect to each input. After

```python
a, b = Value(2.0), Value(-3.0)
c = a * b        # c remembers (a, b) and dc/da = b, dc/db = a
out = c.tanh()   # out remembers (c,) and dout/dc = 1 - tanh(c)^2
```

the nodes form a directed acyclic graph from the leaves `a`, `b` to `out`.
That is all `backward` needs: no formula for the whole expression, only one
local rule per node.

## The chain rule on a graph

Write $\bar v = \partial\,\text{out} / \partial v$ for the gradient of the
root with respect to a node $v$. The root's is $\overline{\text{out}} = 1$.
A node $v$ reaches the root only through the nodes $u$ that use it, so

$$\bar v = \sum_{u \text{ uses } v} \bar u \, \frac{\partial u}{\partial v}.$$

A node used twice appears twice in the sum: in `x * x` both factors are
`x`, and $\bar x = \bar u\,x + \bar u\,x = 2x\,\bar u$. That is why every
backward rule *adds* into its inputs' gradients.

The sum needs every $\bar u$ to be complete before it is used, so the
nodes are visited in **reverse topological order**. A topological order
lists every node after all of its inputs; a depth-first search from the
root produces one by appending a node once its inputs are done. Walking
that order backwards visits every user of a node before the node itself.

The depth-first search must not be recursive. Python stops at about 1,000
nested calls, and real graphs are much deeper: an RNN unrolled over 5,000
steps, `v = v * w + b`, is 10,000 nodes deep. Keep the pending nodes on an
explicit stack instead.

## Local derivatives

With $\bar u$ the gradient arriving at the output $u$ of an operation:

| operation | local derivatives | adds to the inputs |
|---|---|---|
| $u = a + b$ | $\partial u/\partial a = \partial u/\partial b = 1$ | $\bar a \mathrel{+}= \bar u$, $\bar b \mathrel{+}= \bar u$ |
| $u = a\,b$ | $\partial u/\partial a = b$, $\partial u/\partial b = a$ | $\bar a \mathrel{+}= b\,\bar u$, $\bar b \mathrel{+}= a\,\bar u$ |
| $u = x^n$ | $n\,x^{n-1}$ | $\bar x \mathrel{+}= n\,x^{n-1}\,\bar u$ |
| $u = -x$ | $-1$ | $\bar x \mathrel{+}= -\bar u$ |
| $u = e^x$ | $e^x = u$ | $\bar x \mathrel{+}= u\,\bar u$ |
| $u = \log x$ | $1/x$ | $\bar x \mathrel{+}= \bar u / x$ |
| $u = \tanh x$ | $1 - \tanh^2 x = 1 - u^2$ | $\bar x \mathrel{+}= (1 - u^2)\,\bar u$ |
| $u = \sigma(x) = 1/(1 + e^{-x})$ | $\sigma(x)(1 - \sigma(x)) = u(1 - u)$ | $\bar x \mathrel{+}= u(1-u)\,\bar u$ |
| $u = \max(x, 0)$ | $1$ if $x > 0$, else $0$ | $\bar x \mathrel{+}= [x > 0]\,\bar u$ |

Subtraction and division need no rules of their own: $a - b = a + (-b)$ and
$a / b = a \cdot b^{-1}$. The product and power rules then give

$$\frac{\partial (a/b)}{\partial a} = \frac{1}{b}, \qquad
\frac{\partial (a/b)}{\partial b} = a \cdot (-1)\, b^{-2} = -\frac{a}{b^2}.$$

The derivatives of $\tanh$, $\sigma$ and $e^x$ are cheapest written with the
output $u$, which the node already holds.

## Plain numbers on either side

`v + 2` calls `v.__add__(2)`. `2 + v` first tries `int.__add__(2, v)`,
which returns `NotImplemented`, and then Python calls `v.__radd__(2)`, with
`self = v` and `other = 2`. So `__rsub__` must compute `other - self` and
`__rtruediv__` `other / self`. Wrap the number in a `Value` (a leaf whose
gradient nobody reads) or use it as a constant.

## Accumulation, as in PyTorch

PyTorch *adds* into `.grad`: call `loss.backward()` twice and every leaf's
gradient doubles; backpropagate two losses one after the other and each
leaf holds the sum of both gradients. That is why training loops call
`optimizer.zero_grad()` before each backward pass. This `Value` does the
same. Each `backward()` call:

1. computes this call's $\bar v$ for every node reachable from the root,
   starting from $\overline{\text{out}} = 1$;
2. adds it into `v.grad`;
3. sets the root's `.grad` to 1.

Step 1 must use only this call's gradients, so keep them in a buffer of
their own (a dict from node to gradient) instead of reading `.grad`. After a
first call, an intermediate node's `.grad` already holds its gradient;
propagating `.grad` in a second call would push that old amount down a
second time, and leaves several levels below would receive far more than
double. With the buffer, a second call adds exactly the same amounts again,
to the leaves and to the intermediate nodes alike.

## Traps

- **Recursion depth.** `def build(v): for u in v.inputs: build(u)` raises
  `RecursionError` on a graph 10,000 nodes deep. Use an explicit stack.
- **`=` instead of `+=`.** A node used several times (`x * x`, or a hidden
  state feeding two gates) must sum the gradients of all its uses;
  assignment keeps only the last one.
- **Propagating the accumulated `.grad`.** The micrograd pattern
  `out._backward()` reading `out.grad` is right for one call on fresh
  nodes, but a second call propagates the first call's gradient again.
  Propagate a per-call buffer, then add it into `.grad`.
- **The root.** `backward()` sets `root.grad = 1`, it does not add 1, and it
  must not leave it at 0: every other gradient is a multiple of it.
- **The gradient of a / b with respect to b** is $-a/b^2$: the minus sign
  and the factor $a$ are both easy to drop.
- **Argument order of the reflected operators.** In `__rsub__(self,
  other)` and `__rtruediv__(self, other)`, `self` is the right operand:
  `2 - v` is `other - self`, not `self - other`.
- **The power rule's brackets.** `n * x ** n - 1` is $n x^n - 1$; write
  `n * x ** (n - 1)`.
- **tanh and sigmoid** differentiate to $1 - u^2$ and $u(1 - u)$ with $u$ the
  *output*; writing them with the input $x$ is a common slip.
"""

from __future__ import annotations

import math


class Value:
    """A scalar node of a computation graph, recorded as operations run.

    Each operation stores its inputs and the local derivatives of its output
    with respect to them; ``backward`` chains those together.

    Attributes:
        data: the scalar's value (a float).
        grad: d(root)/d(this node) added by every ``backward()`` call that reached this node; starts at 0.0.
    """

    def __init__(self, data: float, _inputs: tuple[Value, ...] = (), _local_grads: tuple[float, ...] = ()):
        """Create a node holding ``float(data)``.

        Operations pass their input nodes and the local derivatives
        d(new node)/d(input) in the same order; a leaf has neither.
        """
        # TODO: store float(data), grad = 0.0, the inputs and their local derivatives.
        raise NotImplementedError("Value.__init__")

    # -- operations ---------------------------------------------------------
    # Each one computes the output and the local derivatives d(out)/d(input).

    def __add__(self, other: Value | float) -> Value:
        """Return ``self + other``; d(out)/d(self) = d(out)/d(other) = 1."""
        # TODO: wrap a number as a Value; return Value(sum, (self, other), (1.0, 1.0)).
        raise NotImplementedError("Value.__add__")

    def __mul__(self, other: Value | float) -> Value:
        """Return ``self * other``; d(out)/d(self) = other, d(out)/d(other) = self."""
        # TODO: wrap a number as a Value; each input's local derivative is the other's data.
        raise NotImplementedError("Value.__mul__")

    def __pow__(self, exponent: float) -> Value:
        """Return ``self ** n`` for a number ``n = exponent``; the derivative is n x^(n-1).

        A negative base needs an integer exponent, as for Python floats.
        """
        # TODO: the output is data ** exponent; the local derivative is exponent * data ** (exponent - 1).
        raise NotImplementedError("Value.__pow__")

    def __neg__(self) -> Value:
        """Return ``-self``."""
        # TODO: multiply by -1.
        raise NotImplementedError("Value.__neg__")

    def __sub__(self, other: Value | float) -> Value:
        """Return ``self - other``."""
        # TODO: add the negation of other.
        raise NotImplementedError("Value.__sub__")

    def __truediv__(self, other: Value | float) -> Value:
        """Return ``self / other``, computed as ``self * other ** -1``."""
        # TODO: multiply by other ** -1 (other wrapped as a Value).
        raise NotImplementedError("Value.__truediv__")

    def __radd__(self, other: float) -> Value:
        """Return ``other + self`` for a number ``other``."""
        # TODO: addition commutes.
        raise NotImplementedError("Value.__radd__")

    def __rsub__(self, other: float) -> Value:
        """Return ``other - self`` for a number ``other``."""
        # TODO: self is the right operand: compute other - self.
        raise NotImplementedError("Value.__rsub__")

    def __rmul__(self, other: float) -> Value:
        """Return ``other * self`` for a number ``other``."""
        # TODO: multiplication commutes.
        raise NotImplementedError("Value.__rmul__")

    def __rtruediv__(self, other: float) -> Value:
        """Return ``other / self`` for a number ``other``."""
        # TODO: self is the right operand: compute other / self.
        raise NotImplementedError("Value.__rtruediv__")

    def tanh(self) -> Value:
        """Return tanh(self); the derivative is 1 - tanh(x)^2, read off the output."""
        # TODO: t = math.tanh(data); the local derivative is 1 - t * t.
        raise NotImplementedError("Value.tanh")

    def relu(self) -> Value:
        """Return max(self, 0); the derivative is 1 where x > 0, else 0."""
        # TODO: the output and the local derivative both depend on data > 0.
        raise NotImplementedError("Value.relu")

    def exp(self) -> Value:
        """Return e^self; the derivative is e^x, the output itself."""
        # TODO: e = math.exp(data) is both the output and the local derivative.
        raise NotImplementedError("Value.exp")

    def log(self) -> Value:
        """Return the natural logarithm of self (self > 0); the derivative is 1/x."""
        # TODO: math.log(data), with local derivative 1 / data.
        raise NotImplementedError("Value.log")

    def sigmoid(self) -> Value:
        """Return 1 / (1 + e^-self); the derivative is s(1 - s), with s the output."""
        # TODO: compute s without overflow for negative data; the local derivative is s * (1 - s).
        raise NotImplementedError("Value.sigmoid")

    # -- backpropagation ----------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node that self depends on.

        Sets ``self.grad`` to 1. The gradients of this call flow through a
        separate buffer, so the ``.grad`` accumulated by earlier calls is never
        propagated again: a second call adds the same amounts again.
        """
        # TODO: walk the topological order backwards, filling a dict node -> this call's gradient;
        # then add it into every node's grad and set self.grad = 1.0.
        raise NotImplementedError("Value.backward")

    def _topological_order(self) -> list[Value]:
        """List every node self depends on (self included), each after all of its inputs.

        An explicit stack replaces recursion, so a graph of any depth works.
        """
        # TODO: depth-first search with a stack of (node, inputs_done) pairs and a visited set.
        raise NotImplementedError("Value._topological_order")


def _as_value(x: Value | float) -> Value:
    """Wrap a number as a leaf Value; return a Value unchanged."""
    # TODO: return x if it is a Value, else Value(x).
    raise NotImplementedError("_as_value")
