r"""# Exercise 4: Losses

A loss turns a batch of predictions into one number to minimise. Its
backward pass starts the chain rule: `backward(dout)` returns the gradient of
the final scalar with respect to the predictions. Here `dout` is the gradient
of that scalar with respect to the loss, which is 1.0 when the loss is itself
the final scalar.

## Shapes

| name | shape |
|---|---|
| `logits` | `(N, C)`: one row of class scores per example |
| `targets` | `(N,)` integers in `[0, C)`: the correct class of each example |
| `pred`, `target` (MSE) | any shape, the same for both, e.g. `(N, D)` |
| the loss | a Python `float` |
| `dout` | a float, default `1.0` |
| `dlogits`, `dpred` | the shape of `logits`, `pred` |

## Softmax cross-entropy

The softmax turns the scores $z = \text{logits}_{n\cdot}$ of one example into
probabilities, and the loss is the negative log-probability of the target
class $y = \text{targets}_n$, averaged over the batch:

$$p_c = \frac{e^{z_c}}{\sum_k e^{z_k}}, \qquad
\ell_n = -\log p_{y}, \qquad L = \frac{1}{N}\sum_{n} \ell_n$$

### Backward, by the chain rule

Write $\ell_n$ without the fraction first: $\ell_n = -z_y + \log \sum_k e^{z_k}$.
Its derivative with respect to one score $z_c$ has two terms. The first is
$-1$ if $c = y$ and $0$ otherwise. The second is
$\frac{e^{z_c}}{\sum_k e^{z_k}} = p_c$. So

$$\frac{\partial \ell_n}{\partial z_c} = p_c - \mathbb{1}[c = y].$$

The probabilities minus the one-hot target: every class gets pushed down by
its probability, and the target class is pulled up by 1. The mean gives each
example a factor $1/N$, and `dout` multiplies everything:

$$\text{dlogits} = \text{dout} \cdot \frac{\text{softmax}(\text{logits}) - \text{onehot}(\text{targets})}{N} \;\; (N, C)$$

In numpy: copy the probabilities, subtract 1 at `[np.arange(N), targets]`,
then scale by `dout / N`.

### Stable forward: the log-sum-exp trick

`np.exp(1000.0)` is `inf` in float64 (the largest finite value is about
$e^{709.8}$), and then `inf / inf` is NaN. Subtracting the row maximum
$m = \max_k z_k$ changes nothing mathematically, because it cancels between
numerator and denominator:

$$\log \sum_k e^{z_k} = m + \log \sum_k e^{z_k - m}.$$

Every exponent $z_k - m$ is now at most 0, so no `exp` overflows, and the
largest term is $e^0 = 1$, so the sum is at least 1 and its log is finite.

### Why not `np.log(softmax(z))`

Even with the maximum subtracted, the probability of a class whose score is
more than about 745 below the maximum underflows to exactly 0.0, and
`np.log(0.0)` is `-inf`: the loss becomes infinite where the true value is an
ordinary number near $m - z_y$. Compute the log-probabilities directly,

$$\log p_c = (z_c - m) - \log \sum_k e^{z_k - m},$$

and take `exp` of them only to get the probabilities that backward needs.

## Mean squared error

$$L = \frac{1}{n}\sum_{i} (\text{pred}_i - \text{target}_i)^2$$

where $n$ is the number of elements of `pred` (for `(N, D)`, $n = N D$), not
the batch size. By the chain rule through the square,

$$\frac{\partial L}{\partial \text{pred}_i} = \frac{2\,(\text{pred}_i - \text{target}_i)}{n}
\quad\Rightarrow\quad \text{dpred} = \text{dout} \cdot \frac{2\,(\text{pred} - \text{target})}{n}.$$

## Traps

- **Overflow in `exp`.** `np.exp(logits)` overflows for scores above about
  709. Subtract each row's maximum first; the contract requires finite
  results for logits up to 1e4 in magnitude, without numpy warnings.
- **`log` of an underflowed probability.** `np.log(probs[rows, targets])`
  is `-inf` as soon as a target's probability underflows. Use the
  log-sum-exp form of the log-probabilities.
- **Mean, not sum.** The loss averages over the batch, so `dlogits` has the
  factor $1/N$. A summed loss is N times too large, and so is its gradient.
  This $1/N$ belongs here and nowhere else: the layers below sum over the
  batch.
- **The one-hot term.** `dlogits` is `probs - onehot`, not `probs`: forget
  the $-1$ at the target class and every example pushes its own target down.
- **Do not change the inputs.** `logits -= logits.max(...)` writes into the
  caller's array. Build a new array: `shifted = logits - ...`. The same holds
  for `targets` and `pred`.
- **Use `dout`.** `backward(dout)` must multiply by `dout`; it is 1.0 only
  when the loss is the final scalar (not when it is weighted or summed with
  another loss).
- **MSE's factor 2 and its $n$.** The derivative of a square brings a 2, and
  the mean divides by the number of elements, not by the batch size.
- **Return a float.** `forward` returns one number, not an array of
  per-example losses.
"""

from __future__ import annotations

import numpy as np


class SoftmaxCrossEntropy:
    """Mean cross-entropy of a softmax over class scores, with integer targets.

    Attributes:
        params: empty, the loss has no parameters.
        grads: empty, the loss has no parameters.
    """

    def __init__(self):
        # TODO: set params and grads to empty dicts, and create the caches backward needs.
        raise NotImplementedError("SoftmaxCrossEntropy.__init__")

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        """Compute ``mean_n -log softmax(logits[n])[targets[n]]``.

        Args:
            logits: class scores of shape (N, C).
            targets: integer class indices of shape (N,), each in [0, C).

        Returns:
            The loss averaged over the N examples, a float.
        """
        # TODO: compute stable log-probabilities (log-sum-exp), cache the probabilities, return the mean loss.
        raise NotImplementedError("SoftmaxCrossEntropy.forward")

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """Backpropagate ``dout``, the gradient of the final scalar with respect to the loss.

        Returns:
            dlogits of shape (N, C): ``dout * (softmax(logits) - onehot(targets)) / N``.
        """
        # TODO: return dout * (probs - onehot(targets)) / N.
        raise NotImplementedError("SoftmaxCrossEntropy.backward")


class MSELoss:
    """Mean squared error over every element: ``mean((pred - target) ** 2)``.

    Attributes:
        params: empty, the loss has no parameters.
        grads: empty, the loss has no parameters.
    """

    def __init__(self):
        # TODO: set params and grads to empty dicts, and create the cache backward needs.
        raise NotImplementedError("MSELoss.__init__")

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """Compute ``mean((pred - target) ** 2)`` over all elements.

        Args:
            pred: predictions of any shape, e.g. (N, D).
            target: values of the same shape as ``pred``.

        Returns:
            The mean of the squared differences, a float.
        """
        # TODO: cache pred - target and return the mean of its squares.
        raise NotImplementedError("MSELoss.forward")

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """Backpropagate ``dout``, the gradient of the final scalar with respect to the loss.

        Returns:
            dpred of the shape of ``pred``: ``dout * 2 * (pred - target) / pred.size``.
        """
        # TODO: return dout * 2 * (pred - target) / n, with n the number of elements.
        raise NotImplementedError("MSELoss.backward")
