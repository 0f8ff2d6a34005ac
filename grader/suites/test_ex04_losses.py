"""Hidden suite of exercise 4: SoftmaxCrossEntropy and MSELoss."""

import numpy as np
import pytest

from grader.testkit import (
    LayerCase,
    Steps,
    Target,
    check_forward,
    check_gradient,
    check_inputs_unchanged,
    check_shapes,
    check_values,
    expect_close,
    expect_no_warnings,
    fail,
    graded,
    run_pass,
    to_array,
)
from grader.testkit.diagnosis import Context

#: Largest logit magnitude the contract requires to work.
LARGE = 1e4

CE_FORWARD_HINTS = (
    "The loss of one example is -log of the softmax probability of its target class; "
    "forward returns the mean over the batch, as a float.",
    "log p[n, c] = (z[n, c] - m[n]) - log(sum_k exp(z[n, k] - m[n])), with m[n] the row maximum.",
    "float(-log_probs[np.arange(N), targets].mean())",
)
CE_BACKWARD_HINTS = (
    "d(-log p_y)/dz_c = p_c - [c == y]: the probabilities minus the one-hot target, "
    "and the mean over the batch brings a factor 1/N.",
    "dlogits = dout * (probs - onehot(targets)) / N, with probs cached by forward.",
    "d = probs.copy(); d[np.arange(N), targets] -= 1; return d * (dout / N)",
)
MSE_FORWARD_HINTS = (
    "The mean runs over every element of pred (N * D of them for (N, D)), not over the batch only.",
    "return float(np.mean((pred - target) ** 2))",
)
MSE_BACKWARD_HINTS = (
    "d/dp of (p - t)^2 is 2 (p - t); the mean divides by the number of elements n = pred.size.",
    "dpred = dout * 2 * (pred - target) / pred.size",
)
DOUT_HINTS = (
    "backward(dout) returns dout times the loss's gradient: dout is the gradient of the final "
    "scalar with respect to this loss, 1.0 only when the loss is that scalar.",
    "Multiply the whole gradient by dout, e.g. return grad * dout.",
)
DEFAULT_DOUT_HINTS = (
    "The contract's signature is backward(self, dout=1.0): calling backward() must work.",
    "def backward(self, dout=1.0): ...",
)


# --- cases --------------------------------------------------------------------


def cross_entropy_case(rng, n=4, classes=5, dout=1.0, logits=None, targets=None):
    """A SoftmaxCrossEntropy call on O(1) logits and random targets, unless given."""
    logits = rng.normal(scale=2.0, size=(n, classes)) if logits is None else logits
    targets = rng.integers(0, classes, size=n) if targets is None else targets
    return LayerCase(
        cls="SoftmaxCrossEntropy",
        inputs=(logits, targets),
        input_names=("logits", "targets"),
        grad_inputs=(0,),
        dout=dout,
        read_state=False,
    )


def mse_case(rng, shape=(4, 3), dout=1.0):
    """An MSELoss call on random predictions and targets of one shape."""
    return LayerCase(
        cls="MSELoss",
        inputs=(rng.normal(size=shape), rng.normal(size=shape)),
        input_names=("pred", "target"),
        grad_inputs=(0,),
        dout=dout,
        read_state=False,
    )


def target_region(case: LayerCase) -> dict:
    """The entries of dlogits at each example's target class, for the diagnosis."""
    logits, targets = case.inputs
    onehot = np.zeros(logits.shape, dtype=bool)
    onehot[np.arange(len(targets)), targets] = True
    return {"at the target class": onehot}


def large_logits(rng, regime: str):
    """Logits up to 1e4 in magnitude that break the naive formulas, and their targets.

    ``positive``: every score near +1e4, so exp overflows without the shift.
    ``negative``: every score near -1e4, so exp underflows to 0 without the shift.
    ``spread``: scores spread over [-1e4, 1e4] and the first target at its row's
    minimum, so that target's probability underflows to 0 and log(p) is -inf.
    """
    n, classes = 4, 5
    targets = rng.integers(0, classes, size=n)
    if regime == "positive":
        return LARGE - rng.uniform(0.0, 20.0, size=(n, classes)), targets
    if regime == "negative":
        return -LARGE + rng.uniform(0.0, 20.0, size=(n, classes)), targets
    levels = np.linspace(-LARGE + 10.0, LARGE - 10.0, classes)
    logits = np.stack([rng.permutation(levels) for _ in range(n)]) + rng.uniform(-10.0, 10.0, size=(n, classes))
    targets[0] = int(np.argmin(logits[0]))
    return logits, targets


CE_CASES = {
    "batch": dict(n=4, classes=5),
    "one-example": dict(n=1, classes=4),
    "two-classes": dict(n=6, classes=2),
    "many-classes": dict(n=3, classes=40),
}
MSE_SHAPES = {"batch": (4, 3), "one-example": (1, 5), "three-axes": (2, 3, 4)}


# --- softmax cross-entropy ---------------------------------------------------------


@graded(1, ("backward returns dlogits with the shape of logits, (N, C).",
            "Keep the probabilities (N, C) from forward; dlogits is built from them."))
def test_ce_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, cross_entropy_case(rng))


@pytest.mark.parametrize("sizes", CE_CASES.values(), ids=CE_CASES.keys())
@graded(2, CE_FORWARD_HINTS)
def test_ce_forward(candidate, reference, rng, sizes):
    check_forward(candidate, reference, cross_entropy_case(rng, **sizes))


@pytest.mark.parametrize("sizes", CE_CASES.values(), ids=CE_CASES.keys())
@graded(2, CE_BACKWARD_HINTS)
def test_ce_backward(candidate, reference, rng, sizes):
    case = cross_entropy_case(rng, **sizes)
    check_gradient(candidate, reference, case, Target.input(), rng=rng, regions=target_region(case))


@graded(2, DOUT_HINTS)
def test_ce_backward_dout(candidate, reference, rng):
    case = cross_entropy_case(rng, dout=float(rng.uniform(1.5, 4.0)))
    check_gradient(candidate, reference, case, Target.input(), rng=rng, regions=target_region(case))


@graded(1, DEFAULT_DOUT_HINTS)
def test_ce_backward_default_dout(candidate, reference, rng):
    case = cross_entropy_case(rng)
    check_default_dout(candidate, reference, case, "dlogits")


@pytest.mark.parametrize("regime", ["positive", "negative", "spread"])
@graded(2, ("Subtract each row's maximum before exp, and compute log-probabilities with the "
            "log-sum-exp trick instead of taking the log of probabilities that can underflow to 0.",
            "m = logits.max(axis=1, keepdims=True); log_probs = (logits - m) - "
            "np.log(np.exp(logits - m).sum(axis=1, keepdims=True))"))
def test_ce_stable(candidate, reference, rng, regime):
    logits, targets = large_logits(rng, regime)
    check_stable(candidate, reference, cross_entropy_case(rng, logits=logits, targets=targets))


@graded(1, ("forward and backward must not write into logits or targets: the caller still owns them.",
            "Write shifted = logits - logits.max(axis=1, keepdims=True), not logits -= ...",))
def test_ce_inputs_unchanged(candidate, reference, rng):
    check_inputs_unchanged(candidate, reference, cross_entropy_case(rng))


# --- mean squared error ---------------------------------------------------------


@graded(1, ("backward returns dpred with the shape of pred.",
            "Keep pred - target from forward; dpred has its shape."))
def test_mse_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, mse_case(rng, (2, 3, 4)))


@pytest.mark.parametrize("shape", MSE_SHAPES.values(), ids=MSE_SHAPES.keys())
@graded(2, MSE_FORWARD_HINTS)
def test_mse_forward(candidate, reference, rng, shape):
    check_forward(candidate, reference, mse_case(rng, shape))


@pytest.mark.parametrize("shape", MSE_SHAPES.values(), ids=MSE_SHAPES.keys())
@graded(2, MSE_BACKWARD_HINTS)
def test_mse_backward(candidate, reference, rng, shape):
    check_gradient(candidate, reference, mse_case(rng, shape), Target.input(), rng=rng)


@graded(2, DOUT_HINTS)
def test_mse_backward_dout(candidate, reference, rng):
    case = mse_case(rng, dout=float(rng.uniform(1.5, 4.0)))
    check_gradient(candidate, reference, case, Target.input(), rng=rng)


@graded(1, DEFAULT_DOUT_HINTS)
def test_mse_backward_default_dout(candidate, reference, rng):
    check_default_dout(candidate, reference, mse_case(rng), "dpred")


@graded(1, ("forward and backward must not write into pred or target: the caller still owns them.",
            "Compute diff = pred - target as a new array instead of pred -= target."))
def test_mse_inputs_unchanged(candidate, reference, rng):
    check_inputs_unchanged(candidate, reference, mse_case(rng))


# --- checks of this suite ------------------------------------------------------------


def check_default_dout(candidate, reference, case: LayerCase, name: str) -> None:
    """Check that ``backward()`` with no argument returns the gradient for dout = 1.0."""
    steps = Steps()
    loss = case.build(steps)
    steps.call(loss, "forward", *case.inputs, reply=False)
    gradient = steps.call(loss, "backward")
    want = reference.run(steps)[gradient]
    got = candidate.run(steps)[gradient]
    expect_close(got, want, what=name,
                 checked=f"{name} from {case.cls}.backward() with no argument (dout defaults to 1.0)",
                 context=Context(name=name, batch_sizes=case.batch_sizes))


def check_stable(candidate, reference, case: LayerCase) -> None:
    """Check loss and dlogits for large logits: finite, equal to the reference, no warnings."""
    want = run_pass(reference, case)
    got = run_pass(candidate, case)
    calls = f"{case.call_text()} and {case.call_text('backward')}"
    magnitude = f"logits up to {np.max(np.abs(case.inputs[0])):.0f} in magnitude"

    loss = to_array(got.out, "the loss", f"the loss from {case.call_text()} with {magnitude}")
    if not np.all(np.isfinite(loss)):
        fail(
            f"the loss from {case.call_text()} with {magnitude} is finite",
            f"the finite value {want.out:.6g}",
            f"{loss.reshape(-1)[0] if loss.size == 1 else loss}",
            diagnosis=_infinite_loss_cause(loss),
            kind="overflow",
        )
    dlogits = to_array(got.dinputs, "dlogits", f"dlogits from {case.call_text('backward')} with {magnitude}")
    if not np.all(np.isfinite(dlogits)):
        fail(
            f"dlogits from {case.call_text('backward')} with {magnitude} is finite",
            "finite values",
            f"{int(np.sum(~np.isfinite(dlogits)))} of {dlogits.size} entries are NaN or infinite",
            diagnosis="exp overflowed to inf and inf / inf is NaN: subtract each row's maximum "
            "before exp when computing the probabilities",
            kind="overflow",
        )
    check_values(got, want, case, purpose=magnitude)
    expect_no_warnings(got.warnings, by=calls)


def _infinite_loss_cause(loss: np.ndarray) -> str:
    if np.any(np.isnan(loss)):
        return ("exp overflowed to inf (or every exp underflowed to 0), and inf / inf or 0 / 0 "
                "is NaN: subtract each row's maximum before exp")
    return ("a target's probability underflowed to 0.0 and log(0) is -inf: compute "
            "log-probabilities directly, (z - m) - log(sum(exp(z - m))), instead of log(softmax(z))")
