"""Correct Value with an op-code table and a creation-order tape.

Nodes record an op name, their Value operands and a plain-number constant
(numbers are never wrapped as nodes). One table maps each op to its local
derivatives. Every node gets a larger id than its inputs, so sorting the
reachable nodes by id gives a topological order without any search.
"""

import itertools
import math

_ids = itertools.count()


def _local_derivatives(node):
    """d(node)/d(arg) for each Value argument of node, from the op table."""
    args = [arg.data for arg in node.args]
    c, out = node.const, node.data
    table = {
        "leaf": lambda: (),
        "add": lambda: (1.0, 1.0),
        "add_const": lambda: (1.0,),
        "mul": lambda: (args[1], args[0]),
        "mul_const": lambda: (c,),
        "pow": lambda: (c * args[0] ** (c - 1),),
        "tanh": lambda: (1.0 - out * out,),
        "relu": lambda: (1.0 if args[0] > 0 else 0.0,),
        "exp": lambda: (out,),
        "log": lambda: (1.0 / args[0],),
        "sigmoid": lambda: (out * (1.0 - out),),
    }
    return table[node.op]()


class Value:
    def __init__(self, data, op="leaf", args=(), const=None):
        self.data = float(data)
        self.grad = 0.0
        self.op = op
        self.args = args
        self.const = const
        self.id = next(_ids)

    def __add__(self, other):
        if isinstance(other, Value):
            return Value(self.data + other.data, "add", (self, other))
        return Value(self.data + other, "add_const", (self,), other)

    __radd__ = __add__

    def __mul__(self, other):
        if isinstance(other, Value):
            return Value(self.data * other.data, "mul", (self, other))
        return Value(self.data * other, "mul_const", (self,), other)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __pow__(self, n):
        return Value(self.data**n, "pow", (self,), n)

    def __truediv__(self, other):
        if isinstance(other, Value):
            return self * other**-1
        return self * (1.0 / other)

    def __rtruediv__(self, other):
        return self**-1 * other

    def tanh(self):
        return Value(math.tanh(self.data), "tanh", (self,))

    def relu(self):
        return Value(max(self.data, 0.0), "relu", (self,))

    def exp(self):
        return Value(math.exp(self.data), "exp", (self,))

    def log(self):
        return Value(math.log(self.data), "log", (self,))

    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return Value(s, "sigmoid", (self,))

    def backward(self):
        reachable, stack = {self}, [self]
        while stack:
            for arg in stack.pop().args:
                if arg not in reachable:
                    reachable.add(arg)
                    stack.append(arg)

        grads = dict.fromkeys(reachable, 0.0)
        grads[self] = 1.0
        for node in sorted(reachable, key=lambda v: v.id, reverse=True):
            for arg, local in zip(node.args, _local_derivatives(node)):
                grads[arg] += local * grads[node]

        for node, g in grads.items():
            node.grad += g
        self.grad = 1.0
