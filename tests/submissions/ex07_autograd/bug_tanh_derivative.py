"""The derivative of tanh is written with the input: 1 - x**2 instead of 1 - tanh(x)**2.

kind: other
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
        self.data = float(data)
        self.grad = 0.0
        self._inputs = _inputs
        self._local_grads = _local_grads

    # -- operations ---------------------------------------------------------
    # Each one computes the output and the local derivatives d(out)/d(input).

    def __add__(self, other: Value | float) -> Value:
        """Return ``self + other``; d(out)/d(self) = d(out)/d(other) = 1."""
        other = _as_value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Value | float) -> Value:
        """Return ``self * other``; d(out)/d(self) = other, d(out)/d(other) = self."""
        other = _as_value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, exponent: float) -> Value:
        """Return ``self ** exponent`` for a number ``exponent``; d(out)/d(self) = n x^(n-1).

        A negative base needs an integer exponent, as for Python floats.
        """
        local = exponent * self.data ** (exponent - 1)
        return Value(self.data**exponent, (self,), (local,))

    def __neg__(self) -> Value:
        """Return ``-self``."""
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        """Return ``self - other``."""
        return self + (-_as_value(other))

    def __truediv__(self, other: Value | float) -> Value:
        """Return ``self / other``, computed as ``self * other ** -1``."""
        return self * _as_value(other) ** -1

    def __radd__(self, other: float) -> Value:
        """Return ``other + self`` for a number ``other``."""
        return self + other

    def __rsub__(self, other: float) -> Value:
        """Return ``other - self`` for a number ``other``."""
        return _as_value(other) - self

    def __rmul__(self, other: float) -> Value:
        """Return ``other * self`` for a number ``other``."""
        return self * other

    def __rtruediv__(self, other: float) -> Value:
        """Return ``other / self`` for a number ``other``."""
        return _as_value(other) / self

    def tanh(self) -> Value:
        """Return tanh(self); the derivative is 1 - tanh(x)^2, read off the output."""
        out = math.tanh(self.data)
        return Value(out, (self,), (1.0 - self.data * self.data,))

    def relu(self) -> Value:
        """Return max(self, 0); the derivative is 1 where x > 0, else 0."""
        positive = self.data > 0
        return Value(self.data if positive else 0.0, (self,), (1.0 if positive else 0.0,))

    def exp(self) -> Value:
        """Return e^self; the derivative is e^x, the output itself."""
        out = math.exp(self.data)
        return Value(out, (self,), (out,))

    def log(self) -> Value:
        """Return the natural logarithm of self (self > 0); the derivative is 1/x."""
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def sigmoid(self) -> Value:
        """Return 1 / (1 + e^-self); the derivative is s(1 - s), with s the output."""
        if self.data >= 0:
            out = 1.0 / (1.0 + math.exp(-self.data))
        else:  # e^-x would overflow for very negative x; this form cannot
            e = math.exp(self.data)
            out = e / (1.0 + e)
        return Value(out, (self,), (out * (1.0 - out),))

    # -- backpropagation ----------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node that self depends on.

        Sets ``self.grad`` to 1. The gradients of this call flow through a
        separate buffer, so the ``.grad`` accumulated by earlier calls is never
        propagated again: a second call adds the same amounts again.
        """
        order = self._topological_order()

        grads = {node: 0.0 for node in order}  # this call's d(self)/d(node), kept apart from .grad
        grads[self] = 1.0
        for node in reversed(order):  # every user of a node comes before it
            for input_node, local in zip(node._inputs, node._local_grads):
                grads[input_node] += local * grads[node]

        for node in order:
            node.grad += grads[node]
        self.grad = 1.0

    def _topological_order(self) -> list[Value]:
        """List every node self depends on (self included), each after all of its inputs.

        An explicit stack replaces recursion, so a graph of any depth works.
        """
        order: list[Value] = []
        visited: set[Value] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
                continue
            if node in visited:
                continue
            visited.add(node)
            stack.append((node, True))  # popped again once all its inputs are in order
            stack.extend((input_node, False) for input_node in node._inputs if input_node not in visited)
        return order


def _as_value(x: Value | float) -> Value:
    """Wrap a number as a leaf Value; return a Value unchanged."""
    return x if isinstance(x, Value) else Value(x)
