"""Hidden suite of exercise 2: Linear."""

import pytest

from grader.testkit import (
    LayerCase,
    Target,
    check_forward,
    check_gradient,
    check_grads_overwritten,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    graded,
)

DW_HINTS = (
    "Each example n adds x[n] (outer product) dout[n] to dW; the batch's contributions add up.",
    "dW = x.T @ dout has shape (D, M). With more than two axes, flatten the leading ones first.",
    "x2 = x.reshape(-1, D); d2 = dout.reshape(-1, M); grads['W'] = x2.T @ d2",
)
DB_HINTS = (
    "b is shared by every example (and every leading position), so its gradient sums their dout.",
    "db has shape (M,): sum dout over every axis but the last.",
    "grads['b'] = dout.reshape(-1, M).sum(axis=0)",
)
DX_HINTS = (
    "out[n, m] = sum_d x[n, d] W[d, m] + b[m], so dL/dx[n, d] = sum_m dout[n, m] W[d, m].",
    "dx = dout @ W.T has the shape of x.",
    "return dout @ self.params['W'].T",
)


def linear_case(rng, leading=(4,), d_in=3, d_out=5):
    """A Linear layer with random parameters, input and upstream gradient."""
    return LayerCase(
        cls="Linear",
        args=(d_in, d_out),
        params={"W": rng.normal(size=(d_in, d_out)), "b": rng.normal(size=d_out)},
        inputs=(rng.normal(size=(*leading, d_in)),),
        dout=rng.normal(size=(*leading, d_out)),
    )


LEADING = {"batch": (4,), "one-example": (1,), "sequence": (2, 3)}


@graded(1, ("Linear(in_features, out_features) creates params['W'] of shape "
            "(in_features, out_features) and params['b'] of shape (out_features,).",
            "Use float64 arrays, and an empty or zero-filled grads dict with the same keys."))
def test_param_shapes(candidate):
    check_param_shapes(candidate, LayerCase("Linear", args=(3, 5)), {"W": (3, 5), "b": (5,)})


@graded(1, ("out has shape (..., out_features); dx has the shape of x; grads[k] has the shape of params[k].",))
def test_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, linear_case(rng, leading=(2, 3)))


@pytest.mark.parametrize("leading", LEADING.values(), ids=LEADING.keys())
@graded(2, ("forward computes x @ W + b, with b broadcast over every leading axis.",
            "out = x @ self.params['W'] + self.params['b']"))
def test_forward(candidate, reference, rng, leading):
    check_forward(candidate, reference, linear_case(rng, leading))


@pytest.mark.parametrize("leading", LEADING.values(), ids=LEADING.keys())
@graded(2, DX_HINTS)
def test_backward_dx(candidate, reference, rng, leading):
    check_gradient(candidate, reference, linear_case(rng, leading), Target.input(), rng=rng)


@pytest.mark.parametrize("leading", LEADING.values(), ids=LEADING.keys())
@graded(2, DW_HINTS)
def test_backward_dW(candidate, reference, rng, leading):
    check_gradient(candidate, reference, linear_case(rng, leading), Target.param("W"), rng=rng)


@pytest.mark.parametrize("leading", LEADING.values(), ids=LEADING.keys())
@graded(2, DB_HINTS)
def test_backward_db(candidate, reference, rng, leading):
    check_gradient(candidate, reference, linear_case(rng, leading), Target.param("b"), rng=rng)


@graded(1, ("forward and backward must not write into x or dout: the caller still owns them.",
            "Avoid x += ..., x[...] = ... and out=x; build new arrays instead."))
def test_inputs_unchanged(candidate, reference, rng):
    check_inputs_unchanged(candidate, reference, linear_case(rng))


@graded(1, ("Each backward call sets grads from scratch; it does not add to the previous call's grads.",
            "Assign with self.grads['W'] = ..., not +=."))
def test_grads_overwritten(candidate, reference, rng):
    check_grads_overwritten(candidate, reference, linear_case(rng))
