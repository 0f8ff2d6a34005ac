"""Hidden suite of exercise 5: MLP and sgd_step."""

import numpy as np
import pytest

from grader.testkit import (
    LayerCase,
    Steps,
    Target,
    check_forward,
    check_gradient,
    check_grads_overwritten,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    expect_close,
    expect_keys,
    fail,
    graded,
)
from grader.testkit.diagnosis import Context
from grader.testkit.gradients import check_gradients

#: Smallest distance of any hidden pre-activation from ReLU's kink at 0. Central
#: differences move a pre-activation by about 1e-6, so a margin this size keeps
#: every ReLU on one side of its kink while the gradient is probed.
MARGIN = 0.05

#: Draws of one layer's weights before giving up. With the sizes below, a draw is
#: accepted with probability above 0.4 (measured over 3,000 cases of each size),
#: so 200 draws all fail with probability below 1e-40.
MAX_DRAWS = 200

SIZES = {
    "one-layer": ([4, 3], 4),
    "two-layers": ([4, 6, 3], 4),
    "four-layers": ([5, 6, 4, 5, 3], 4),
    "one-example": ([4, 5, 6, 2], 1),
}
HIDDEN = {name: value for name, value in SIZES.items() if len(value[0]) > 2}

#: Arrays with more entries than this are checked against central differences
#: along 6 random directions instead of entry by entry, which keeps the many
#: gradients of a deep MLP fast to check.
PROBED_ENTRIES = 12

DX_HINTS = (
    "Walk the layers from the last to the first: each linear layer sends dz @ W.T down, and each "
    "ReLU between layers lets the gradient through only where its input was positive.",
    "dh = dz_i @ W_i.T; dz_(i-1) = dh * (z_(i-1) > 0); after layer 1, dh is dx.",
    "for i in reversed(range(1, L + 1)): ... d = d @ W[i].T; if i > 1: d = d * (h[i-1] > 0)",
)
LAST_LAYER_HINTS = (
    "The last layer is a plain linear layer fed by the last hidden activation h_(L-1) "
    "(or by x when there is one layer), with no ReLU after it.",
    "grads['WL'] = h_(L-1).T @ dscores and grads['bL'] = dscores.sum(axis=0).",
)
HIDDEN_HINTS = (
    "Every layer needs its own cached input: W_i's gradient uses h_(i-1), the input of layer i, "
    "and dz_i, the gradient after layer i's ReLU mask.",
    "dz_i = (dz_(i+1) @ W_(i+1).T) * (z_i > 0); grads['Wi'] = h_(i-1).T @ dz_i; grads['bi'] = dz_i.sum(axis=0).",
    "Keep a list of layer inputs in forward (append h before each layer) and index it in backward.",
)
SGD_HINTS = (
    "Gradient descent moves each parameter against its gradient, by lr times the gradient, "
    "and changes the arrays themselves so every object that references them sees the update.",
    "for k in params: params[k] -= lr * grads[k]   (in place; not params[k] = params[k] - ...)",
)


# --- cases --------------------------------------------------------------------


def mlp_case(rng, sizes, n=4):
    """An MLP with random parameters and inputs, every hidden pre-activation at
    least MARGIN away from 0; returns the case and the correct scores."""
    x = rng.normal(size=(n, sizes[0]))
    params = {}
    h = x
    layers = len(sizes) - 1
    for i in range(1, layers + 1):
        W, b, z = draw_layer(rng, h, sizes[i - 1], sizes[i], hidden=i < layers)
        params[f"W{i}"], params[f"b{i}"] = W, b
        h = np.maximum(z, 0.0) if i < layers else z
    case = LayerCase(
        cls="MLP",
        args=(list(sizes),),
        params=params,
        inputs=(x,),
        dout=rng.normal(size=(n, sizes[-1])),
    )
    return case, h


def draw_layer(rng, h, fan_in, fan_out, *, hidden):
    """Draw W (fan_in, fan_out) and b (fan_out,) for inputs h.

    A hidden layer is redrawn while a pre-activation lies within MARGIN of 0,
    or while an example has no active unit: the gradient would then be zero
    for that example, and zeros would pass the test.
    """
    for _ in range(MAX_DRAWS):
        W = rng.normal(scale=np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        b = rng.normal(scale=0.5, size=fan_out)
        z = h @ W + b
        if not hidden:
            return W, b, z
        if np.min(np.abs(z)) >= MARGIN and np.all(np.any(z > 0, axis=1)):
            return W, b, z
    raise RuntimeError(f"no weights of shape ({fan_in}, {fan_out}) kept the pre-activations {MARGIN} away from 0")


def shapes_of(sizes):
    """The contract's parameter shapes for ``sizes``."""
    shapes = {}
    for i in range(1, len(sizes)):
        shapes[f"W{i}"] = (sizes[i - 1], sizes[i])
        shapes[f"b{i}"] = (sizes[i],)
    return shapes


# --- MLP ---------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[4, 3], [5, 6, 4, 3]], ids=["one-layer", "three-layers"])
@graded(1, ("MLP(sizes) creates params W1, b1, ..., one pair per linear layer, "
            "with W{i} of shape (sizes[i-1], sizes[i]) and b{i} of shape (sizes[i],).",
            "for i in range(1, len(sizes)): params[f'W{i}'] = ... (sizes[i-1], sizes[i]); "
            "params[f'b{i}'] = np.zeros(sizes[i]); and a grads dict."))
def test_param_shapes(candidate, sizes):
    check_param_shapes(candidate, LayerCase("MLP", args=(sizes,)), shapes_of(sizes))


@graded(1, ("scores have shape (N, sizes[-1]); dx has the shape of x; grads has every key of params, "
            "each with that parameter's shape.",
            "backward sets grads[f'W{i}'] = h_(i-1).T @ dz_i, of shape (sizes[i-1], sizes[i]), for every layer i."))
def test_shapes(candidate, reference, rng):
    case, _ = mlp_case(rng, *SIZES["four-layers"])
    check_shapes(candidate, reference, case)


@pytest.mark.parametrize("sizes, n", SIZES.values(), ids=SIZES.keys())
@graded(2, ("Apply the layers in order, with a ReLU after every layer except the last: "
            "the scores can be negative.",
            "h = x; for each layer i: z = h @ W_i + b_i; h = relu(z) if i < L else z"))
def test_forward(candidate, reference, rng, sizes, n):
    case, scores = mlp_case(rng, sizes, n)
    check_forward(candidate, reference, case, regions={"where the scores are negative": scores < 0})


@pytest.mark.parametrize("sizes, n", SIZES.values(), ids=SIZES.keys())
@graded(2, DX_HINTS)
def test_backward_dx(candidate, reference, rng, sizes, n):
    case, _ = mlp_case(rng, sizes, n)
    check_gradient(candidate, reference, case, Target.input(), rng=rng, max_entries=PROBED_ENTRIES)


@pytest.mark.parametrize("sizes, n", SIZES.values(), ids=SIZES.keys())
@graded(2, LAST_LAYER_HINTS)
def test_grads_last_layer(candidate, reference, rng, sizes, n):
    case, _ = mlp_case(rng, sizes, n)
    last = len(sizes) - 1
    targets = [Target.param(f"W{last}"), Target.param(f"b{last}")]
    check_gradients(candidate, reference, case, targets, rng=rng, max_entries=PROBED_ENTRIES)


@pytest.mark.parametrize("sizes, n", HIDDEN.values(), ids=HIDDEN.keys())
@graded(3, HIDDEN_HINTS)
def test_grads_hidden_layers(candidate, reference, rng, sizes, n):
    case, _ = mlp_case(rng, sizes, n)
    targets = [Target.param(f"{kind}{i}") for i in range(len(sizes) - 2, 0, -1) for kind in ("W", "b")]
    check_gradients(candidate, reference, case, targets, rng=rng, max_entries=PROBED_ENTRIES)


@graded(1, ("forward and backward must not write into x or dscores: the caller still owns them.",
            "Avoid in-place edits such as d *= mask or h[h < 0] = 0 on arrays you were given; "
            "write d = d * mask."))
def test_inputs_unchanged(candidate, reference, rng):
    case, _ = mlp_case(rng, *SIZES["four-layers"])
    check_inputs_unchanged(candidate, reference, case)


@graded(1, ("Each backward call sets every grads entry from scratch; it does not add to the previous call's.",
            "Assign with self.grads[f'W{i}'] = ..., not +=."))
def test_grads_overwritten(candidate, reference, rng):
    case, _ = mlp_case(rng, *SIZES["two-layers"])
    check_grads_overwritten(candidate, reference, case)


# --- sgd_step -------------------------------------------------------------------------


@graded(3, SGD_HINTS)
def test_sgd_step(candidate, reference, rng):
    shapes = shapes_of([5, 6, 4, 3])
    params = {name: rng.normal(size=shape) for name, shape in shapes.items()}
    grads = {name: rng.normal(size=shape) for name, shape in shapes.items()}
    lr = float(rng.uniform(0.05, 0.5))

    steps = Steps()
    params_ref = steps.const(params, "params")
    originals = {name: steps.getitem(params_ref, name, f"params[{name!r}]", reply=False) for name in params}
    steps.function("sgd_step", params_ref, steps.const(grads, "grads"), lr, reply=False)
    dict_after = steps.read(params_ref, "params")
    arrays_after = {name: steps.read(ref, f"params[{name!r}]") for name, ref in originals.items()}
    got = candidate.run(steps)

    call = f"sgd_step(params, grads, lr={lr:.3g})"
    received = expect_keys(got[dict_after], list(params), what=f"params after {call}")
    for name in params:
        expect_close(
            np.asarray(received[name], dtype=np.float64) - params[name],
            -lr * grads[name],
            what=f"the update of params[{name!r}]",
            checked=f"params[{name!r}] after {call} minus params[{name!r}] before, against -lr * grads[{name!r}]",
            context=Context(name=f"the update of params[{name!r}]"),
        )
    for name in params:
        after = np.asarray(got[arrays_after[name]], dtype=np.float64)
        if np.array_equal(after, params[name]):
            fail(
                f"the array object that was params[{name!r}] before {call}",
                f"that same array updated in place, to params[{name!r}] - lr * grads[{name!r}]",
                f"the original array is unchanged, and params[{name!r}] is now a new array",
                diagnosis="params[k] = params[k] - lr * grads[k] binds a new array to the key, so any model "
                "or layer that references the old array never sees the update. Write params[k] -= lr * grads[k]",
            )
        expect_close(after, params[name] - lr * grads[name], what=f"params[{name!r}]",
                     checked=f"the array object that was params[{name!r}], read back after {call}")


@graded(2, ("One training step: forward, backward, then sgd_step(model.params, model.grads, lr) "
            "must change the model's own weights, so the next forward gives new scores.",
            "This needs a correct MLP.backward and an in-place sgd_step; the MLP must read its "
            "weights from the arrays in params."))
def test_training_step(candidate, reference, rng):
    case, _ = mlp_case(rng, *SIZES["two-layers"])
    lr = float(rng.uniform(0.05, 0.5))

    steps = Steps()
    model = case.build(steps)
    x = steps.const(case.inputs[0], "x")
    steps.call(model, "forward", x, reply=False)
    steps.call(model, "backward", steps.const(case.dout, "dscores"), reply=False)
    steps.function("sgd_step", steps.get(model, "params", reply=False), steps.get(model, "grads", reply=False),
                   lr, reply=False)
    scores = steps.call(model, "forward", x)
    want = reference.run(steps)[scores]
    got = candidate.run(steps)[scores]
    expect_close(got, want, what="scores",
                 checked=f"MLP.forward(x) after forward, backward and sgd_step(params, grads, lr={lr:.3g})",
                 context=Context(name="the scores after one step"))
