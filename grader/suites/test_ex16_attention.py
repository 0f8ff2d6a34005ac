"""Hidden suite of exercise 16: ScaledDotProductAttention and MultiHeadAttention."""

import dataclasses

import numpy as np
import pytest

from grader.testkit import (
    CandidateError,
    Context,
    LayerCase,
    Target,
    check_forward,
    check_gradient,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    check_values,
    compare_output,
    expect_close,
    expect_no_warnings,
    expect_unchanged,
    graded,
    run_pass,
)
from grader.testkit.attention import explain_transposed_keys, naming_attention_mistakes
from grader.testkit.gradients import analytic_gradient

# Scaled dot-product attention: batch, query and key lengths, key and value sizes. All differ,
# so a transposed operand shows as a wrong shape.
N, TQ, TK, D, DV = 2, 3, 4, 5, 6
# Multi-head attention: sequence length and embedding size (divisible by 1, 2 and 3 heads).
T, E = 4, 6
PARAM_NAMES = ("Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo")
#: Arrays with more entries are checked against central differences along random directions.
MAX_ENTRIES = 24

#: Masks by name: the shape to draw, or None to call forward(q, k, v) without one.
MASKS = {"no-mask": None, "mask-2d": (TQ, TK), "mask-3d": (N, TQ, TK), "padding-mask": (N, 1, TK)}

#: Masks for dk and dv. A padded key has a zero gradient whatever the mistake, which would
#: make a wrong dk look right on some entries and point the diagnosis at the mask.
KEY_MASKS = {name: shape for name, shape in MASKS.items() if name != "padding-mask"}

#: Multi-head configurations by name: (num_heads, causal).
HEADS = {"one-head": (1, False), "two-heads": (2, False), "three-heads": (3, False),
         "two-heads-causal": (2, True)}

FORWARD_HINTS = (
    "out = softmax(q @ k^T / sqrt(d)) @ v: scores of shape (N, Tq, Tk), a softmax over the keys "
    "(the last axis), then a weighted average of the values.",
    "Scale the scores by 1/sqrt(d), with d = q.shape[-1] (the size of a key), not dv. Masked scores "
    "become -inf before the softmax, so their weights are exactly 0.",
    "s = q @ k.transpose(0, 2, 1) / np.sqrt(d); s = np.where(mask, s, -np.inf); "
    "p = np.exp(s - s.max(-1, keepdims=True)); p /= p.sum(-1, keepdims=True); return p @ v",
)
DQ_HINTS = (
    "dq flows through the scores s = q @ k^T / sqrt(d): dq = ds @ k / sqrt(d), where ds is the "
    "gradient of the scores after the softmax's backward.",
    "Per row, softmax's Jacobian-vector product is ds = p * (dp - sum(dp * p)), with dp = dout @ v^T "
    "and the sum over the keys (the last axis).",
    "dp = dout @ v.transpose(0, 2, 1); ds = p * (dp - (dp * p).sum(-1, keepdims=True)) / np.sqrt(d); "
    "dq = ds @ k",
)
DK_HINTS = (
    "Key j appears in the score of every query, so dk[n, j] sums the contributions of all queries.",
    "dk = ds^T @ q, with ds the gradient of the scaled scores (including the 1/sqrt(d)). Transpose "
    "only the last two axes.",
    "dk = ds.transpose(0, 2, 1) @ q",
)
DV_HINTS = (
    "out = p @ v per example, so value j receives dout[i] weighted by p[i, j] from every query i.",
    "dv = p^T @ dout, transposing only the last two axes of the weights p (N, Tq, Tk).",
    "dv = p.transpose(0, 2, 1) @ dout",
)
STABLE_HINTS = (
    "exp overflows above about 709: with scores in the hundreds exp(s) is inf, and inf / inf is NaN. "
    "Far below zero every exp underflows to 0, and 0 / 0 is NaN.",
    "Softmax does not change when a constant is subtracted from a row: subtract each row's maximum "
    "before exp, so the largest entry is exp(0) = 1.",
    "s = s - s.max(axis=-1, keepdims=True); p = np.exp(s); p /= p.sum(axis=-1, keepdims=True)",
)
MASKED_HINTS = (
    "A masked key takes no part in the softmax, whatever its score: apply the mask to the scores, "
    "before the softmax.",
    "s = np.where(mask, s, -np.inf) gives masked keys a weight of exactly 0. Multiplying the scores by "
    "the mask gives them a score of 0, not -inf. Zeroing weights after a softmax over all keys breaks "
    "when the masked scores are the largest.",
)
MHA_FORWARD_HINTS = (
    "Project q, k, v = x @ W + b, split E into num_heads contiguous blocks of E // num_heads, attend "
    "in each head, concatenate the heads in order and project: out = concat @ Wo + bo.",
    "Split with a.reshape(N, T, H, E // H).transpose(0, 2, 1, 3), merge with the inverse. causal=True "
    "allows key j for query t only when j <= t: mask = np.tril(np.ones((T, T), dtype=bool)).",
)
MHA_DX_HINTS = (
    "x feeds all three projections, so dx sums three paths: dx = dq @ Wq^T + dk @ Wk^T + dv @ Wv^T.",
    "Go backwards step by step: dconcat = dout @ Wo^T, split it into heads, run attention's backward, "
    "merge dq, dk and dv back to (N, T, E), then apply each projection's transpose.",
)
MHA_PARAM_HINTS = (
    "Each projection is a linear layer applied at every position, so its gradients sum over the batch "
    "and the positions.",
    "grads['Wq'] = x.reshape(-1, E).T @ dq.reshape(-1, E) and grads['bq'] = dq.sum(axis=(0, 1)), with "
    "dq the merged gradient of the projected queries. Likewise for k and v, and Wo, bo with concat and dout.",
)


def draw_mask(rng, shape):
    """Boolean mask of ``shape`` (last axis: the keys) with at least two allowed keys per row.

    In each example one random query row allows every key (for a padding mask of shape
    (N, 1, Tk), one random example has no padding), and every other row masks between 1 and
    TK - 2 keys. So the mask matters, a diagnosis can compare the rows it touches with the
    rest, and no key is masked for every query of an example. A row with a single allowed key
    would give it weight 1 whatever the scores, hiding mistakes in the scores and their gradient.
    """
    groups, rows = int(np.prod(shape[:-2])), shape[-2]
    if rows == 1:
        groups, rows = 1, groups
    mask = np.ones((groups, rows, TK), dtype=bool)
    for group in range(groups):
        for row in rng.permutation(rows)[1:]:
            mask[group, row, rng.choice(TK, size=rng.integers(1, TK - 1), replace=False)] = False
    return mask.reshape(shape)


def sdpa_case(rng, mask_name, *, q=None, k=None, v=None, mask=None):
    """A ScaledDotProductAttention case with random inputs, except those given as arguments.

    Without a mask the batch has one example, unless ``q`` is given.
    """
    mask_shape = MASKS[mask_name]
    if q is not None:
        batch = q.shape[0]
    else:
        batch = 1 if mask_shape is None else N
    q = rng.normal(size=(batch, TQ, D)) if q is None else q
    k = rng.normal(size=(batch, TK, D)) if k is None else k
    v = rng.normal(size=(batch, TK, DV)) if v is None else v
    inputs, names = (q, k, v), ("q", "k", "v")
    if mask_shape is not None:
        mask = draw_mask(rng, mask_shape) if mask is None else mask
        inputs, names = (*inputs, mask), (*names, "mask")
    return LayerCase(
        cls="ScaledDotProductAttention",
        inputs=inputs,
        input_names=names,
        grad_inputs=(0, 1, 2),
        dout=rng.normal(size=(q.shape[0], TQ, DV)),
    )


def masked_regions(case, axis):
    """Where the mask is at work: the query rows (axis 1) or the keys (axis 0) it masks somewhere."""
    if len(case.inputs) < 4:
        return {}
    q, k = case.inputs[0], case.inputs[1]
    full = np.broadcast_to(case.inputs[3], (q.shape[0], TQ, TK))
    if axis == 1:
        rows = ~full.all(axis=2)
        return {"in query rows with masked keys": rows[:, :, None]}
    keys = ~full.all(axis=1)
    return {"in keys that some query may not attend to": keys[:, :, None] & np.ones(k.shape[-1], dtype=bool)}


def mha_case(rng, num_heads, causal, *, batch=N, x_scale=1.0):
    """A MultiHeadAttention case with random parameters (biases included), input and gradient."""
    params = {}
    for name in ("q", "k", "v", "o"):
        params[f"W{name}"] = rng.normal(scale=0.5, size=(E, E))
        params[f"b{name}"] = rng.normal(scale=0.5, size=E)
    return LayerCase(
        cls="MultiHeadAttention",
        args=(E, num_heads),
        params=params,
        inputs=(rng.normal(scale=x_scale, size=(batch, T, E)),),
        forward_kwargs={"causal": causal} if causal else {},
        dout=rng.normal(size=(batch, T, E)),
    )


# --- scaled dot-product attention ---------------------------------------------


@graded(1, ("ScaledDotProductAttention has no learnable parameters: params and grads are empty dicts.",))
def test_sdpa_params_empty(candidate):
    check_param_shapes(candidate, LayerCase("ScaledDotProductAttention"), {})


@graded(1, ("out has shape (N, Tq, dv), and dq, dk and dv have the shapes of q, k and v.",
            "backward returns a tuple (dq, dk, dv), in that order."))
def test_sdpa_shapes(candidate, reference, rng):
    case = sdpa_case(rng, "mask-3d")
    try:
        check_shapes(candidate, reference, case)
    except CandidateError as error:
        explain_transposed_keys(error, case)
        raise


@pytest.mark.parametrize("mask_name", MASKS)
@graded(2, FORWARD_HINTS)
def test_sdpa_forward(candidate, reference, rng, mask_name):
    case = sdpa_case(rng, mask_name)
    with naming_attention_mistakes(candidate, reference, case):
        check_forward(candidate, reference, case, regions=masked_regions(case, axis=1))


@pytest.mark.parametrize("mask_name", MASKS)
@graded(2, DQ_HINTS)
def test_sdpa_backward_dq(candidate, reference, rng, mask_name):
    case = sdpa_case(rng, mask_name)
    with naming_attention_mistakes(candidate, reference, case, Target.input(0)):
        check_gradient(candidate, reference, case, Target.input(0), rng=rng, max_entries=MAX_ENTRIES,
                       regions=masked_regions(case, axis=1))


@pytest.mark.parametrize("mask_name", KEY_MASKS)
@graded(2, DK_HINTS)
def test_sdpa_backward_dk(candidate, reference, rng, mask_name):
    case = sdpa_case(rng, mask_name)
    with naming_attention_mistakes(candidate, reference, case, Target.input(1)):
        check_gradient(candidate, reference, case, Target.input(1), rng=rng, max_entries=MAX_ENTRIES,
                       regions=masked_regions(case, axis=0))


@pytest.mark.parametrize("mask_name", KEY_MASKS)
@graded(2, DV_HINTS)
def test_sdpa_backward_dv(candidate, reference, rng, mask_name):
    case = sdpa_case(rng, mask_name)
    with naming_attention_mistakes(candidate, reference, case, Target.input(2)):
        check_gradient(candidate, reference, case, Target.input(2), rng=rng, max_entries=MAX_ENTRIES,
                       regions=masked_regions(case, axis=0))


def check_pass_values(candidate, reference, case, purpose):
    """Check out, dq, dk and dv against the reference, then that the candidate raised no warnings."""
    got, want = run_pass(candidate, case), run_pass(reference, case)
    with naming_attention_mistakes(candidate, reference, case):
        check_values(got, want, case, purpose=purpose)
    expect_no_warnings(got.warnings, by=f"{case.call_text()} and {case.call_text('backward')}")


@graded(2, STABLE_HINTS)
def test_sdpa_stable_softmax(candidate, reference, rng):
    # Queries point along +-u and keys along u, so whole rows of scores sit near +-1100
    # while the keys' small differences keep several weights well away from 0 and 1.
    u = rng.normal(size=D)
    u /= np.linalg.norm(u)
    signs = np.where(rng.permutation(N * TQ) % 2 == 0, 1.0, -1.0).reshape(N, TQ, 1)
    q = 50.0 * signs * u + rng.normal(scale=0.3, size=(N, TQ, D))
    k = 50.0 * u + rng.normal(scale=0.05, size=(N, TK, D))
    check_pass_values(candidate, reference, sdpa_case(rng, "no-mask", q=q, k=k), purpose="scores near +-1100")


@graded(2, MASKED_HINTS)
def test_sdpa_masked_keys_ignored(candidate, reference, rng):
    # Queries point along u. Allowed keys are orthogonal to u, so their scores stay near 1 in size,
    # while padded keys point along u and score about 900. A softmax taken over all keys then
    # leaves the allowed ones at 0, and a masked score of 0 instead of -inf still gets a large weight.
    u = rng.normal(size=D)
    u /= np.linalg.norm(u)
    mask = draw_mask(rng, MASKS["padding-mask"])
    q = 10.0 * u + rng.normal(scale=0.3, size=(N, TQ, D))
    k = rng.normal(size=(N, TK, D))
    k -= (k @ u)[..., None] * u
    k[~mask[:, 0, :]] += 200.0 * u
    check_pass_values(candidate, reference, sdpa_case(rng, "padding-mask", q=q, k=k, mask=mask),
                      purpose="masked keys with the largest scores")


@graded(1, ("forward and backward must not write into q, k, v, mask or dout: the caller still owns them.",
            "q /= np.sqrt(d), mask &= ... or s[~mask] = ... on a view of an input change the caller's "
            "arrays. Build new ones instead."))
def test_sdpa_inputs_unchanged(candidate, reference, rng):
    case = sdpa_case(rng, "mask-3d")
    with naming_attention_mistakes(candidate, reference, case):
        check_inputs_unchanged(candidate, reference, case)


# --- multi-head attention -----------------------------------------------------


@graded(1, ("MultiHeadAttention(embed_dim, num_heads) creates Wq, Wk, Wv, Wo of shape (E, E) and "
            "bq, bk, bv, bo of shape (E,).",
            "Use float64 arrays, and a grads dict (empty or zero-filled with the same keys)."))
def test_mha_param_shapes(candidate):
    shapes = {name: (E, E) if name.startswith("W") else (E,) for name in PARAM_NAMES}
    check_param_shapes(candidate, LayerCase("MultiHeadAttention", args=(E, 2)), shapes)


@graded(1, ("out and dx have the shape of x, (N, T, E), and grads[k] has the shape of params[k].",))
def test_mha_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, mha_case(rng, 2, causal=True))


@pytest.mark.parametrize("heads", HEADS.values(), ids=HEADS.keys())
@graded(2, MHA_FORWARD_HINTS)
def test_mha_forward(candidate, reference, rng, heads):
    case = mha_case(rng, *heads)
    with naming_attention_mistakes(candidate, reference, case):
        check_forward(candidate, reference, case)


@pytest.mark.parametrize("heads", HEADS.values(), ids=HEADS.keys())
@graded(2, MHA_DX_HINTS)
def test_mha_backward_dx(candidate, reference, rng, heads):
    case = mha_case(rng, *heads)
    with naming_attention_mistakes(candidate, reference, case, Target.input()):
        check_gradient(candidate, reference, case, Target.input(), rng=rng, max_entries=MAX_ENTRIES)


@pytest.mark.parametrize("name", [name for name in PARAM_NAMES if name != "bk"])
@graded(1, MHA_PARAM_HINTS)
def test_mha_backward_params(candidate, reference, rng, name):
    case = mha_case(rng, 3, causal=True)
    with naming_attention_mistakes(candidate, reference, case, Target.param(name)):
        check_gradient(candidate, reference, case, Target.param(name), rng=rng, max_entries=MAX_ENTRIES)


@graded(1, ("The key bias adds q . bk to every score in a query's row, and a softmax does not change "
            "when a constant is added to a row: grads['bk'] is zero, up to rounding.",
            "Computed like the other biases, grads['bk'] = dk.sum(axis=(0, 1)) comes out zero by itself. "
            "A clearly non-zero grads['bk'] means dk is wrong, or another path's gradient went into bk."))
def test_mha_backward_bk_zero(candidate, reference, rng):
    case = mha_case(rng, 3, causal=True)
    got, want = run_pass(candidate, case), run_pass(reference, case)
    by = case.call_text("backward")

    # grads['Wk'] comes first, so a layer that never sets its gradients earns nothing here.
    checked = f"grads['Wk'] from {by} against the reference (before checking grads['bk'])"
    wk = analytic_gradient(want, case, Target.param("Wk"), checked)
    with naming_attention_mistakes(candidate, reference, case, Target.param("Wk")):
        expect_close(analytic_gradient(got, case, Target.param("Wk"), checked), wk, what="grads['Wk']",
                     checked=checked, context=Context(name="grads['Wk']"))

    checked = f"grads['bk'] from {by} is zero: softmax ignores a shift shared by a whole row of scores"
    # Rounding leaves entries near 1e-16 times the other gradients, so anything near their size is wrong.
    expect_close(analytic_gradient(got, case, Target.param("bk"), checked), np.zeros(E), what="grads['bk']",
                 checked=checked, atol=1e-8 * float(np.max(np.abs(wk))))


@graded(1, STABLE_HINTS)
def test_mha_stable_softmax(candidate, reference, rng):
    # Inputs 20 times larger than usual give scores in the thousands in every head. The weights
    # are then nearly one-hot and the gradients through the scores nearly 0, so only the output
    # is compared: a wrong backward would differ from the reference by too little to name its cause.
    case = mha_case(rng, 2, causal=False, x_scale=20.0)
    want = run_pass(reference, case, backward=False)
    got = run_pass(candidate, case, backward=False)
    with naming_attention_mistakes(candidate, reference, case):
        compare_output(got.out, want.out, what="out", checked=f"{case.call_text()} against the reference "
                       "(scores in the thousands)", context=Context(name="the output"))
    expect_no_warnings(got.warnings, by=case.call_text())


def check_mha_values(candidate, reference, case, *, purpose, repeats=1):
    """Check out, dx and all gradients but grads['bk'] against the reference; return the candidate's pass.

    grads['bk'] is zero up to rounding (see test_mha_backward_bk_zero), so two correct
    implementations agree on it only in absolute terms, never to a relative tolerance.
    """
    want = run_pass(reference, case)
    got = run_pass(candidate, case, repeats=repeats)
    compared = dataclasses.replace(case, params={k: v for k, v in case.params.items() if k != "bk"})
    with naming_attention_mistakes(candidate, reference, case):
        check_values(got, want, compared, purpose=purpose, context_extra={"repeated_call": repeats > 1})
    return got


@graded(1, ("forward and backward must not write into x or dout: the caller still owns them.",
            "Avoid x += ..., x[...] = ... and out=x, and build new arrays instead."))
def test_mha_inputs_unchanged(candidate, reference, rng):
    case = mha_case(rng, 2, causal=True)
    got = check_mha_values(candidate, reference, case, purpose="inputs unchanged")
    by = f"{case.call_text()} and {case.call_text('backward')}"
    expect_unchanged(case.inputs[0], got.inputs_after[0], what="x", by=by)
    expect_unchanged(case.dout, got.dout_after, what="dout", by=by)


@graded(1, ("Each backward call sets grads from scratch instead of adding to the previous call's grads.",
            "Assign with self.grads['Wq'] = ..., not +=."))
def test_mha_grads_overwritten(candidate, reference, rng):
    check_mha_values(candidate, reference, mha_case(rng, 2, causal=True),
                     purpose="after a second forward and backward", repeats=2)
