"""Hidden suite of exercise 8: BatchNorm1d."""

import numpy as np
import pytest

from grader.testkit import (
    Context,
    LayerCase,
    Steps,
    Target,
    check_gradient,
    check_grads_overwritten,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    expect_keys,
    expect_shape,
    fail,
    graded,
)
from grader.testkit.checks import describe_value
from grader.testkit.known_mistakes import (
    KnownMistake,
    check_forward_or_known,
    check_gradient_or_known,
    expect_close_or_known,
    forward_explained,
    matches,
)
from grader.testkit.normalization import dgamma_mistakes, dx_mistakes, forward_mistakes, normalize, spread
from grader.testkit.sides import run_both

D = 3
DEFAULT_EPS = 1e-5
DEFAULT_MOMENTUM = 0.1

FORWARD_HINTS = (
    "In training mode each feature (column) is normalised with its own batch mean and biased "
    "batch variance, then scaled by gamma and shifted by beta.",
    "mean = x.mean(axis=0); var = x.var(axis=0); xhat = (x - mean) / sqrt(var + eps)",
    "out = self.params['gamma'] * xhat + self.params['beta'], with eps inside the square root",
)
EVAL_HINTS = (
    "With training = False, forward normalises with running_mean and running_var, and leaves "
    "them unchanged.",
    "out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta; branch on self.training "
    "before computing any batch statistic.",
)
RUNNING_HINTS = (
    "Every training-mode forward moves the running statistics a fraction momentum towards the "
    "batch's statistics (PyTorch's convention: momentum weighs the new value).",
    "running_mean = (1 - momentum) * running_mean + momentum * x.mean(axis=0)",
    "running_var uses the unbiased variance: x.var(axis=0, ddof=1), i.e. the biased one times "
    "N / (N - 1). The output still uses the biased variance.",
)
DX_HINTS = (
    "The mean and the variance are functions of every x[n], so dx has three paths: through "
    "xhat directly, through the mean and through the variance.",
    "With dxhat = dout * gamma: dvar = sum(dxhat * (x - mean)) * -0.5 * (var + eps)**-1.5 and "
    "dmean = -sum(dxhat) / sqrt(var + eps); dx = dxhat / sqrt(var + eps) + dvar * 2 * (x - mean) / N "
    "+ dmean / N (sums over axis 0).",
    "dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * sqrt(var + eps))",
)
DGAMMA_HINTS = (
    "gamma scales the normalised xhat and is shared by every example, so its gradient sums over the batch.",
    "grads['gamma'] = (dout * xhat).sum(axis=0), with xhat cached by forward.",
)
DBETA_HINTS = (
    "beta is added to every example's output, so its gradient sums dout over the batch.",
    "grads['beta'] = dout.sum(axis=0)",
)


def signed_scales(rng, size):
    """Draw values of either sign with magnitudes in [0.5, 1.5], for gamma."""
    return rng.choice([-1.0, 1.0], size=size) * rng.uniform(0.5, 1.5, size=size)


def batchnorm_case(rng, n=5, eps=None, momentum=None):
    """Build a training-mode BatchNorm1d case with random gamma and beta, input and upstream gradient.

    With N = 2 the output is +-gamma * sqrt(var / (var + eps)) + beta whatever
    x is, so dx is of the order eps / var: there the batch's standard deviation
    is drawn from [0.01, 0.05], which keeps dx far above the round-off of
    central differences.
    """
    kwargs = {name: value for name, value in (("eps", eps), ("momentum", momentum)) if value is not None}
    std = (0.01, 0.05) if n == 2 else (0.5, 2.0)
    return LayerCase(
        cls="BatchNorm1d",
        args=(D,),
        kwargs=kwargs,
        params={"gamma": signed_scales(rng, D), "beta": rng.normal(size=D)},
        inputs=(spread(rng, (n, D), axis=0, std=std),),
        dout=rng.normal(size=(n, D)),
    )


def eps_of(case):
    return case.kwargs.get("eps", DEFAULT_EPS)


def case_forward_mistakes(case):
    """List the known mistakes of the training-mode forward of a new layer on the case's input."""
    x, = case.inputs
    return training_mistakes(x, case.params["gamma"], case.params["beta"], eps_of(case))


def training_mistakes(x, gamma, beta, eps, running_mean=None, running_var=None):
    """List the known mistakes of a training-mode forward, given the running statistics before it."""
    running_mean = np.zeros(D) if running_mean is None else running_mean
    running_var = np.ones(D) if running_var is None else running_var
    with_running = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    return [
        KnownMistake(with_running, (
            "in training mode (training = True, the default) forward normalised with the running "
            "statistics: training mode uses the batch mean and variance"), "mode"),
        *forward_mistakes(x, gamma, beta, axis=0, eps=eps, axis_text="axis 0, the batch", wrong_axes={
            "the feature axis (axis 1), as LayerNorm does": 1,
            "the whole array": None,
        }),
    ]


def eval_mistakes(x, gamma, beta, eps, running_mean, running_var):
    """List the known mistakes of an evaluation-mode forward."""
    return [
        KnownMistake(normalize(x, gamma, beta, axis=0, eps=eps), (
            "with training = False forward normalised with the batch statistics: evaluation mode "
            "uses running_mean and running_var"), "mode"),
        KnownMistake(gamma * (x - running_mean) / (np.sqrt(running_var) + eps) + beta, (
            "eps is added outside the square root: divide by sqrt(running_var + eps)")),
        KnownMistake(gamma * (x - running_mean) / np.sqrt(running_var) + beta, (
            "the output matches a normalisation without eps: divide by sqrt(running_var + eps)")),
        KnownMistake(gamma * (x - running_mean) / (running_var + eps) + beta, (
            "x - running_mean is divided by the variance: divide by the standard deviation, "
            "sqrt(running_var + eps)")),
    ]


def values_text(value):
    """Show a small received array's values, or describe anything else."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.size <= 8:
        return np.array2string(value, precision=4)
    return describe_value(value)


def expect_running_unchanged(mean_after, var_after, mean_before, var_before):
    """Check that an evaluation-mode forward left the running statistics as they were."""
    for name, after, before in (("running_mean", mean_after, mean_before), ("running_var", var_after, var_before)):
        if not matches(after, before):
            fail(f"{name} after forward with training = False", f"{name} unchanged: {values_text(before)}",
                 f"{name} changed to {values_text(after)}",
                 diagnosis="forward in evaluation mode updated the running statistics: update them "
                 "only when training is True", kind="mode")


def write_in_place(steps, layer, name, value):
    """Write ``value`` into the array ``layer.<name>`` in place (``[...] = value``)."""
    array = steps.get(layer, name, reply=False)
    steps.setitem(array, Ellipsis, value, f"writing BatchNorm1d.{name}")


# --- construction --------------------------------------------------------------------


@graded(1, ("BatchNorm1d(num_features) creates params['gamma'] and params['beta'], both of shape "
            "(num_features,).",
            "Use float64 arrays (np.ones, np.zeros), and a grads dict with the same keys."))
def test_param_shapes(candidate):
    check_param_shapes(candidate, LayerCase("BatchNorm1d", args=(D,)), {"gamma": (D,), "beta": (D,)})


@graded(1, ("out and dx have the shape of x, (N, D); grads['gamma'] and grads['beta'] are (D,).",
            "Sum over the batch (axis 0) for the parameter gradients; never over axis 0 for dx."))
def test_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, batchnorm_case(rng, n=4))


def expect_initial(received, value, what):
    """Check an array of a new layer: shape (D,), float64, every entry ``value``."""
    checked = f"{what} of a new BatchNorm1d({D})"
    array = expect_shape(received, (D,), what=what, checked=checked)
    if array.dtype != np.float64:
        fail(checked, "a float64 array", f"{what} has dtype {array.dtype}",
             diagnosis="create it with np.zeros or np.ones, whose default dtype is float64",
             kind="float32" if array.dtype.kind == "f" else None)
    if not np.all(array == value):
        fail(checked, f"every entry {value:g}", f"{what} = {values_text(array)}")


def is_true(value):
    """Check whether a received value is the bool True (a numpy bool arrives as a 0-d array)."""
    if isinstance(value, np.ndarray):
        return value.shape == () and value.dtype == bool and bool(value)
    return value is True


@graded(2, ("A new layer starts with gamma = 1, beta = 0, running_mean = 0, running_var = 1 and "
            "training = True.",
            "So a new layer in evaluation mode returns x / sqrt(1 + eps), and in training mode the "
            "plain normalised x."))
def test_defaults(candidate, reference, rng):
    x = spread(rng, (4, D), axis=0)
    steps = Steps()
    layer = steps.new("BatchNorm1d", D)
    params = steps.get(layer, "params")
    running_mean = steps.get(layer, "running_mean")
    running_var = steps.get(layer, "running_var")
    training = steps.get(layer, "training")
    steps.set(layer, "training", False)
    eval_out = steps.call(layer, "forward", x)
    state_after_eval = (steps.get(layer, "running_mean"), steps.get(layer, "running_var"))
    steps.set(layer, "training", True)
    train_out = steps.call(layer, "forward", x)
    pair = run_both(candidate, reference, steps)
    got, want = pair.got, pair.want

    received = expect_keys(got[params], ["gamma", "beta"], what="BatchNorm1d.params")
    expect_initial(received["gamma"], 1.0, "params['gamma']")
    expect_initial(received["beta"], 0.0, "params['beta']")
    expect_initial(got[running_mean], 0.0, "running_mean")
    expect_initial(got[running_var], 1.0, "running_var")
    flag = got[training]
    if not is_true(flag):
        fail(f"training of a new BatchNorm1d({D})", "True: layers start in training mode",
             describe_value(flag))

    ones, zeros = np.ones(D), np.zeros(D)
    expect_running_unchanged(got[state_after_eval[0]], got[state_after_eval[1]], zeros, ones)
    expect_close_or_known(
        got[eval_out], want[eval_out], eval_mistakes(x, ones, zeros, DEFAULT_EPS, zeros, ones),
        what="out", checked="forward(x) of a new layer with training = False against the reference",
        context=Context(name="the output"))
    expect_close_or_known(
        got[train_out], want[train_out], training_mistakes(x, ones, zeros, DEFAULT_EPS),
        what="out", checked="forward(x) of a new layer with training = True against the reference",
        context=Context(name="the output"))


# --- forward -------------------------------------------------------------------------

FORWARD_CASES = {"N=2": {"n": 2}, "N=6": {"n": 6}, "eps=0.1": {"n": 5, "eps": 0.1}}


@pytest.mark.parametrize("options", FORWARD_CASES.values(), ids=FORWARD_CASES.keys())
@graded(2, FORWARD_HINTS)
def test_forward_training(candidate, reference, rng, options):
    case = batchnorm_case(rng, **options)
    check_forward_or_known(candidate, reference, case, case_forward_mistakes(case),
                           checked=f"{case.call_text()} in training mode against the reference")


@pytest.mark.parametrize("n", [1, 4], ids=["N=1", "N=4"])
@graded(2, EVAL_HINTS)
def test_forward_eval(candidate, reference, rng, n):
    gamma, beta = signed_scales(rng, D), rng.normal(size=D)
    running_mean, running_var = rng.normal(size=D), rng.uniform(0.5, 2.0, size=D)
    x = rng.normal(size=(n, D))
    steps = Steps()
    layer = steps.new("BatchNorm1d", D)
    steps.set_params(layer, {"gamma": gamma, "beta": beta})
    write_in_place(steps, layer, "running_mean", running_mean)
    write_in_place(steps, layer, "running_var", running_var)
    steps.set(layer, "training", False)
    out = steps.call(layer, "forward", x)
    mean_after = steps.get(layer, "running_mean")
    var_after = steps.get(layer, "running_var")
    pair = run_both(candidate, reference, steps)

    expect_running_unchanged(pair.got[mean_after], pair.got[var_after], running_mean, running_var)
    mistakes = eval_mistakes(x, gamma, beta, DEFAULT_EPS, running_mean, running_var)
    expect_close_or_known(pair.got[out], pair.want[out], mistakes, what="out",
                          checked=f"BatchNorm1d.forward(x) with training = False and N = {n} against the reference",
                          context=Context(name="the output"))


# --- running statistics --------------------------------------------------------------

BATCH_SIZES = (2, 5, 3)
MOMENTA = {"default-momentum": None, "momentum=0.3": 0.3}


def running_stats(batches, momentum, *, ddof=1, flipped=False):
    """Compute the running mean and variance after training-mode forwards on ``batches``.

    ``flipped`` swaps the weights (momentum on the old value), ``ddof=0`` uses
    the biased variance: the two usual mistakes.
    """
    weight = 1 - momentum if flipped else momentum
    mean, var = np.zeros(D), np.ones(D)
    for x in batches:
        mean = (1 - weight) * mean + weight * x.mean(axis=0)
        var = (1 - weight) * var + weight * x.var(axis=0, ddof=ddof)
    return mean, var


def running_mistakes(batches, momentum, index):
    """List the known mistakes of the running statistics: ``index`` 0 picks the mean, 1 the variance."""
    convention = ("PyTorch's momentum weighs the new batch statistic: "
                  "running = (1 - momentum) * running + momentum * batch_stat")
    name = ("running_mean", "running_var")[index]
    initial = (np.zeros(D), np.ones(D))[index]
    last = batches[-1]
    mistakes = [
        KnownMistake(running_stats(batches, momentum, flipped=True)[index],
                     f"{name} matches running = momentum * running + (1 - momentum) * batch_stat, "
                     "which swaps the weights. " + convention, "running-stats"),
        KnownMistake(running_stats(batches, DEFAULT_MOMENTUM)[index],
                     f"{name} was updated with momentum 0.1 although the layer was built with "
                     f"momentum={momentum}: use the constructor's momentum", "running-stats"),
        KnownMistake(initial, f"{name} never changed: every training-mode forward must update it",
                     "running-stats"),
    ]
    if index == 0:
        mistakes.append(KnownMistake(last.mean(axis=0), (
            "running_mean is the last batch's mean, not a blend with the previous value. " + convention),
            "running-stats"))
        return mistakes
    biased = ("running_var was updated with the biased batch variance: PyTorch's convention updates "
              "it with the unbiased variance, x.var(axis=0, ddof=1), although the output is "
              "normalised with the biased one")
    mistakes += [
        KnownMistake(running_stats(batches, momentum, ddof=0)[1], biased, "running-stats"),
        KnownMistake(running_stats(batches, momentum, ddof=0, flipped=True)[1],
                     "running_var uses the biased variance and swapped weights. " + convention
                     + ", with the unbiased variance", "running-stats"),
        KnownMistake(last.var(axis=0, ddof=1), (
            "running_var is the last batch's variance, not a blend with the previous value. " + convention),
            "running-stats"),
        KnownMistake(last.var(axis=0), (
            "running_var is the last batch's biased variance, not a blend of the unbiased variance "
            "with the previous value. " + convention), "running-stats"),
    ]
    return mistakes


@pytest.mark.parametrize("momentum", MOMENTA.values(), ids=MOMENTA.keys())
@graded(2, RUNNING_HINTS)
def test_running_stats(candidate, reference, rng, momentum):
    batches = [spread(rng, (n, D), axis=0) for n in BATCH_SIZES]
    kwargs = {} if momentum is None else {"momentum": momentum}
    momentum = DEFAULT_MOMENTUM if momentum is None else momentum
    steps = Steps()
    layer = steps.new("BatchNorm1d", D, **kwargs)
    outs = [steps.call(layer, "forward", x) for x in batches]
    mean = steps.get(layer, "running_mean")
    var = steps.get(layer, "running_var")
    pair = run_both(candidate, reference, steps)

    after = f"after training-mode forward on {len(batches)} batches (N = {', '.join(map(str, BATCH_SIZES))})"
    for index, (name, ref) in enumerate((("running_mean", mean), ("running_var", var))):
        expect_close_or_known(pair.got[ref], pair.want[ref], running_mistakes(batches, momentum, index),
                              what=name, checked=f"{name} {after} with momentum={momentum} against the reference",
                              context=Context(name=name))
    for number, (x, ref) in enumerate(zip(batches, outs), start=1):
        before = running_stats(batches[:number - 1], momentum)
        mistakes = training_mistakes(x, np.ones(D), np.zeros(D), DEFAULT_EPS, *before)
        expect_close_or_known(pair.got[ref], pair.want[ref], mistakes, what="out",
                              checked=f"the output of forward on batch {number} against the reference "
                              "(the running statistics are right, the output must be too)",
                              context=Context(name="the output"))


# --- backward ------------------------------------------------------------------------

BACKWARD_CASES = {"N=2": {"n": 2}, "N=6": {"n": 6}, "eps=0.1": {"n": 4, "eps": 0.1}}
BATCH_CASES = {"N=2": {"n": 2}, "N=6": {"n": 6}}


@pytest.mark.parametrize("options", BACKWARD_CASES.values(), ids=BACKWARD_CASES.keys())
@graded(3, DX_HINTS)
def test_backward_dx(candidate, reference, rng, options):
    case = batchnorm_case(rng, **options)
    x, = case.inputs
    mistakes = dx_mistakes(x, case.params["gamma"], case.dout, axis=0, eps=eps_of(case))
    check_gradient_or_known(candidate, reference, case, Target.input(), mistakes, rng=rng,
                            forward_mistakes=case_forward_mistakes(case))


@pytest.mark.parametrize("options", BATCH_CASES.values(), ids=BATCH_CASES.keys())
@graded(2, DGAMMA_HINTS)
def test_backward_dgamma(candidate, reference, rng, options):
    case = batchnorm_case(rng, **options)
    x, = case.inputs
    mistakes = dgamma_mistakes(x, case.dout, sum_axes=0)
    check_gradient_or_known(candidate, reference, case, Target.param("gamma"), mistakes, rng=rng,
                            forward_mistakes=case_forward_mistakes(case))


@pytest.mark.parametrize("options", BATCH_CASES.values(), ids=BATCH_CASES.keys())
@graded(1, DBETA_HINTS)
def test_backward_dbeta(candidate, reference, rng, options):
    case = batchnorm_case(rng, **options)
    check_gradient(candidate, reference, case, Target.param("beta"), rng=rng)


# --- protocol ------------------------------------------------------------------------


@graded(1, ("forward and backward must not write into x or dout: the caller still owns them.",
            "Avoid x -= mean and x /= std; compute x - mean into a new array."))
def test_inputs_unchanged(candidate, reference, rng):
    case = batchnorm_case(rng)
    with forward_explained(candidate, reference, case, case_forward_mistakes(case)):
        check_inputs_unchanged(candidate, reference, case)


@graded(1, ("Each backward call sets grads from scratch; it does not add to the previous call's grads.",
            "Assign with self.grads['gamma'] = ..., not +=."))
def test_grads_overwritten(candidate, reference, rng):
    case = batchnorm_case(rng)
    with forward_explained(candidate, reference, case, case_forward_mistakes(case)):
        check_grads_overwritten(candidate, reference, case)
