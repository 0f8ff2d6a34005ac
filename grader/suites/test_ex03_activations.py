"""Hidden suite of exercise 3: ReLU, LeakyReLU, Sigmoid, Tanh and GELU."""

import math
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pytest

from grader.testkit import (
    CandidateError,
    CheckFailed,
    LayerCase,
    Pass,
    Steps,
    Target,
    check_forward,
    check_gradient,
    check_inputs_unchanged,
    check_shapes,
    check_values,
    expect_keys,
    expect_no_warnings,
    graded,
    run_pass,
)
from grader.testkit.inputs import away_from, with_both_signs
from grader.testkit.known_mistakes import matches

ACTIVATIONS = ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU")
SHAPES = {"vector": (7,), "one-row": (1, 6), "3-d": (2, 3, 4)}

FORWARD_HINTS = {
    "ReLU": ("ReLU keeps the positive entries and sets the others to 0, elementwise on any shape.",
             "return np.maximum(x, 0.0), which builds a new array (keep x for backward)"),
    "LeakyReLU": ("LeakyReLU keeps the positive entries and multiplies the others by negative_slope "
                  "(0.01 unless the constructor is given another value).",
                  "return np.where(x > 0, x, self.negative_slope * x)"),
    "Sigmoid": ("sigmoid(x) = 1 / (1 + exp(-x)), elementwise.",
                "Compute exp only of -|x| so that it cannot overflow: z = np.exp(-np.abs(x)).",
                "out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))"),
    "Tanh": ("Tanh is the hyperbolic tangent, elementwise.",
             "self.out = np.tanh(x); return self.out"),
    "GELU": ("This GELU is the tanh approximation: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3))).",
             "u = np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3); return 0.5 * x * (1 + np.tanh(u))"),
}
DX_HINTS = {
    "ReLU": ("The local gradient of max(x, 0) is 1 where x > 0 and 0 where x < 0.",
             "Upstream times local: dx = dout * (x > 0), with the x kept by forward.",
             "return dout * (self.x > 0)"),
    "LeakyReLU": ("The local gradient of LeakyReLU is 1 where x > 0 and negative_slope where x < 0.",
                  "Upstream times local: dx is dout where x > 0 and negative_slope * dout elsewhere.",
                  "return np.where(self.x > 0, dout, self.negative_slope * dout)"),
    "Sigmoid": ("The derivative of the sigmoid is sigmoid(x) * (1 - sigmoid(x)), so keep the output of forward.",
                "Upstream times local: dx = dout * out * (1 - out).",
                "return dout * self.out * (1 - self.out)"),
    "Tanh": ("The derivative of tanh(x) is 1 - tanh(x) ** 2: it is written with the output, not the input.",
             "Upstream times local: dx = dout * (1 - out ** 2), with out = np.tanh(x) kept by forward.",
             "return dout * (1 - self.out ** 2)"),
    "GELU": ("Product rule on 0.5 * x * (1 + tanh(u)), then the chain rule through "
             "u = sqrt(2 / pi) * (x + 0.044715 * x ** 3).",
             "With t = tanh(u): local = 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * du/dx, "
             "and du/dx = sqrt(2 / pi) * (1 + 3 * 0.044715 * x ** 2).",
             "return dout * local"),
}
SHAPES_HINTS = ("An activation is elementwise: out and dx have the shape of x, whatever its number of axes. "
                "params is an empty dict.",
                "Write the formulas with numpy operations on whole arrays (no loops over a fixed number of axes), "
                "and set self.params = {} in __init__.")
INPUTS_HINTS = ("forward and backward must not write into x or dout: the caller still owns them.",
                "x[x < 0] = 0, dout[mask] = 0, dout *= ... and out=x write into the caller's array; "
                "np.maximum(x, 0), np.where(...) and dout * mask build new arrays.")


def per_activation(points, hints):
    """One parameter per activation, each with its own points and hints."""
    return [pytest.param(name, marks=graded(points, hints[name]), id=name) for name in ACTIVATIONS]


def per_activation_and_shape(points, hints):
    """One parameter per activation and input shape."""
    return [pytest.param(name, shape, marks=graded(points, hints[name]), id=f"{name}-{label}")
            for name in ACTIVATIONS for label, shape in SHAPES.items()]


def activation_case(rng, cls, shape=(2, 3, 4), **kwargs):
    """An activation with inputs at least 0.05 away from 0, where ReLU has its kink, and
    with negative and positive entries, so a mistake on either side always shows."""
    return LayerCase(
        cls=cls,
        kwargs=kwargs,
        inputs=(with_both_signs(rng, away_from(rng, shape, kinks=(0.0,), margin=0.05, scale=1.5)),),
        dout=rng.normal(size=shape),
        read_state=False,
    )


def sign_regions(case):
    """Masks of the negative and positive inputs, so a diagnosis can name where the wrong entries are."""
    x = case.inputs[0]
    return {"where x < 0": x < 0, "where x > 0": x > 0}


def gelu_erf(x):
    """Return the exact GELU 0.5 * x * (1 + erf(x / sqrt(2))), which the contract does not ask for."""
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def stable_sigmoid(x):
    """Return sigmoid(x) without overflow, as the reference computes it."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def wrong_local_gradients(case):
    """Return the dx of each wrong Sigmoid or Tanh backward this suite can name, with its sentence.

    Each is dout times a wrong local gradient, written with the input x or the
    output (s for the sigmoid, t for tanh). Other activations have none.
    """
    x, dout = case.inputs[0], case.dout
    if case.cls == "Sigmoid":
        s = stable_sigmoid(x)
        right = "the derivative of the sigmoid is s * (1 - s), with s = sigmoid(x) the output of forward"
        return [
            (x * (1.0 - x), f"your dx equals dout * x * (1 - x), computed with the input x: {right}"),
            (s * (1.0 - s) ** 2, f"your dx equals dout * s * (1 - s) ** 2, one factor (1 - s) too many: {right}"),
            (s ** 2 * (1.0 - s), f"your dx equals dout * s ** 2 * (1 - s), one factor s too many: {right}"),
            (1.0 - s, f"your dx equals dout * (1 - s), the factor s is missing: {right}"),
            (s, f"your dx equals dout * s, the factor (1 - s) is missing: {right}"),
            (1.0 - s ** 2, f"your dx equals dout * (1 - s ** 2), the form of tanh's derivative: {right}"),
        ]
    if case.cls == "Tanh":
        t = np.tanh(x)
        right = "the derivative of tanh is 1 - tanh(x) ** 2, written with the output of forward"
        return [
            (1.0 - x ** 2, f"your dx equals dout * (1 - x ** 2), computed with the input x: {right}"),
            (1.0 - t, f"your dx equals dout * (1 - t) with t = tanh(x): the square is missing, and {right}"),
            (t * (1.0 - t), f"your dx equals dout * t * (1 - t), the form of the sigmoid's derivative: {right}"),
        ]
    return []


def wrong_dx_sentence(received, case):
    """Return the sentence naming the wrong Sigmoid or Tanh backward that ``received`` matches, or None.

    A wrong formula that gives the right dx on these inputs is skipped.
    """
    x = case.inputs[0]
    right_local = 1.0 - np.tanh(x) ** 2 if case.cls == "Tanh" else stable_sigmoid(x) * (1.0 - stable_sigmoid(x))
    expected = case.dout * right_local
    for local, sentence in wrong_local_gradients(case):
        values = case.dout * local
        if not matches(expected, values) and matches(received, values):
            return sentence
    return None


@contextmanager
def naming_known_mistakes(candidate, case, *, backward=True):
    """Replace a failed check's diagnosis when the candidate made a mistake this suite can recognise.

    The mistakes are a GELU that is the exact erf form, and (with ``backward``)
    a Sigmoid or Tanh backward with a wrong local gradient (see :func:`wrong_local_gradients`).
    A failing check runs the candidate's layer once more; a passing one costs nothing.
    """
    try:
        yield
    except CheckFailed as failure:
        mismatch = failure.mismatch
        if mismatch.kind == "in-place":
            raise
        diagnosis = None
        if case.cls == "GELU" and returns_erf_gelu(candidate, case):
            diagnosis = ("your GELU.forward returns the exact GELU 0.5 * x * (1 + erf(x / sqrt(2))); "
                         "this exercise asks for the tanh approximation, which differs from it by up to about 5e-4")
        if backward and case.cls in ("Sigmoid", "Tanh"):
            diagnosis = wrong_dx_sentence(rerun(candidate, case).dinputs, case) or diagnosis
        if diagnosis is None:
            raise
        raise CheckFailed(replace(
            mismatch, diagnosis=diagnosis, kind="forward" if mismatch.kind == "forward" else None,
        )) from None


def returns_erf_gelu(candidate, case):
    """Return whether the candidate's GELU output matches the exact erf form."""
    return matches(rerun(candidate, case, backward=False).out, gelu_erf(case.inputs[0]))


def rerun(candidate, case, *, backward=True):
    """Run the candidate's layer again to explain a failure. A layer that raises gives an empty Pass."""
    try:
        return run_pass(candidate, case, backward=backward)
    except CandidateError:
        return Pass(None, None, None, None, (), None, [])


@pytest.mark.parametrize("cls", per_activation(1, {name: SHAPES_HINTS for name in ACTIVATIONS}))
def test_shapes(candidate, reference, rng, cls):
    check_shapes(candidate, reference, activation_case(rng, cls))
    steps = Steps()
    params = steps.get(steps.new(cls), "params")
    expect_keys(candidate.run(steps)[params], [], what=f"{cls}().params")


@pytest.mark.parametrize("cls, shape", per_activation_and_shape(1, FORWARD_HINTS))
def test_forward(candidate, reference, rng, cls, shape):
    case = activation_case(rng, cls, shape)
    with naming_known_mistakes(candidate, case, backward=False):
        check_forward(candidate, reference, case, regions=sign_regions(case))


@pytest.mark.parametrize("cls, shape", per_activation_and_shape(2, DX_HINTS))
def test_backward_dx(candidate, reference, rng, cls, shape):
    case = activation_case(rng, cls, shape)
    with naming_known_mistakes(candidate, case):
        check_gradient(candidate, reference, case, Target.input(), rng=rng, regions=sign_regions(case))


@pytest.mark.parametrize("cls", per_activation(1, {name: INPUTS_HINTS for name in ACTIVATIONS}))
def test_inputs_unchanged(candidate, reference, rng, cls):
    case = activation_case(rng, cls, (3, 4))
    with naming_known_mistakes(candidate, case):
        check_inputs_unchanged(candidate, reference, case)


@graded(1, ("LeakyReLU(negative_slope=0.2) must use 0.2, not the default 0.01.",
            "Store the argument in __init__ (self.negative_slope = negative_slope) and use it in forward."))
def test_leaky_relu_slope_forward(candidate, reference, rng):
    case = activation_case(rng, "LeakyReLU", (3, 4), negative_slope=0.2)
    check_forward(candidate, reference, case, regions=sign_regions(case))


@graded(2, ("With negative_slope=0.2 the local gradient where x < 0 is 0.2, not the default 0.01.",
            "return np.where(self.x > 0, dout, self.negative_slope * dout)"))
def test_leaky_relu_slope_dx(candidate, reference, rng):
    case = activation_case(rng, "LeakyReLU", (3, 4), negative_slope=0.2)
    check_gradient(candidate, reference, case, Target.input(), rng=rng, regions=sign_regions(case))


@graded(2, ("exp(-x) overflows for x below about -709 (and exp(x) above 709): numpy warns, "
            "and inf / inf gives NaN.",
            "Evaluate exp only of -|x|: 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0. "
            "np.where evaluates both branches on every entry, so compute z = np.exp(-np.abs(x)) first.",
            "z = np.exp(-np.abs(x)); out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))"))
def test_sigmoid_large_inputs(candidate, reference, rng):
    extremes = np.array([-1e4, -1e3, -710.0, -100.0, -30.0, 30.0, 100.0, 710.0, 1e3, 1e4])
    x = rng.permutation(np.concatenate([extremes, away_from(rng, (2,), scale=3.0)])).reshape(3, 4)
    case = LayerCase(cls="Sigmoid", inputs=(x,), dout=rng.normal(size=x.shape), read_state=False)
    want = run_pass(reference, case)
    got = run_pass(candidate, case)
    with naming_known_mistakes(candidate, case):
        check_values(got, want, case, purpose="inputs with |x| up to 1e4")
    expect_no_warnings(got.warnings, by="Sigmoid.forward(x) and Sigmoid.backward(dout) with |x| up to 1e4")
