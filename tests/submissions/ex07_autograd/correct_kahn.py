"""Correct Value that orders the backward pass with Kahn's algorithm and computes with numpy.

Each node keeps (input, local derivative) edges. backward() counts how many
reachable nodes use each node and releases a node once all of its users
have passed their gradient down. Math goes through numpy scalars.
"""

import numpy as np


class Value:
    def __init__(self, data, edges=()):
        self.data = float(data)
        self.grad = 0.0
        self.edges = list(edges)

    @staticmethod
    def lift(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value.lift(other)
        return Value(self.data + other.data, [(self, 1.0), (other, 1.0)])

    def __radd__(self, other):
        return Value.lift(other) + self

    def __sub__(self, other):
        other = Value.lift(other)
        return Value(self.data - other.data, [(self, 1.0), (other, -1.0)])

    def __rsub__(self, other):
        return Value.lift(other) - self

    def __mul__(self, other):
        other = Value.lift(other)
        return Value(self.data * other.data, [(self, other.data), (other, self.data)])

    def __rmul__(self, other):
        return Value.lift(other) * self

    def __truediv__(self, other):
        other = Value.lift(other)
        a, b = self.data, other.data
        return Value(a / b, [(self, 1.0 / b), (other, -a / (b * b))])

    def __rtruediv__(self, other):
        return Value.lift(other) / self

    def __neg__(self):
        return Value(-self.data, [(self, -1.0)])

    def __pow__(self, n):
        return Value(np.power(self.data, n), [(self, n * np.power(self.data, n - 1))])

    def tanh(self):
        t = np.tanh(self.data)
        return Value(t, [(self, 1.0 - t * t)])

    def relu(self):
        return Value(np.maximum(self.data, 0.0), [(self, float(self.data > 0))])

    def exp(self):
        e = np.exp(self.data)
        return Value(e, [(self, e)])

    def log(self):
        return Value(np.log(self.data), [(self, 1.0 / self.data)])

    def sigmoid(self):
        s = 0.5 * (1.0 + np.tanh(0.5 * self.data))
        return Value(s, [(self, s * (1.0 - s))])

    def backward(self):
        users = {self: 0}
        stack = [self]
        while stack:
            node = stack.pop()
            for inp, _ in node.edges:
                if inp not in users:
                    users[inp] = 0
                    stack.append(inp)
                users[inp] += 1

        grads = dict.fromkeys(users, 0.0)
        grads[self] = 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            for inp, local in node.edges:
                grads[inp] += local * grads[node]
                users[inp] -= 1
                if users[inp] == 0:
                    ready.append(inp)

        for node, g in grads.items():
            node.grad += g
        self.grad = 1.0
