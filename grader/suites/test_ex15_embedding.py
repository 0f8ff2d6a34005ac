"""Hidden suite of exercise 15: Embedding."""

import numpy as np
import pytest

from grader.testkit import (
    Context,
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
    fail,
    graded,
)

VOCABULARY, DIM = 7, 3

FORWARD_HINTS = (
    "Each index selects one row of W. The output has the shape of indices plus a last axis of size D.",
    "Integer-array indexing works for indices of any shape: W[indices] has shape indices.shape + (D,).",
    "return self.params['W'][indices]",
)
BACKWARD_HINTS = (
    "Row v of dW is the sum of dout over every position whose index is v. Rows never looked up are zero.",
    "Start from zeros of W's shape, then add each row of dout into the row of dW that its index names.",
    "dW = np.zeros_like(self.params['W']); np.add.at(dW, indices, dout); self.grads['W'] = dW",
)
REPEAT_HINTS = (
    "A token looked up k times gets k contributions to its row of dW, one from each position.",
    "dW[indices] += dout is buffered: it reads each selected row once and writes it back, so for a "
    "repeated index only one write survives. np.add.at is unbuffered.",
    "np.add.at(dW, indices, dout)",
)

SHAPES = {"1-D": (6,), "2-D": (2, 4), "0-d": ()}


def draw_indices(rng, shape, used=4):
    """Indices of ``shape`` drawn from ``used`` distinct rows, so that some rows are never looked up.

    With more positions than used rows, some index is repeated.
    """
    rows = rng.choice(VOCABULARY, size=used, replace=False)
    return np.asarray(rng.choice(rows, size=shape))


def embedding_case(rng, indices):
    """An Embedding with a random table, the given indices and a random upstream gradient."""
    return LayerCase(
        cls="Embedding",
        args=(VOCABULARY, DIM),
        params={"W": rng.normal(size=(VOCABULARY, DIM))},
        inputs=(indices,),
        input_names=("indices",),
        grad_inputs=(),
        dout=rng.normal(size=(*np.shape(indices), DIM)),
    )


def row_regions(indices, first_call=None):
    """Named masks over the entries of dW, so that a diagnosis can name the rows that are wrong.

    ``first_call`` contains the indices of an earlier call on the same layer, if there was one.
    """
    rows = np.arange(VOCABULARY)
    counts = np.bincount(np.ravel(indices), minlength=VOCABULARY)
    regions = {}
    if first_call is not None:
        regions["in rows that only the earlier call looked up"] = np.isin(rows, first_call) & (counts == 0)
    regions["in rows looked up more than once"] = counts > 1
    unused = "in rows never looked up" if first_call is None else "in rows the last call did not look up"
    regions[unused] = counts == 0
    return {label: np.repeat(mask[:, None], DIM, axis=1) for label, mask in regions.items()}


@graded(1, ("Embedding(num_embeddings, embedding_dim) creates params['W'] of shape "
            "(num_embeddings, embedding_dim).",
            "Use a float64 array, and a grads dict (empty or zero-filled with the same key)."))
def test_param_shapes(candidate):
    check_param_shapes(candidate, LayerCase("Embedding", args=(VOCABULARY, DIM)), {"W": (VOCABULARY, DIM)})


@graded(1, ("out has shape indices.shape + (D,), and grads['W'] has the shape of W, (V, D).",))
def test_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, embedding_case(rng, draw_indices(rng, SHAPES["2-D"])))


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@graded(2, FORWARD_HINTS)
def test_forward(candidate, reference, rng, shape):
    check_forward(candidate, reference, embedding_case(rng, draw_indices(rng, shape)))


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@graded(2, BACKWARD_HINTS)
def test_backward_dW(candidate, reference, rng, shape):
    indices = draw_indices(rng, shape)
    check_gradient(candidate, reference, embedding_case(rng, indices), Target.param("W"), rng=rng,
                   regions=row_regions(indices))


@graded(2, REPEAT_HINTS)
def test_repeated_indices_accumulate(candidate, reference, rng):
    rows = rng.choice(VOCABULARY, size=2, replace=False)
    indices = rows[[0, 0, 1, 0, 1, 0]]
    check_gradient(candidate, reference, embedding_case(rng, indices), Target.param("W"), rng=rng,
                   regions=row_regions(indices))


@graded(1, ("grads['W'] describes only the last backward call: rows that call did not look up are zero, "
            "even if an earlier call used them.",
            "Build dW from np.zeros_like(W) on every call. Zeroing only the rows in use leaves the "
            "previous call's rows behind."))
def test_stale_rows_cleared(candidate, reference, rng):
    rows = rng.permutation(VOCABULARY)
    first, second = rows[[0, 1, 2, 0]], rows[[3, 4, 3, 5]]
    W = rng.normal(size=(VOCABULARY, DIM))
    douts = rng.normal(size=(2, 4, DIM))

    steps = Steps()
    layer = steps.new("Embedding", VOCABULARY, DIM)
    steps.set_params(layer, {"W": W})
    for indices, dout in zip((first, second), douts):
        steps.call(layer, "forward", indices, reply=False)
        steps.call(layer, "backward", dout, reply=False)
    grads = steps.get(layer, "grads")

    checked = "grads['W'] after forward and backward on one set of indices, then on another"
    want = reference.run(steps)[grads]["W"]
    got = candidate.run(steps)[grads]
    if not isinstance(got, dict) or "W" not in got:
        fail(checked, "grads['W'] set by backward", f"grads is {got!r:.80}",
             diagnosis="backward must store the gradient of params['W'] in grads['W']", kind="zero")
    expect_close(got["W"], want, what="grads['W']", checked=checked,
                 context=Context(name="grads['W']", regions=row_regions(second, first_call=first)))


@graded(1, ("forward and backward must not write into indices or dout: the caller still owns them.",
            "indices.shape = ..., indices.sort() and in-place arithmetic change the caller's array, but "
            "indices.reshape(-1) and np.sort(indices) return new ones."))
def test_inputs_unchanged(candidate, reference, rng):
    check_inputs_unchanged(candidate, reference, embedding_case(rng, draw_indices(rng, SHAPES["2-D"])))


@graded(1, ("Each backward call sets grads['W'] from scratch instead of adding to the previous call's.",
            "Assign a fresh array: self.grads['W'] = dW, with dW built from zeros on every call."))
def test_grads_overwritten(candidate, reference, rng):
    check_grads_overwritten(candidate, reference, embedding_case(rng, draw_indices(rng, SHAPES["1-D"])))
