"""Hidden suite of exercise 9: LayerNorm."""

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
    expect_close,
    expect_keys,
    graded,
)
from grader.testkit.known_mistakes import (
    check_forward_or_known,
    check_gradient_or_known,
    expect_close_or_known,
    forward_explained,
)
from grader.testkit.normalization import dgamma_mistakes, dx_mistakes, forward_mistakes, spread
from grader.testkit.sides import run_both

D = 5
DEFAULT_EPS = 1e-5

FORWARD_HINTS = (
    "LayerNorm normalises each example on its own: the mean and the biased variance are taken over "
    "the last axis, whatever the number of leading axes.",
    "mean = x.mean(axis=-1, keepdims=True); var = x.var(axis=-1, keepdims=True); "
    "xhat = (x - mean) / sqrt(var + eps)",
    "out = self.params['gamma'] * xhat + self.params['beta']; keepdims=True makes the (..., 1) "
    "statistics broadcast against x.",
)
DX_HINTS = (
    "Each row's mean and variance depend on every entry of that row, so dx has paths through "
    "xhat directly, through the mean and through the variance: BatchNorm's derivation with the "
    "sums over the last axis.",
    "With dxhat = dout * gamma and sums over axis -1 (keepdims=True): "
    "dx = (D * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)) / (D * sqrt(var + eps))",
)
DGAMMA_HINTS = (
    "gamma is shared by every example and every leading position, so its gradient sums over all "
    "the leading axes, not only the first.",
    "grads['gamma'] = (dout * xhat).reshape(-1, D).sum(axis=0), shape (D,).",
)
DBETA_HINTS = (
    "beta is added at every leading position, so its gradient sums dout over all the leading axes.",
    "grads['beta'] = dout.reshape(-1, D).sum(axis=0), shape (D,).",
)


def layernorm_case(rng, leading=(4,), eps=None):
    """Build a LayerNorm case with random gamma and beta, input of shape (*leading, D) and upstream gradient."""
    return LayerCase(
        cls="LayerNorm",
        args=(D,),
        kwargs={} if eps is None else {"eps": eps},
        params={"gamma": rng.choice([-1.0, 1.0], size=D) * rng.uniform(0.5, 1.5, size=D),
                "beta": rng.normal(size=D)},
        inputs=(spread(rng, (*leading, D), axis=-1),),
        dout=rng.normal(size=(*leading, D)),
    )


def wrong_axes(ndim):
    """List the axes a confused implementation might normalise over, for an input with ``ndim`` axes."""
    axes = {"the batch axis (axis 0), as BatchNorm does": 0, "the whole array": None}
    if ndim == 3:
        axes.update({
            "axis 1, which is the last axis only for 2-D input": 1,
            "every axis but the first, (1, 2)": (1, 2),
            "the leading axes (0, 1)": (0, 1),
        })
    return axes


def case_forward_mistakes(case, gamma=None, beta=None):
    """List the known mistakes of forward on the case's input."""
    x, = case.inputs
    gamma = case.params["gamma"] if gamma is None else gamma
    beta = case.params["beta"] if beta is None else beta
    return forward_mistakes(x, gamma, beta, axis=-1, eps=case.kwargs.get("eps", DEFAULT_EPS),
                            axis_text="the last axis", wrong_axes=wrong_axes(x.ndim))


SHAPES = {"2-D": {"leading": (4,)}, "one-row": {"leading": (1,)}, "3-D": {"leading": (2, 3)}}
EPS_CASE = {"eps=0.1": {"leading": (3,), "eps": 0.1}}
LEADING = {"2-D": {"leading": (4,)}, "3-D": {"leading": (2, 3)}}


@graded(1, ("LayerNorm(normalized_shape) creates params['gamma'] and params['beta'], both of shape "
            "(normalized_shape,).",
            "Use float64 arrays (np.ones, np.zeros), and a grads dict with the same keys."))
def test_param_shapes(candidate):
    check_param_shapes(candidate, LayerCase("LayerNorm", args=(D,)), {"gamma": (D,), "beta": (D,)})


@graded(1, ("out and dx have the shape of x, (..., D); grads['gamma'] and grads['beta'] are (D,).",
            "Keep the per-row statistics as (..., 1) with keepdims=True, and sum the parameter "
            "gradients over dout.reshape(-1, D) so any number of leading axes collapses."))
def test_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, layernorm_case(rng, leading=(2, 3)))


@graded(1, ("A new LayerNorm starts with gamma = 1 and beta = 0, so it returns the normalised x.",
            "params = {'gamma': np.ones(D), 'beta': np.zeros(D)}"))
def test_defaults(candidate, reference, rng):
    case = layernorm_case(rng)
    x, = case.inputs
    steps = Steps()
    layer = steps.new("LayerNorm", D)
    params = steps.get(layer, "params")
    out = steps.call(layer, "forward", x)
    pair = run_both(candidate, reference, steps)

    received = expect_keys(pair.got[params], ["gamma", "beta"], what="LayerNorm.params")
    for key, value in (("gamma", np.ones(D)), ("beta", np.zeros(D))):
        expect_close(received[key], value, what=f"params[{key!r}]",
                     checked=f"params[{key!r}] of a new LayerNorm({D}), expected all {value[0]:g}")
    mistakes = case_forward_mistakes(case, gamma=np.ones(D), beta=np.zeros(D))
    expect_close_or_known(pair.got[out], pair.want[out], mistakes, what="out",
                          checked="forward(x) of a new LayerNorm against the reference",
                          context=Context(name="the output"))


@pytest.mark.parametrize("options", (SHAPES | EPS_CASE).values(), ids=(SHAPES | EPS_CASE).keys())
@graded(2, FORWARD_HINTS)
def test_forward(candidate, reference, rng, options):
    case = layernorm_case(rng, **options)
    check_forward_or_known(candidate, reference, case, case_forward_mistakes(case))


@pytest.mark.parametrize("options", (SHAPES | EPS_CASE).values(), ids=(SHAPES | EPS_CASE).keys())
@graded(2, DX_HINTS)
def test_backward_dx(candidate, reference, rng, options):
    case = layernorm_case(rng, **options)
    x, = case.inputs
    mistakes = dx_mistakes(x, case.params["gamma"], case.dout, axis=-1, eps=case.kwargs.get("eps", DEFAULT_EPS))
    check_gradient_or_known(candidate, reference, case, Target.input(), mistakes, rng=rng,
                            forward_mistakes=case_forward_mistakes(case))


@pytest.mark.parametrize("options", LEADING.values(), ids=LEADING.keys())
@graded(2, DGAMMA_HINTS)
def test_backward_dgamma(candidate, reference, rng, options):
    case = layernorm_case(rng, **options)
    x, = case.inputs
    leading_axes = tuple(range(x.ndim - 1))
    check_gradient_or_known(candidate, reference, case, Target.param("gamma"),
                            dgamma_mistakes(x, case.dout, sum_axes=leading_axes), rng=rng,
                            forward_mistakes=case_forward_mistakes(case))


@pytest.mark.parametrize("options", LEADING.values(), ids=LEADING.keys())
@graded(1, DBETA_HINTS)
def test_backward_dbeta(candidate, reference, rng, options):
    check_gradient(candidate, reference, layernorm_case(rng, **options), Target.param("beta"), rng=rng)


@graded(1, ("forward and backward must not write into x or dout: the caller still owns them.",
            "Avoid x -= mean and x /= std; compute x - mean into a new array."))
def test_inputs_unchanged(candidate, reference, rng):
    case = layernorm_case(rng, leading=(2, 3))
    with forward_explained(candidate, reference, case, case_forward_mistakes(case)):
        check_inputs_unchanged(candidate, reference, case)


@graded(1, ("Each backward call sets grads from scratch; it does not add to the previous call's grads.",
            "Assign with self.grads['gamma'] = ..., not +=."))
def test_grads_overwritten(candidate, reference, rng):
    case = layernorm_case(rng)
    with forward_explained(candidate, reference, case, case_forward_mistakes(case)):
        check_grads_overwritten(candidate, reference, case)
