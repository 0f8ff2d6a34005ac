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
from grader.testkit.known_mistakes import (
    KnownMistake,
    check_forward_or_known,
    check_gradient_or_known,
    expect_close_or_known,
    gradient_explained,
    matches,
)

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


def onehot_of(case: LayerCase) -> np.ndarray:
    """The one-hot targets of a SoftmaxCrossEntropy case, as floats of the shape of the logits."""
    logits, targets = case.inputs
    onehot = np.zeros(logits.shape)
    onehot[np.arange(len(targets)), targets] = 1.0
    return onehot


def softmax_of(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed stably."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def ce_gradient_mistakes(case: LayerCase, dout: float) -> list[KnownMistake]:
    """What dlogits would be after each mistake this suite can name, for ``backward(dout)``."""
    logits, targets = case.inputs
    unscaled = (softmax_of(logits) - onehot_of(case)) / len(targets)
    return [KnownMistake(unscaled, ignored_dout("dlogits", dout), "factor")]


def mse_gradient_mistakes(case: LayerCase, dout: float) -> list[KnownMistake]:
    """What dpred would be after each mistake this suite can name, for ``backward(dout)``."""
    pred, target = case.inputs
    diff = pred - target
    batch = pred.shape[0]
    if batch > 1:
        by_batch = (f"dpred equals dout * 2 * (pred - target) / {batch}, divided by pred.shape[0] = {batch} "
                    f"(the batch) where it should be divided by pred.size = {diff.size}")
    else:
        by_batch = (f"dpred equals dout * 2 * (pred - target), divided by pred.shape[0] = 1 (the batch) "
                    f"where it should be divided by pred.size = {diff.size}")
    return [
        KnownMistake(dout * diff / diff.size, (
            "dpred equals dout * (pred - target) / pred.size: the 2 from the derivative of the square "
            "is missing, d/dp (p - t) ** 2 = 2 (p - t)"), "factor"),
        KnownMistake(dout * 2.0 * diff / batch,
                     by_batch + ": MSELoss is the mean over every element, not over the batch only", "factor"),
        KnownMistake(2.0 * diff / diff.size, ignored_dout("dpred", dout), "factor"),
    ]


def mse_forward_mistakes(case: LayerCase) -> list[KnownMistake]:
    """What the MSE loss would be after each mistake this suite can name."""
    pred, target = case.inputs
    squares = (pred - target) ** 2
    batch = pred.shape[0]
    divided = f" / {batch}" if batch > 1 else ""
    return [KnownMistake(np.array(squares.sum() / batch), (
        f"the loss equals sum((pred - target) ** 2){divided}, divided by pred.shape[0] = {batch} "
        f"(the batch) where it should be divided by pred.size = {squares.size}: MSELoss is the mean over "
        "every element, np.mean((pred - target) ** 2)"), "factor")]


def ignored_dout(name: str, dout: float) -> str:
    """The diagnosis of a backward that returns the gradient for dout = 1 whatever its argument."""
    return (f"{name} equals the gradient for dout = 1: backward ignores its argument dout (here "
            f"{dout:.4g}). It must return dout times the loss's gradient, because dout is the gradient "
            "of the final scalar with respect to this loss")


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
    check_gradient_or_known(candidate, reference, case, Target.input(),
                            lambda: ce_gradient_mistakes(case, case.dout), rng=rng,
                            regions=target_region(case))


@graded(1, DEFAULT_DOUT_HINTS)
def test_ce_backward_default_dout(candidate, reference, rng):
    case = cross_entropy_case(rng)
    check_default_dout(candidate, reference, case, "dlogits", lambda: ce_gradient_mistakes(case, 1.0))


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
    case = cross_entropy_case(rng)
    with gradient_explained(candidate, reference, case, Target.input(), lambda: ce_gradient_mistakes(case, 1.0)):
        check_inputs_unchanged(candidate, reference, case)


# --- mean squared error ---------------------------------------------------------


@graded(1, ("backward returns dpred with the shape of pred.",
            "Keep pred - target from forward; dpred has its shape."))
def test_mse_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, mse_case(rng, (2, 3, 4)))


@pytest.mark.parametrize("shape", MSE_SHAPES.values(), ids=MSE_SHAPES.keys())
@graded(2, MSE_FORWARD_HINTS)
def test_mse_forward(candidate, reference, rng, shape):
    case = mse_case(rng, shape)
    check_forward_or_known(candidate, reference, case, lambda: mse_forward_mistakes(case))


@pytest.mark.parametrize("shape", MSE_SHAPES.values(), ids=MSE_SHAPES.keys())
@graded(2, MSE_BACKWARD_HINTS)
def test_mse_backward(candidate, reference, rng, shape):
    case = mse_case(rng, shape)
    check_gradient_or_known(candidate, reference, case, Target.input(),
                            lambda: mse_gradient_mistakes(case, case.dout), rng=rng)


@graded(2, DOUT_HINTS)
def test_mse_backward_dout(candidate, reference, rng):
    case = mse_case(rng, dout=float(rng.uniform(1.5, 4.0)))
    check_gradient_or_known(candidate, reference, case, Target.input(),
                            lambda: mse_gradient_mistakes(case, case.dout), rng=rng)


@graded(1, DEFAULT_DOUT_HINTS)
def test_mse_backward_default_dout(candidate, reference, rng):
    case = mse_case(rng)
    check_default_dout(candidate, reference, case, "dpred", lambda: mse_gradient_mistakes(case, 1.0))


@graded(1, ("forward and backward must not write into pred or target: the caller still owns them.",
            "Compute diff = pred - target as a new array instead of pred -= target."))
def test_mse_inputs_unchanged(candidate, reference, rng):
    case = mse_case(rng)
    with gradient_explained(candidate, reference, case, Target.input(), lambda: mse_gradient_mistakes(case, 1.0)):
        check_inputs_unchanged(candidate, reference, case)


# --- checks of this suite ------------------------------------------------------------


def check_default_dout(candidate, reference, case: LayerCase, name: str, mistakes) -> None:
    """Check that ``backward()`` with no argument returns the gradient for dout = 1.0,
    naming the known ``mistakes`` (a function that computes them) on a wrong gradient."""
    steps = Steps()
    loss = case.build(steps)
    steps.call(loss, "forward", *case.inputs, reply=False)
    gradient = steps.call(loss, "backward")
    want = reference.run(steps)[gradient]
    got = candidate.run(steps)[gradient]
    expect_close_or_known(got, want, mistakes, what=name,
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
            diagnosis=_infinite_loss_cause(loss, *case.inputs, dlogits=got.dinputs, expected=want.dinputs),
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


def _infinite_loss_cause(loss: np.ndarray, logits: np.ndarray, targets: np.ndarray, *,
                         dlogits, expected: np.ndarray) -> str:
    """Name what made the loss infinite or NaN, from the formulas that give the received value.

    Without the row maximum subtracted, log(sum(exp(z))) is inf when a score
    is above about 709 and -inf when every score is below about -745. With it,
    taking log of the probabilities gives inf when a target's probability
    underflows to 0. A loss that only one of the two formulas gives names that
    one. When both give it, the candidate's ``dlogits`` decides: right ones
    mean the probabilities were computed with the shift, NaN ones that they were not.
    """
    value = float(loss.reshape(-1)[0]) if loss.size == 1 else np.nan
    if np.isnan(value):
        return ("exp overflowed to inf (or every exp underflowed to 0), and inf / inf or 0 / 0 "
                "is NaN: subtract each row's maximum before exp")
    rows = np.arange(len(targets))
    with np.errstate(all="ignore"):
        unshifted = float(np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[rows, targets]))
        log_of_softmax = float(-np.mean(np.log(softmax_of(logits)[rows, targets])))
    no_shift, underflow = unshifted == value, log_of_softmax == value
    if no_shift and underflow:
        probabilities_right = matches(dlogits, expected)
        probabilities_nan = _has_nan(dlogits)
        no_shift, underflow = not probabilities_right, not probabilities_nan
    shifted_formula = "(z - m) - log(sum(exp(z - m))), with m the row maximum"
    if no_shift and not underflow:
        cause = ("exp overflows to inf for scores above about 709" if value > 0 else
                 "exp underflows to 0 when every score of a row is below about -745, and log(0) is -inf")
        return (f"the loss is {value}, what log(sum(exp(z))) gives without subtracting the row maximum: "
                f"{cause}. Compute log-probabilities as {shifted_formula}")
    if no_shift and underflow:
        return (f"the loss is {value}: either exp overflowed because the row maximum was not subtracted, "
                "or a target's probability underflowed to 0.0 and log(0) is -inf. Compute "
                f"log-probabilities as {shifted_formula}, and never take log of the probabilities")
    return ("a target's probability underflowed to 0.0 and log(0) is -inf: compute "
            f"log-probabilities directly, {shifted_formula}, instead of log(softmax(z))")


def _has_nan(value) -> bool:
    """Return whether a received value is a numeric array with a NaN entry."""
    try:
        return bool(np.isnan(np.asarray(value, dtype=np.float64)).any())
    except (TypeError, ValueError):
        return False
