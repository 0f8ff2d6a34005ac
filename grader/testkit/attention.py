"""Known mistakes of scaled dot-product and multi-head attention, computed in numpy.

A :class:`Variant` describes one way to compute attention, right or wrong:
the scale of the scores, the axis of the softmax, how the mask is applied,
how heads are split and merged, and the softmax's backward. :func:`sdpa` and
:func:`mha` compute the output and every gradient of a variant, so a suite
can tell which mistake a candidate's wrong array matches.

Some mistakes give NaN entries (a softmax over a fully masked column is
0 / 0), so arrays are matched with their NaN entries in the same places
(:func:`matches_with_nan`).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator

import numpy as np

from .checks import CheckFailed, fail
from .gradients import Target, analytic_gradient
from .known_mistakes import KnownMistake, matches, renamed
from .layers import LayerCase, Pass, run_pass
from .sides import CandidateError, CandidateSide, ReferenceSide


@dataclass(frozen=True)
class Variant:
    """One way to compute attention. The defaults are the contract's."""

    message: str = ""
    """The diagnosis shown when a candidate's array matches this variant."""
    kind: str | None = None
    """The kind of mistake (a key of ``diagnosis.KINDS``), or None."""
    scale: str = "sqrt-d"
    """Scores are divided by: ``sqrt-d`` (sqrt of the query size), ``sqrt-dv`` (of the
    value size), ``d``, ``one`` (not scaled) or ``sqrt-embed`` (sqrt(E) in every head)."""
    softmax: str = "keys"
    """``keys``; ``queries`` (a softmax over axis -2); ``queries-sum`` (the row
    maximum subtracted, then normalised over axis -2)."""
    mask: str = "where"
    """``where`` (masked scores become -inf); ``multiply`` (scores times the mask);
    ``after`` (weights of masked keys zeroed after the softmax); ``inverted``."""
    jvp: str = "full"
    """The softmax's backward: ``full``, ``diagonal`` (p * (1 - p) * dp) or
    ``queries`` (the sum over axis -2)."""
    dq_scale_power: int = 1
    """How many times the scale multiplies dq (the contract: once)."""
    dk_scale_power: int = 1
    """How many times the scale multiplies dk (the contract: once)."""
    split: str = "blocks"
    """The layout of the head split: ``blocks``, ``no-transpose`` or ``interleaved``."""
    merge: str = "blocks"
    """The layout of the head merge, with the same names as ``split``."""
    causal: str = "tril"
    """The causal mask: ``tril``, ``triu`` or ``ignored``."""
    bias_mean: str = "none"
    """A bias gradient averaged where it should be summed: ``none``, ``rows`` (over
    batch and positions) or ``batch``."""
    dx_paths: str = "qkv"
    """The projections whose gradients dx sums: ``qkv``, or a subset such as ``q``."""


#: The contract's attention.
RIGHT = Variant()


# --- scaled dot-product attention -------------------------------------------


def _scale(variant: Variant, d: int, dv: int, embed: int | None) -> float:
    divisors = {"sqrt-d": np.sqrt(d), "sqrt-dv": np.sqrt(dv), "d": float(d), "one": 1.0,
                "sqrt-embed": np.sqrt(embed if embed else d)}
    return 1.0 / divisors[variant.scale]


def sdpa(q, k, v, mask, variant: Variant = RIGHT, *, embed: int | None = None):
    """Return the output of attention computed as ``variant`` does, and what backward needs."""
    scale = _scale(variant, q.shape[-1], v.shape[-1], embed)
    with np.errstate(all="ignore"):
        scores = q @ np.swapaxes(k, -1, -2) * scale
        if mask is not None and variant.mask == "where":
            scores = np.where(mask, scores, -np.inf)
        elif mask is not None and variant.mask == "inverted":
            scores = np.where(mask, -np.inf, scores)
        elif mask is not None and variant.mask == "multiply":
            scores = scores * mask
        if variant.softmax == "queries":
            exps = np.exp(scores - scores.max(axis=-2, keepdims=True))
            weights = exps / exps.sum(axis=-2, keepdims=True)
        else:
            exps = np.exp(scores - scores.max(axis=-1, keepdims=True))
            weights = exps / exps.sum(axis=-1 if variant.softmax == "keys" else -2, keepdims=True)
        if mask is not None and variant.mask == "after":
            weights = weights * mask
        out = weights @ v
    return out, (q, k, v, weights, scale)


def sdpa_backward(dout, cache, variant: Variant = RIGHT):
    """Return (dq, dk, dv) for the ``cache`` of :func:`sdpa`, with the backward of ``variant``."""
    q, k, v, weights, scale = cache
    with np.errstate(all="ignore"):
        dv = np.swapaxes(weights, -1, -2) @ dout
        dweights = dout @ np.swapaxes(v, -1, -2)
        if variant.jvp == "diagonal":
            dscores = weights * (1.0 - weights) * dweights
        else:
            axis = -1 if variant.jvp == "full" else -2
            dscores = weights * (dweights - np.sum(dweights * weights, axis=axis, keepdims=True))
        dq = scale ** variant.dq_scale_power * dscores @ k
        dk = scale ** variant.dk_scale_power * np.swapaxes(dscores, -1, -2) @ q
    return dq, dk, dv


# --- multi-head attention ----------------------------------------------------


def _split(a, heads: int, layout: str):
    n, t, e = a.shape
    size = e // heads
    if layout == "no-transpose":
        return a.reshape(n * heads, t, size)
    if layout == "interleaved":
        return a.reshape(n, t, size, heads).transpose(0, 3, 1, 2).reshape(n * heads, t, size)
    return a.reshape(n, t, heads, size).transpose(0, 2, 1, 3).reshape(n * heads, t, size)


def _merge(a, n: int, heads: int, layout: str):
    _, t, size = a.shape
    if layout == "no-transpose":
        return a.reshape(n, t, heads * size)
    if layout == "interleaved":
        return a.reshape(n, heads, t, size).transpose(0, 2, 3, 1).reshape(n, t, heads * size)
    return a.reshape(n, heads, t, size).transpose(0, 2, 1, 3).reshape(n, t, heads * size)


def _causal_mask(t: int, layout: str):
    if layout == "ignored":
        return None
    ones = np.ones((t, t), dtype=bool)
    return np.triu(ones) if layout == "triu" else np.tril(ones)


def mha(params: dict, x, heads: int, causal: bool, variant: Variant = RIGHT):
    """Return the output of multi-head self-attention computed as ``variant`` does, and a cache."""
    n, t, e = x.shape
    projected = {name: x @ params[f"W{name}"] + params[f"b{name}"] for name in "qkv"}
    split = {name: _split(value, heads, variant.split) for name, value in projected.items()}
    mask = _causal_mask(t, variant.causal) if causal else None
    attended, cache = sdpa(split["q"], split["k"], split["v"], mask, variant, embed=e)
    concat = _merge(attended, n, heads, variant.merge)
    return concat @ params["Wo"] + params["bo"], (x, concat, cache)


def mha_backward(params: dict, dout, heads: int, cache, variant: Variant = RIGHT):
    """Return dx and the gradients of every parameter for the ``cache`` of :func:`mha`."""
    x, concat, attention_cache = cache
    n, t, e = x.shape
    rows = x.reshape(-1, e)
    grads = {"Wo": concat.reshape(-1, e).T @ dout.reshape(-1, e), "bo": _bias_gradient(dout, variant)}
    dconcat = dout @ params["Wo"].T
    d_heads = sdpa_backward(_split(dconcat, heads, variant.split), attention_cache, variant)
    dx = np.zeros_like(x)
    for name, d_head in zip("qkv", d_heads):
        d = _merge(d_head, n, heads, variant.merge)
        grads[f"W{name}"] = rows.T @ d.reshape(-1, e)
        grads[f"b{name}"] = _bias_gradient(d, variant)
        if name in variant.dx_paths:
            dx = dx + d @ params[f"W{name}"].T
    return dx, grads


def _bias_gradient(d, variant: Variant):
    if variant.bias_mean == "rows":
        return d.mean(axis=(0, 1))
    if variant.bias_mean == "batch":
        return d.sum(axis=1).mean(axis=0)
    return d.sum(axis=(0, 1))


# --- the mistakes this module names -------------------------------------------

_SCALE_RIGHT = "divide them by sqrt(d), with d = q.shape[-1] the size of a query and a key"
_MASK_RIGHT = "set masked scores to -inf before the softmax, np.where(mask, s, -np.inf), so their weights are exactly 0"

SDPA_FORWARD_MISTAKES = (
    Variant("the output equals attention with the softmax over the queries (axis -2) instead of over the keys: "
            "normalise each row of weights p[n, i, :] over the last axis, with sum(axis=-1, keepdims=True)",
            softmax="queries-sum"),
    Variant("the output equals attention with the softmax over the queries (axis -2) instead of over the keys: "
            "the maximum and the sum of the softmax run over the last axis, axis=-1",
            softmax="queries"),
    Variant(f"the scores are divided by sqrt(dv), with dv = v.shape[-1] the size of a value: {_SCALE_RIGHT}",
            scale="sqrt-dv"),
    Variant(f"the scores are not scaled: {_SCALE_RIGHT}", scale="one"),
    Variant(f"the scores are divided by d instead of sqrt(d): {_SCALE_RIGHT}", scale="d"),
    Variant("masked keys get a score of 0 instead of -inf: multiplying the scores by the mask leaves them a "
            f"weight of exp(0 - max) > 0. {_MASK_RIGHT[0].upper()}{_MASK_RIGHT[1:]}", "partial", mask="multiply"),
    Variant("the weights of masked keys are zeroed after a softmax over every key, so the rows no longer sum to 1: "
            f"{_MASK_RIGHT}", "partial", mask="after"),
    Variant("the mask is inverted: True marks the keys a query may attend to, and False the keys it must ignore",
            mask="inverted"),
)

_JVP_RIGHT = "ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True)), with dp = dout @ v^T"

SDPA_BACKWARD_MISTAKES = (
    Variant("the softmax's backward uses only the diagonal of its Jacobian, ds = p * (1 - p) * dp; every weight "
            f"of a row depends on every score of that row, so {_JVP_RIGHT}", jvp="diagonal"),
    Variant(f"the softmax's backward sums over the queries (axis -2) instead of over the keys: {_JVP_RIGHT}",
            jvp="queries"),
    Variant("dq and dk are sqrt(d) times too large: backward omits the 1/sqrt(d) that scales the scores, "
            "dq = ds @ k / sqrt(d) and dk = ds^T @ q / sqrt(d)", "factor", dq_scale_power=0, dk_scale_power=0),
    Variant("dk is the correct value divided by sqrt(d): the scale 1/sqrt(d) reaches it twice. A forward that "
            "scales q in place (q *= scale) keeps the scaled q for backward, so dk = ds^T @ q picks up the scale "
            "again, and the caller's q changes too", "factor", dk_scale_power=2),
    Variant("dq is the correct value divided by sqrt(d): the scale 1/sqrt(d) reaches it twice. A forward that "
            "scales k in place (k *= scale) keeps the scaled k for backward, so dq = ds @ k picks up the scale "
            "again, and the caller's k changes too", "factor", dq_scale_power=2),
    Variant("dq is sqrt(d) times too large: backward omits the 1/sqrt(d) of the scores on the query path, "
            "dq = ds @ k / sqrt(d)", "factor", dq_scale_power=0),
    Variant("dk is sqrt(d) times too large: backward omits the 1/sqrt(d) of the scores on the key path, "
            "dk = ds^T @ q / sqrt(d)", "factor", dk_scale_power=0),
)

_IN_EACH_HEAD = "in each head, "
_HEADS_RIGHT = ("head h takes the contiguous block of features h * E // H to (h + 1) * E // H: split with "
                "a.reshape(N, T, H, E // H).transpose(0, 2, 1, 3) and merge with the inverse")

MHA_FORWARD_MISTAKES = (
    Variant("the heads are split with a.reshape(N * H, T, E // H), without moving the head axis before the "
            f"positions, which mixes positions and features: {_HEADS_RIGHT}", split="no-transpose"),
    Variant("the heads are split and merged with a.reshape(N * H, T, E // H) and its inverse, without moving the "
            f"head axis before the positions, which mixes positions and features: {_HEADS_RIGHT}",
            split="no-transpose", merge="no-transpose"),
    Variant(f"the heads take interleaved features (a reshape to (N, T, E // H, H)): {_HEADS_RIGHT}",
            split="interleaved", merge="interleaved"),
    Variant("the causal mask is the upper triangle, np.triu, so position t attends to itself and the later "
            "positions: causal=True allows keys j <= t, np.tril(np.ones((T, T), dtype=bool))", causal="triu"),
    Variant("causal=True is ignored: position t must attend only to positions j <= t, with the mask "
            "np.tril(np.ones((T, T), dtype=bool))", causal="ignored"),
    Variant("the scores are divided by sqrt(E), the embedding size: each head divides by sqrt(E // num_heads), "
            "the size of its own queries and keys", scale="sqrt-embed"),
    *(replace(mistake, message=_IN_EACH_HEAD + mistake.message) for mistake in SDPA_FORWARD_MISTAKES),
)

_PATHS_RIGHT = "x feeds the queries, the keys and the values, so dx = dq @ Wq^T + dk @ Wk^T + dv @ Wv^T"

_BIAS_RIGHT = "a bias is added at every position of every example, so its gradient is the sum over both, d.sum(axis=(0, 1))"

MHA_BACKWARD_MISTAKES = (
    *(replace(mistake, message=_IN_EACH_HEAD + mistake.message) for mistake in SDPA_BACKWARD_MISTAKES),
    Variant(f"the bias gradients are the mean over the batch and the positions, not the sum: {_BIAS_RIGHT}",
            "extra-mean", bias_mean="rows"),
    Variant(f"the bias gradients are summed over the positions but averaged over the batch: {_BIAS_RIGHT}",
            "extra-mean", bias_mean="batch"),
    Variant(f"dx follows only the query projection, dq @ Wq^T: {_PATHS_RIGHT}", dx_paths="q"),
    Variant(f"dx leaves out the path through the values, dv @ Wv^T: {_PATHS_RIGHT}", dx_paths="qk"),
    Variant(f"dx leaves out the path through the keys, dk @ Wk^T: {_PATHS_RIGHT}", dx_paths="qv"),
    Variant(f"dx leaves out the path through the queries, dq @ Wq^T: {_PATHS_RIGHT}", dx_paths="kv"),
)


def matches_with_nan(received: Any, values: np.ndarray) -> bool:
    """Check whether ``received`` equals ``values``, NaN and infinite entries included.

    The NaN entries must sit in the same places, the infinite ones must be
    equal, and the finite ones must match as :func:`known_mistakes.matches`
    requires. An array of NaN only matches nothing.
    """
    try:
        array = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    values = np.asarray(values, dtype=np.float64)
    if array.shape != values.shape:
        return False
    nan = np.isnan(values)
    if nan.all() or not np.array_equal(np.isnan(array), nan):
        return False
    infinite = np.isinf(values)
    if not np.array_equal(array[infinite], values[infinite]):
        return False
    finite = np.isfinite(values)
    return matches(array[finite], values[finite])


def _identify(received: Any, expected: Any, mistakes: list[tuple[np.ndarray, Variant]]) -> KnownMistake | None:
    for values, variant in mistakes:
        if not matches_with_nan(expected, values) and matches_with_nan(received, values):
            return KnownMistake(np.nan_to_num(values), variant.message, variant.kind)
    return None


# --- computing a case's mistakes ------------------------------------------------


def _run_variant(case: LayerCase, variant: Variant) -> tuple[np.ndarray, dict[str, Any]]:
    """Return the output of ``case`` under ``variant``, and its gradients by name (``dq``, ``grads['W']``...)."""
    if case.cls == "MultiHeadAttention":
        heads = case.args[1]
        causal = bool(case.forward_kwargs.get("causal", False))
        out, cache = mha(dict(case.params), case.inputs[0], heads, causal, variant)
        dx, grads = mha_backward(dict(case.params), case.dout, heads, cache, variant)
        return out, {"dx": dx, **{f"grads[{key!r}]": value for key, value in grads.items()}}
    q, k, v = case.inputs[:3]
    mask = case.inputs[3] if len(case.inputs) > 3 else None
    out, cache = sdpa(q, k, v, mask, variant)
    return out, dict(zip(("dq", "dk", "dv"), sdpa_backward(case.dout, cache, variant)))


def forward_mistakes(case: LayerCase) -> list[tuple[np.ndarray, Variant]]:
    """Compute the output of each forward mistake on ``case``."""
    variants = MHA_FORWARD_MISTAKES if case.cls == "MultiHeadAttention" else SDPA_FORWARD_MISTAKES
    return [(_run_variant(case, variant)[0], variant) for variant in variants]


def gradient_mistakes(case: LayerCase, name: str) -> list[tuple[np.ndarray, Variant]]:
    """Compute the gradient called ``name`` (``dq``, ``grads['Wq']``...) after each backward mistake on ``case``."""
    variants = MHA_BACKWARD_MISTAKES if case.cls == "MultiHeadAttention" else SDPA_BACKWARD_MISTAKES
    return [(_run_variant(case, variant)[1][name], variant) for variant in variants]


def _gradients_in_order(case: LayerCase) -> list[Target]:
    """List the gradients in the order the value checks compare them: the inputs', then the parameters'."""
    return [Target.input(index) for index in case.grad_inputs] + [Target.param(key) for key in case.params]


def find_mistake(case: LayerCase, got: Pass, want: Pass, target: Target | None) -> KnownMistake | None:
    """Name the known mistake behind a wrong pass, or return None.

    A wrong output is matched against the forward mistakes. When ``target``
    is given, a check of that gradient failed, so the message adds that the
    gradient cannot be right on a wrong forward. With a right output, the
    backward mistakes are matched against the gradient of ``target``, or
    else against the first wrong gradient in the order the value checks use.
    """
    if not matches_with_nan(got.out, want.out):
        mistake = _identify(got.out, want.out, forward_mistakes(case))
        if mistake is not None and target is not None:
            mistake = replace(mistake, message=f"{mistake.message}. Forward is wrong, so no later value can match")
        return mistake
    targets = [target] if target is not None else _gradients_in_order(case)
    for candidate_target in targets:
        name = candidate_target.name(case)
        try:
            received = analytic_gradient(got, case, candidate_target, name)
        except CheckFailed:
            return None
        expected = analytic_gradient(want, case, candidate_target, name)
        if matches_with_nan(received, expected):
            continue
        return _identify(received, expected, gradient_mistakes(case, name))
    return None


@contextmanager
def naming_attention_mistakes(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                              target: Target | None = None) -> Iterator[None]:
    """Name the known attention mistake behind a check that fails inside the ``with`` block.

    ``target`` is the gradient the check is about, or None for checks of the
    output or of several values at once. A failure of kind ``in-place`` is
    left alone. Passing checks cost nothing; a failing one runs the layer
    once more on each side and the mistakes in numpy.
    """
    try:
        yield
    except CheckFailed as failure:
        if failure.mismatch.kind == "in-place":
            raise
        # Forward first, on its own: a wrong output is named even while backward is still a stub.
        try:
            got = run_pass(candidate, case, backward=False)
            want = run_pass(reference, case, backward=False)
            if matches_with_nan(got.out, want.out):
                got, want = run_pass(candidate, case), run_pass(reference, case)
        except CandidateError:
            raise failure from None
        if failure.mismatch.kind == "forward":
            # The gradient matched the reference, so only the output can be wrong.
            mistake = find_mistake(case, got, want, None)
            raise renamed(failure, mistake and replace(mistake, kind="forward")) from None
        raise renamed(failure, find_mistake(case, got, want, target)) from None


# --- k.T on a 3-d array -------------------------------------------------------

_CORE_MISMATCH = re.compile(r"matmul: .*mismatch in its core dimension.*\(size (\d+) is different from (\d+)\)")

TRANSPOSED_KEYS = (
    "q @ k^T must swap only the last two axes of k, (N, Tk, d) to (N, d, Tk): k.T reverses all three axes, "
    "giving (d, Tk, N), and q @ k does not transpose at all. Use k.transpose(0, 2, 1) or np.swapaxes(k, -1, -2)"
)


def explain_transposed_keys(error: CandidateError, case: LayerCase) -> None:
    """Fail with the diagnosis of ``q @ k.T`` when ``error`` is the matmul error it raises on ``case``.

    ``q`` (N, Tq, d) times an operand whose second-to-last axis is Tk raises
    a ValueError naming the sizes Tk and d. With Tk and d different, no other
    product in forward raises that pair. Returns without raising when the
    error is something else.
    """
    q, k = case.inputs[0], case.inputs[1]
    found = _CORE_MISMATCH.search(error.fault.message)
    if (error.fault.type != "ValueError" or found is None or q.shape[-1] == k.shape[1]
            or not error.label.endswith(".forward")
            or (int(found.group(1)), int(found.group(2))) != (k.shape[1], q.shape[-1])):
        return
    from ..feedback import format_frames  # imported here: feedback imports the testkit

    fail(f"the scores q @ k^T in {case.call_text()} for q of shape {q.shape} and k of shape {k.shape}",
         f"scores of shape {(q.shape[0], q.shape[1], k.shape[1])}",
         f"{error.label} raised ValueError: {error.fault.message}",
         *format_frames(error.fault).splitlines(),
         diagnosis=TRANSPOSED_KEYS, kind="transposed")
