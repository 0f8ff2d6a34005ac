"""Hidden suite of exercise 1: gates, a sigmoid neuron and a staged function."""

from dataclasses import replace

import numpy as np
import pytest

from grader.testkit import (
    CandidateError,
    CheckFailed,
    Context,
    LayerCase,
    Target,
    check_forward,
    check_gradient,
    check_inputs_unchanged,
    expect_close,
    expect_shape,
    graded,
    run_pass,
    unpack,
)
from grader.testkit.functions import (
    FunctionCase,
    check_function_gradient,
    check_function_shapes,
    check_function_value,
)
from grader.testkit.inputs import away_from, with_both_signs
from grader.testkit.known_mistakes import matches

GATES = ("MultiplyGate", "AddGate", "MaxGate")

FORWARD_HINTS = {
    "MultiplyGate": ("forward returns a * b elementwise and keeps a and b for backward.",
                     "self.a, self.b = a, b; return a * b"),
    "AddGate": ("forward returns a + b elementwise.",
                "return a + b"),
    "MaxGate": ("forward returns the elementwise maximum and remembers which input won each entry.",
                "self.a_wins = a >= b; return np.maximum(a, b)"),
}
DA_HINTS = {
    "MultiplyGate": ("A multiply gate swaps its inputs: the local gradient of a * b with respect to a is b.",
                     "Upstream times local: da = dout * b, with the b that forward kept.",
                     "return dout * self.b, dout * self.a"),
    "AddGate": ("An add gate distributes: the local gradient of a + b with respect to a is 1.",
                "Upstream times local: da = dout * 1, so a receives all of dout, not half of it.",
                "return dout.copy(), dout.copy()"),
    "MaxGate": ("A max gate routes: the input that won an entry gets all of dout there, the other gets 0.",
                "The local gradient of max(a, b) with respect to a is 1 where a > b and 0 where a < b.",
                "da = np.where(self.a_wins, dout, 0.0)"),
}
DB_HINTS = {
    "MultiplyGate": ("A multiply gate swaps its inputs: the local gradient of a * b with respect to b is a.",
                     "Upstream times local: db = dout * a, with the a that forward kept.",
                     "return dout * self.b, dout * self.a"),
    "AddGate": ("An add gate distributes: the local gradient of a + b with respect to b is 1.",
                "Upstream times local: db = dout * 1, so b receives all of dout, not half of it.",
                "return dout.copy(), dout.copy()"),
    "MaxGate": ("A max gate routes: the input that won an entry gets all of dout there, the other gets 0.",
                "The local gradient of max(a, b) with respect to b is 1 where b > a and 0 where b < a.",
                "db = np.where(self.a_wins, 0.0, dout)"),
}
INPUTS_HINTS = ("forward and backward must not write into a, b or dout: the caller still owns them.",
                "Avoid dout *= ..., a[...] = ... and out= arguments. Build new arrays, such as dout * b.")


def per_gate(points, hints):
    """One parameter per gate, each with its own points and hints."""
    return [pytest.param(gate, marks=graded(points, hints[gate]), id=gate) for gate in GATES]


def gate_case(rng, gate, shape=(2, 3)):
    """A gate with random inputs and upstream gradient.

    MaxGate's a and b stay at least 0.1 apart, and each wins at least one entry.
    """
    a = rng.normal(size=shape)
    if gate == "MaxGate":
        b = a + with_both_signs(rng, away_from(rng, shape, margin=0.1))
    else:
        b = rng.normal(size=shape)
    return LayerCase(cls=gate, inputs=(a, b), input_names=("a", "b"), grad_inputs=(0, 1),
                     dout=rng.normal(size=shape), read_state=False)


def winner_regions(case):
    """Masks of the entries that each input of MaxGate wins, so a diagnosis can name the wrong side."""
    a, b = case.inputs
    return {"where a > b": a > b, "where b > a": b > a}


def swapped_gradient(case, index):
    """Return the gradient a gate gives input ``index`` when it mixes up its inputs, with
    the sentence naming that mistake, or None for AddGate, whose inputs are symmetric."""
    own, other = case.inputs if index == 0 else case.inputs[::-1]
    name, other_name = ("a", "b") if index == 0 else ("b", "a")
    if case.cls == "MultiplyGate":
        return (case.dout * own, f"your d{name} equals dout * {name}: a multiply gate swaps its inputs, "
                f"so d{name} is dout times the other input, {other_name}")
    if case.cls == "MaxGate":
        return (np.where(own > other, 0.0, case.dout),
                f"your d{name} is dout where {name} lost and 0 where it won: a max gate routes the gradient "
                "to the input that won")
    return None


def check_gate_gradient(candidate, reference, case, index, rng):
    """Check one input gradient of a gate, naming a swap of the inputs when the result shows one."""
    regions = winner_regions(case) if case.cls == "MaxGate" else None
    try:
        check_gradient(candidate, reference, case, Target.input(index), rng=rng, regions=regions)
    except CheckFailed as failure:
        mistake = swapped_gradient(case, index)
        if mistake is None or failure.mismatch.kind == "forward":
            raise
        try:
            returned = run_pass(candidate, case).dinputs
            received = returned[index]
        except (CandidateError, TypeError, IndexError, KeyError):
            raise failure from None
        if not matches(received, mistake[0]):
            raise
        raise CheckFailed(replace(failure.mismatch, diagnosis=mistake[1], kind=None)) from None


@pytest.mark.parametrize("gate", per_gate(1, FORWARD_HINTS))
def test_gate_forward(candidate, reference, rng, gate):
    case = gate_case(rng, gate, shape=(3, 4))
    regions = winner_regions(case) if gate == "MaxGate" else None
    check_forward(candidate, reference, case, regions=regions)


@pytest.mark.parametrize("gate", per_gate(2, DA_HINTS))
def test_gate_da(candidate, reference, rng, gate):
    check_gate_gradient(candidate, reference, gate_case(rng, gate), 0, rng)


@pytest.mark.parametrize("gate", per_gate(2, DB_HINTS))
def test_gate_db(candidate, reference, rng, gate):
    check_gate_gradient(candidate, reference, gate_case(rng, gate), 1, rng)


@pytest.mark.parametrize("gate", per_gate(1, {gate: INPUTS_HINTS for gate in GATES}))
def test_gate_inputs_unchanged(candidate, reference, rng, gate):
    check_inputs_unchanged(candidate, reference, gate_case(rng, gate, shape=(4,)))


@graded(2, ("Where a == b either input may take the gradient, but only one of them, and all of it.",
            "Count the tie once: da gets dout and db gets 0, or the reverse, but never both and never half each.",
            "Use one mask and its complement: da = np.where(a >= b, dout, 0.0); db = np.where(a >= b, 0.0, dout)"))
def test_max_gate_ties(candidate, reference, rng):
    shape = (3, 4)
    a = rng.normal(size=shape)
    tie = rng.random(shape) < 0.5
    tie.flat[:2] = (True, False)  # at least one tie and one untied entry
    b = np.where(tie, a, a + away_from(rng, shape, margin=0.1))
    dout = rng.normal(size=shape)
    case = LayerCase(cls="MaxGate", inputs=(a, b), input_names=("a", "b"), grad_inputs=(0, 1),
                     dout=dout, read_state=False)
    want = run_pass(reference, case)
    got = run_pass(candidate, case)

    where = "where some entries of a and b are equal"
    expect_close(got.out, want.out, what="out", checked=f"MaxGate.forward(a, b) against the reference, {where}")
    checked = f"MaxGate.backward(dout) {where}"
    da, db = unpack(got.dinputs, 2, "the result of MaxGate.backward(dout)", checked)
    want_da, want_db = want.dinputs
    da = expect_shape(da, shape, what="da", checked=f"the shape of da from {checked}")
    db = expect_shape(db, shape, what="db", checked=f"the shape of db from {checked}")

    # At a tie the candidate may route dout to either input: expect whichever
    # routing its da shows, and require db to be the complement.
    routed_to_a = np.abs(da - dout) <= 1e-8 * (np.abs(dout) + np.max(np.abs(dout)))
    want_da = np.where(tie, np.where(routed_to_a, dout, 0.0), want_da)
    want_db = np.where(tie, np.where(routed_to_a, 0.0, dout), want_db)
    regions = {"where a == b": tie}
    rule = "; at a tie, all of dout goes to a or to b"
    expect_close(da, want_da, what="da", checked=f"da from {checked}{rule}", context=Context("da", regions=regions))
    expect_close(db, want_db, what="db", checked=f"db from {checked}{rule}", context=Context("db", regions=regions))


# --- neuron ----------------------------------------------------------------

NEURON_SIZES = {"one-input": 1, "four-inputs": 4}


def neuron_case(rng, n=4):
    """A neuron with n inputs: w of shape (n + 1,) and x of shape (n,), so |z| stays moderate."""
    return FunctionCase(
        name="neuron",
        inputs=(rng.normal(scale=0.5, size=n + 1), rng.normal(size=n)),
        input_names=("w", "x"),
        gradient_names=("dw", "dx"),
        value_name="out",
    )


def bias_regions(n):
    """The bias entry of dw apart from the weights, so a diagnosis can name it."""
    bias = np.zeros(n + 1, dtype=bool)
    bias[-1] = True
    return {"at the bias entry dw[-1]": bias, "at the weight entries dw[:-1]": ~bias}


@graded(1, ("neuron returns (out, dw, dx): out is one number, dw has the shape of w (n + 1,), dx the shape of x (n,).",
            "The bias w[-1] is a parameter too, so dw has an entry for it."))
def test_neuron_shapes(candidate, reference, rng):
    check_function_shapes(candidate, reference, neuron_case(rng))


@pytest.mark.parametrize("n", NEURON_SIZES.values(), ids=NEURON_SIZES.keys())
@graded(1, ("out = sigmoid(z) with z = w[:-1] @ x + w[-1]: the last entry of w is the bias.",
            "z = w[:-1] @ x + w[-1]; out = 1 / (1 + np.exp(-z))"))
def test_neuron_out(candidate, reference, rng, n):
    check_function_value(candidate, reference, neuron_case(rng, n))


@pytest.mark.parametrize("n", NEURON_SIZES.values(), ids=NEURON_SIZES.keys())
@graded(2, ("Chain rule through z: d(out)/dw = d(out)/dz * dz/dw, and d(out)/dz = sigmoid'(z).",
            "sigmoid'(z) = out * (1 - out); dz/dw[:-1] = x and dz/dw[-1] = 1 (the bias).",
            "dz = out * (1 - out); dw = dz * np.append(x, 1.0)"))
def test_neuron_dw(candidate, reference, rng, n):
    check_function_gradient(candidate, reference, neuron_case(rng, n), 0, regions=bias_regions(n))


@pytest.mark.parametrize("n", NEURON_SIZES.values(), ids=NEURON_SIZES.keys())
@graded(2, ("Chain rule through z: d(out)/dx = d(out)/dz * dz/dx, and d(out)/dz = sigmoid'(z).",
            "sigmoid'(z) = out * (1 - out) and dz/dx = w[:-1] (the bias does not multiply x).",
            "dz = out * (1 - out); dx = dz * w[:-1]"))
def test_neuron_dx(candidate, reference, rng, n):
    check_function_gradient(candidate, reference, neuron_case(rng, n), 1)


# --- staged ----------------------------------------------------------------

STAGED_SHAPES = {"vector": (5,), "matrix": (2, 3)}
STAGED_PATHS = ("Name every intermediate of the forward pass (sig_y, num, sig_x, xpy, xpy_sq, den, inv_den) "
                "and backpropagate through them in reverse order.")


def staged_case(rng, shape=(5,)):
    """x and y uniform on [-2, 2], where the denominator stays above sigmoid(-2) > 0.1."""
    return FunctionCase(
        name="staged",
        inputs=(rng.uniform(-2, 2, size=shape), rng.uniform(-2, 2, size=shape)),
        input_names=("x", "y"),
        gradient_names=("dfdx", "dfdy"),
        value_name="f",
        elementwise=True,
    )


@graded(1, ("staged returns (f, dfdx, dfdy), each of the shape of x.",
            "Everything is elementwise: use *, / and ** on arrays, not @ or sums."))
def test_staged_shapes(candidate, reference, rng):
    check_function_shapes(candidate, reference, staged_case(rng, (2, 3)))


@pytest.mark.parametrize("shape", STAGED_SHAPES.values(), ids=STAGED_SHAPES.keys())
@graded(1, ("f = (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2), elementwise.",
            "Mind the brackets: the whole of sigmoid(x) + (x + y) ** 2 is the denominator."))
def test_staged_f(candidate, reference, rng, shape):
    check_function_value(candidate, reference, staged_case(rng, shape))


@pytest.mark.parametrize("shape", STAGED_SHAPES.values(), ids=STAGED_SHAPES.keys())
@graded(2, (STAGED_PATHS,
            "x reaches f by three paths (num = x + sig_y, sig_x, xpy = x + y): dfdx is the sum of all three.",
            "dfdx = dnum + sig_x * (1 - sig_x) * dden + 2 * xpy * dden, with dnum = 1 / den "
            "and dden = -num / den ** 2"))
def test_staged_dfdx(candidate, reference, rng, shape):
    check_function_gradient(candidate, reference, staged_case(rng, shape), 0)


@pytest.mark.parametrize("shape", STAGED_SHAPES.values(), ids=STAGED_SHAPES.keys())
@graded(2, (STAGED_PATHS,
            "y reaches f by two paths (sig_y in the numerator, xpy in the denominator): dfdy is their sum.",
            "dfdy = sig_y * (1 - sig_y) * dnum + 2 * xpy * dden, with dnum = 1 / den "
            "and dden = -num / den ** 2"))
def test_staged_dfdy(candidate, reference, rng, shape):
    check_function_gradient(candidate, reference, staged_case(rng, shape), 1)
