"""The depth-first search skips visited inputs only when pushing them, so an input
pushed twice before it is visited appears twice in the topological order, and
its gradient is added twice.

kind: other
"""

from __future__ import annotations
import math


class Value:
    def __init__(self, data, _inputs=(), _local_grads=()):
        self.data = float(data)
        self.grad = 0.0
        self._inputs = tuple(_inputs)
        self._local_grads = tuple(_local_grads)

    def __add__(self, other):
        other = _as_value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        other = _as_value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, exponent):
        return Value(self.data ** exponent, (self,), (exponent * self.data ** (exponent - 1),))

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_as_value(other))

    def __truediv__(self, other):
        return self * _as_value(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rmul__(self, other):
        return self * other

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1 - t * t,))

    def relu(self):
        return Value(self.data if self.data > 0 else 0.0, (self,), (1.0 if self.data > 0 else 0.0,))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,))

    def log(self):
        return Value(math.log(self.data), (self,), (1 / self.data,))

    def sigmoid(self):
        x = self.data
        if x >= 0:
            s = 1 / (1 + math.exp(-x))
        else:
            z = math.exp(x)
            s = z / (1 + z)
        return Value(s, (self,), (s * (1 - s),))

    def backward(self):
        order = self._topological_order()
        buf = {id(self): 1.0}
        for node in reversed(order):
            g = buf.get(id(node), 0.0)
            for inp, lg in zip(node._inputs, node._local_grads):
                buf[id(inp)] = buf.get(id(inp), 0.0) + lg * g
        for node in order:
            node.grad += buf.get(id(node), 0.0)
        self.grad = 1.0

    def _topological_order(self):
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            visited.add(id(node))
            stack.append((node, True))
            for inp in node._inputs:
                if id(inp) not in visited:
                    stack.append((inp, False))
        return order


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)
