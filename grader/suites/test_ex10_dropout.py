"""Hidden suite of exercise 10: Dropout.

A numpy Generator cannot cross to the worker, so each test builds the same
seeded generator on both sides with ``Steps.rng`` and passes it as ``rng=``.
A submission that follows the mask rule then draws the very numbers the
reference draws, and its output can be compared exactly. The grader also
draws them itself (``uniforms``) to recognise the usual mistakes.
"""

from dataclasses import replace

import numpy as np
import pytest

from grader.testkit import (
    CheckFailed,
    Context,
    LayerCase,
    Steps,
    check_param_shapes,
    expect_close,
    expect_finite,
    expect_no_warnings,
    expect_unchanged,
    fail,
    graded,
    to_array,
)
from grader.testkit.inputs import away_from
from grader.testkit.known_mistakes import KnownMistake, expect_close_or_known, identify, matches, renamed
from grader.testkit.sides import run_both

SHAPE = (4, 6)
DEFAULT_P = 0.5

MASK_HINTS = (
    "p is the probability of dropping a unit. Draw u = self.rng.random(x.shape) once per forward "
    "and keep the units where u >= p.",
    "Inverted dropout scales the kept units by 1 / (1 - p) while training, so the expected output "
    "equals x.",
    "mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p); out = x * mask",
)
EVAL_HINTS = (
    "With training = False, dropout is the identity: no units dropped, no scaling.",
    "if not self.training: return x (and remember that no mask applies, for backward)",
)
BACKWARD_HINTS = (
    "out = x * mask, so dx = dout * mask with the very mask that forward used: a dropped unit "
    "passes no gradient, a kept one passes it scaled by 1 / (1 - p).",
    "Store the mask in forward (self.mask = ...) and return dout * self.mask; never draw a new one "
    "in backward.",
)


def draw_seed(rng):
    return int(rng.integers(2**32))


def uniforms(seed, shape, draws=1):
    """Return what ``rng.random(shape)`` gives on the first ``draws`` calls of a generator seeded with ``seed``."""
    generator = np.random.default_rng(seed)
    return [generator.random(shape) for _ in range(draws)]


def dropout_input(rng, shape=SHAPE):
    """Draw an input with every entry at least 0.1 away from zero, so out / x recovers the mask."""
    return away_from(rng, shape, kinks=(0.0,), margin=0.1)


def new_dropout(steps, p, seed):
    """Add the steps that build ``Dropout(p, rng=default_rng(seed))``, or ``Dropout(rng=...)`` for ``p=None``."""
    generator = steps.rng(seed)
    args = () if p is None else (p,)
    return steps.new("Dropout", *args, rng=generator)


def constructor_text(p):
    return "Dropout(rng=...)" if p is None else f"Dropout({p}, rng=...)"


def scaled(keep, p):
    return keep / (1.0 - p)


def output_mistakes(x, p, u):
    """List the known mistakes of a training-mode forward, given the numbers ``u`` that the generator returns."""
    keep, flipped = u >= p, u < p
    keep_probability = ("the output keeps the units it should drop: p is the probability of dropping a unit, "
                        "so keep a unit where rng.random(x.shape) >= p (PyTorch's convention; p is not "
                        "the keep probability)")
    return [
        KnownMistake(x * scaled(flipped, p), keep_probability),
        KnownMistake(x * flipped / p, keep_probability),
        KnownMistake(x * keep, (
            f"the kept units are not scaled: inverted dropout multiplies them by 1 / (1 - p) = "
            f"{1 / (1 - p):.4g} while training, so that the expected output equals x"), "factor"),
        KnownMistake(x * keep / p, (
            "the kept units are scaled by 1 / p: with p the drop probability the scale is 1 / (1 - p)"),
            "factor"),
        KnownMistake(x * keep * (1 - p), (
            "the kept units are multiplied by 1 - p, vanilla dropout's test-time scaling: inverted "
            "dropout divides them by 1 - p while training"), "factor"),
    ]


def has_dropout_form(received, x, p):
    """Check whether every entry is 0 or x / (1 - p), the form of a correctly scaled dropout output."""
    try:
        array = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if array.shape != x.shape or p >= 1:
        return False
    kept = array != 0
    return bool(kept.any()) and matches(array[kept], x[kept] / (1 - p))


def expect_output(received, expected, x, p, u, checked):
    """Compare a training-mode output with the reference's, naming the mistake it shows."""
    try:
        expect_close_or_known(received, expected, output_mistakes(x, p, u), what="out", checked=checked,
                              context=Context(name="the output"))
    except CheckFailed as failure:
        if failure.mismatch.diagnosis is None or failure.mismatch.kind == "partial":
            if has_dropout_form(received, x, p):
                raise renamed(failure, KnownMistake(np.asarray(received), (
                    "every unit is either dropped or scaled by 1 / (1 - p), but not the units where "
                    "rng.random(x.shape) >= p: draw exactly one self.rng.random(x.shape) per forward, from "
                    "the generator passed as rng= (not np.random), and keep where it is >= p"),
                    "partial")) from None
        raise


# --- construction ------------------------------------------------------------------


@graded(1, ("Dropout has no parameters: params and grads are empty dicts.",
            "self.params = {}; self.grads = {}"))
def test_param_shapes(candidate):
    check_param_shapes(candidate, LayerCase("Dropout", args=(DEFAULT_P,)), {})


# --- forward -----------------------------------------------------------------------

MASK_CASES = {
    "default-p": (None, SHAPE),
    "p=0.2": (0.2, SHAPE),
    "p=0.75": (0.75, SHAPE),
    "3-D": (0.3, (2, 3, 4)),
}


@pytest.mark.parametrize("p, shape", MASK_CASES.values(), ids=MASK_CASES.keys())
@graded(2, MASK_HINTS)
def test_forward_mask_rule(candidate, reference, rng, p, shape):
    seed, x = draw_seed(rng), dropout_input(rng, shape)
    steps = Steps()
    layer = new_dropout(steps, p, seed)
    out = steps.call(layer, "forward", x)
    pair = run_both(candidate, reference, steps)

    p = DEFAULT_P if p is None else p
    u, = uniforms(seed, x.shape)
    expect_output(pair.got[out], pair.want[out], x, p, u,
                  checked=f"{constructor_text(p)}.forward(x) against the reference with the same seeded generator")


SCALING_P = 0.3
SCALING_SHAPE = (10, 20)


@graded(2, ("Every output entry is either 0 (dropped) or x / (1 - p) (kept), and about a fraction "
            "1 - p of the units are kept.",
            "out = x * keep / (1 - p), with keep a boolean array that is True with probability 1 - p."))
def test_scaling(candidate, reference, rng):
    n = int(np.prod(SCALING_SHAPE))
    low, high = int(0.5 * n), int(0.9 * n)
    # Pick a seed whose mask keeps a count within [low, high] (about 6 standard
    # deviations around 0.7 n), so an implementation of the rule never fails the count.
    seed = draw_seed(rng)
    while not low <= int(np.sum(uniforms(seed, SCALING_SHAPE)[0] >= SCALING_P)) <= high:
        seed = draw_seed(rng)
    x = dropout_input(rng, SCALING_SHAPE)
    steps = Steps()
    layer = new_dropout(steps, SCALING_P, seed)
    out = steps.call(layer, "forward", x)
    got = candidate.run(steps)[out]

    checked = f"every entry of Dropout({SCALING_P}).forward(x) is 0 or x / (1 - p) = x * {1 / (1 - SCALING_P):.4g}"
    array = to_array(got, "out", checked)
    if array.shape != x.shape:
        fail(checked, f"shape {x.shape}", f"out has shape {array.shape}")
    kept = array != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = array[kept] / x[kept]
    if not np.allclose(ratios, 1 / (1 - SCALING_P), rtol=1e-8, atol=0):
        u, = uniforms(seed, SCALING_SHAPE)
        mistake = identify(array, x * scaled(u >= SCALING_P, SCALING_P), output_mistakes(x, SCALING_P, u))
        scale = np.median(ratios) if ratios.size else float("nan")
        fail(checked, f"kept entries equal to x * {1 / (1 - SCALING_P):.4g}",
             f"out / x on the kept entries ranges from {np.min(ratios, initial=np.inf):.4g} to "
             f"{np.max(ratios, initial=-np.inf):.4g} (median {scale:.4g})",
             diagnosis=mistake.message if mistake else "scale every kept unit by 1 / (1 - p) and set "
             "every dropped unit to 0",
             kind=mistake.kind if mistake else None)
    count = int(kept.sum())
    if not low <= count <= high:
        fail(f"the number of units Dropout({SCALING_P}).forward(x) keeps out of {n}",
             f"about {round((1 - SCALING_P) * n)} (1 - p of them), between {low} and {high}",
             f"{count} kept",
             diagnosis="keep each unit with probability 1 - p: keep = rng.random(x.shape) >= p")


@graded(2, EVAL_HINTS)
def test_eval_identity(candidate, reference, rng):
    p, seed, x = 0.4, draw_seed(rng), dropout_input(rng)
    steps = Steps()
    layer = new_dropout(steps, p, seed)
    steps.set(layer, "training", False)
    out = steps.call(layer, "forward", x)
    pair = run_both(candidate, reference, steps)

    u, = uniforms(seed, x.shape)
    mistakes = [
        KnownMistake(x * scaled(u >= p, p), (
            "with training = False forward still dropped units: evaluation mode is the identity"), "mode"),
        KnownMistake(x * (1 - p), (
            "the output is x * (1 - p), vanilla dropout's test-time scaling: inverted dropout already "
            "scaled while training, so evaluation returns x unchanged"), "factor"),
    ]
    expect_close_or_known(pair.got[out], pair.want[out], mistakes, what="out",
                          checked=f"Dropout({p}).forward(x) with training = False against x itself",
                          context=Context(name="the output"))


@graded(1, ("After an evaluation-mode forward, backward is the identity too: no mask applies.",
            "Clear the stored mask in an evaluation-mode forward (or store ones), so backward returns dout."))
def test_eval_backward(candidate, reference, rng):
    p, seed = 0.4, draw_seed(rng)
    x_train, x_eval, dout = dropout_input(rng), dropout_input(rng), rng.normal(size=SHAPE)
    steps = Steps()
    layer = new_dropout(steps, p, seed)
    steps.call(layer, "forward", x_train, reply=False)
    steps.set(layer, "training", False)
    steps.call(layer, "forward", x_eval, reply=False)
    dx = steps.call(layer, "backward", dout)
    pair = run_both(candidate, reference, steps)

    u, u_next = uniforms(seed, SHAPE, draws=2)
    mistakes = [
        KnownMistake(dout * scaled(u >= p, p), (
            "backward after an evaluation-mode forward applied the mask of the earlier training-mode "
            "forward: the last forward dropped nothing, so dx = dout"), "mode"),
        KnownMistake(dout * scaled(u_next >= p, p), (
            "forward with training = False drew a mask and backward applied it: evaluation mode is "
            "the identity, forward and backward"), "mode"),
    ]
    expect_close_or_known(pair.got[dx], pair.want[dx], mistakes, what="dx",
                          checked="dx from backward(dout) after forward in training mode, then forward with "
                          "training = False, against dout itself",
                          context=Context(name="dx"))


# --- backward ----------------------------------------------------------------------


def dx_mistakes(dout, p, u, u_next):
    """List the known mistakes of dx, given the forward's numbers ``u`` and the generator's next ones."""
    keep = u >= p
    return [
        KnownMistake(dout * keep, (
            "dx is dout times the unscaled 0/1 mask: forward multiplied the kept units by 1 / (1 - p), "
            "so their gradient is scaled by it too"), "factor"),
        KnownMistake(dout, "dx = dout passes gradient through the dropped units: multiply by the mask", "partial"),
        KnownMistake(dout / (1 - p), (
            "dx is dout / (1 - p) everywhere: the dropped units must get zero gradient"), "partial"),
        KnownMistake(dout * scaled(u_next >= p, p), (
            "backward drew a new mask: reuse the mask that forward stored"), "partial"),
    ]


def consistent_with_forward(out, dx, x, dout):
    """Check whether dx = dout * out / x, so that backward applies the mask of the candidate's own forward."""
    try:
        return matches(dx, dout * to_array(out, "out", "the output of forward") / x)
    except CheckFailed:
        return False


@pytest.mark.parametrize("p", [0.25, 0.6], ids=["p=0.25", "p=0.6"])
@graded(2, BACKWARD_HINTS)
def test_backward_dx(candidate, reference, rng, p):
    seed, x, dout = draw_seed(rng), dropout_input(rng), rng.normal(size=SHAPE)
    steps = Steps()
    layer = new_dropout(steps, p, seed)
    out = steps.call(layer, "forward", x)
    dx = steps.call(layer, "backward", dout)
    pair = run_both(candidate, reference, steps)

    u, u_next = uniforms(seed, SHAPE, draws=2)
    got_out, got_dx = pair.got[out], pair.got[dx]
    consistent = consistent_with_forward(got_out, got_dx, x, dout)
    try:
        expect_close(got_dx, pair.want[dx], what="dx", context=Context(name="dx"),
                     checked=f"dx from Dropout({p}).backward(dout) against the reference with the same "
                     "seeded generator")
    except CheckFailed as failure:
        if not consistent:
            note = "dx does not equal dout * out / x for your own output either: backward does not apply forward's mask"
            failure = CheckFailed(replace(failure.mismatch, details=failure.mismatch.details + (note,)))
            raise renamed(failure, identify(got_dx, pair.want[dx], dx_mistakes(dout, p, u, u_next))) from None
        wrong_forward = identify(got_out, pair.want[out], output_mistakes(x, p, u))
        cause = f": {wrong_forward.message}" if wrong_forward else " (see the mask rule tests)"
        raise renamed(failure, KnownMistake(np.asarray(got_dx), (
            "dx = dout * out / x holds for your own output, so backward applies your forward's mask, "
            "but forward's output is wrong" + cause), wrong_forward.kind if wrong_forward else None)) from None

    if not consistent:
        fail("dx against dout * out / x, the mask your own forward applied",
             "dx = dout * out / x for every entry (x is never 0 here)",
             "they differ, while dx matches the reference",
             diagnosis="backward is right but forward's output is not: fix forward (see the mask rule tests)",
             kind="forward")


@graded(2, BACKWARD_HINTS)
def test_backward_uses_last_mask(candidate, reference, rng):
    p, seed = 0.5, draw_seed(rng)
    x1, x2, dout = dropout_input(rng), dropout_input(rng), rng.normal(size=SHAPE)
    steps = Steps()
    layer = new_dropout(steps, p, seed)
    steps.call(layer, "forward", x1, reply=False)
    out2 = steps.call(layer, "forward", x2)
    dx = steps.call(layer, "backward", dout)
    pair = run_both(candidate, reference, steps)

    u1, u2, u3 = uniforms(seed, SHAPE, draws=3)
    second_mistakes = [KnownMistake(x2 * scaled(u1 >= p, p), (
        "the second forward reused the first forward's mask: draw a new mask on every forward"), "partial")]
    second_mistakes += output_mistakes(x2, p, u2)
    expect_close_or_known(pair.got[out2], pair.want[out2], second_mistakes, what="out",
                          checked=f"the output of the second Dropout({p}).forward against the reference",
                          context=Context(name="the output"))
    mistakes = [KnownMistake(dout * scaled(u1 >= p, p), (
        "dx applies the mask of the first forward: backward must use the mask of the last forward, "
        "so store it on every call"), "partial")]
    expect_close_or_known(pair.got[dx], pair.want[dx], mistakes + dx_mistakes(dout, p, u2, u3), what="dx",
                          checked="dx from backward(dout) after two forwards, against dout times the second "
                          "forward's mask", context=Context(name="dx"))


# --- edge cases --------------------------------------------------------------------


@graded(1, ("p = 0 drops nothing: forward and backward are the identity, with no warnings.",
            "rng.random(x.shape) >= 0 is always True and 1 / (1 - 0) = 1."))
def test_p_zero(candidate, reference, rng):
    seed, x, dout = draw_seed(rng), dropout_input(rng), rng.normal(size=SHAPE)
    steps = Steps()
    layer = new_dropout(steps, 0.0, seed)
    out = steps.call(layer, "forward", x)
    dx = steps.call(layer, "backward", dout)
    got = candidate.run(steps)

    dropped_all = ("Dropout(0.0) dropped every unit: p is the probability of dropping a unit, "
                   "so p = 0 keeps them all")
    expect_close_or_known(got[out], x, [KnownMistake(np.zeros(SHAPE), dropped_all)], what="out",
                          checked="Dropout(0.0).forward(x) against x itself", context=Context(name="the output"))
    expect_close_or_known(got[dx], dout, [KnownMistake(np.zeros(SHAPE), dropped_all)], what="dx",
                          checked="dx from Dropout(0.0).backward(dout) against dout itself",
                          context=Context(name="dx"))
    expect_no_warnings(got.all_warnings(), by="Dropout(0.0).forward and backward")


@graded(2, ("p = 1 drops every unit: the output and dx are zeros, computed without dividing by 1 - p = 0. "
            "Evaluation mode is still the identity.",
            "Use a scale of 0 when p == 1 (every mask entry is 0 anyway), e.g. "
            "scale = 1 / (1 - p) if p < 1 else 0.0."))
def test_p_one(candidate, reference, rng):
    seed, x, x_eval, dout = draw_seed(rng), dropout_input(rng), dropout_input(rng), rng.normal(size=SHAPE)
    steps = Steps()
    layer = new_dropout(steps, 1.0, seed)
    out = steps.call(layer, "forward", x)
    dx = steps.call(layer, "backward", dout)
    steps.set(layer, "training", False)
    eval_out = steps.call(layer, "forward", x_eval)
    got = candidate.run(steps)

    expect_finite(got[out], what="out", by="Dropout(1.0).forward(x)")
    expect_finite(got[dx], what="dx", by="Dropout(1.0).backward(dout)")
    expect_zeros(got[out], x, what="out", by="Dropout(1.0).forward(x)")
    expect_zeros(got[dx], dout, what="dx", by="Dropout(1.0).backward(dout)")
    expect_no_warnings(got.all_warnings(), by="Dropout(1.0).forward(x) and backward(dout) in training mode")
    mistakes = [KnownMistake(np.zeros(SHAPE), (
        "with training = False forward returned zeros: evaluation mode is the identity whatever p is, "
        "with no units dropped and no scaling by 1 - p"))]
    expect_close_or_known(got[eval_out], x_eval, mistakes, what="out",
                          checked="Dropout(1.0).forward(x) with training = False against x itself",
                          context=Context(name="the output"))


def expect_zeros(received, given, *, what, by):
    """Check that every entry is zero, as with p = 1. ``given`` is the array passed to the layer."""
    checked = f"{what} from {by} is all zeros: every unit dropped"
    array = to_array(received, what, checked)
    if array.shape != given.shape:
        fail(checked, f"shape {given.shape}", f"{what} has shape {array.shape}")
    nonzero = array != 0
    if not nonzero.any():
        return
    index = tuple(int(i) for i in np.argwhere(nonzero)[0])
    kept_all = matches(array, given)
    fail(checked, "zeros", f"{int(nonzero.sum())} of {array.size} entries are nonzero, "
         f"first {what}[{', '.join(map(str, index))}] = {array[index]:.6g}",
         diagnosis="every unit was kept: p is the probability of dropping a unit, so p = 1 drops them all"
         if kept_all else "with p = 1 no unit is kept, so the mask is zeros")


@graded(1, ("forward and backward must not write into x or dout: the caller still owns them.",
            "Avoid x *= mask and dout *= mask; return x * mask, a new array."))
def test_inputs_unchanged(candidate, reference, rng):
    p, seed, x, dout = 0.5, draw_seed(rng), dropout_input(rng), rng.normal(size=SHAPE)
    steps = Steps()
    layer = new_dropout(steps, p, seed)
    x_ref, dout_ref = steps.const(x, "x"), steps.const(dout, "dout")
    out = steps.call(layer, "forward", x_ref)
    dx = steps.call(layer, "backward", dout_ref)
    x_after, dout_after = steps.read(x_ref, "x"), steps.read(dout_ref, "dout")
    pair = run_both(candidate, reference, steps)

    u, u_next = uniforms(seed, SHAPE, draws=2)
    expect_output(pair.got[out], pair.want[out], x, p, u,
                  checked=f"Dropout({p}).forward(x) against the reference (inputs unchanged)")
    expect_close_or_known(pair.got[dx], pair.want[dx], dx_mistakes(dout, p, u, u_next), what="dx",
                          checked="dx against the reference (inputs unchanged)", context=Context(name="dx"))
    expect_unchanged(x, pair.got[x_after], what="x", by=f"Dropout({p}).forward(x) and backward(dout)")
    expect_unchanged(dout, pair.got[dout_after], what="dout", by=f"Dropout({p}).forward(x) and backward(dout)")


@graded(1, ("Dropout(p) without rng= makes its own generator, np.random.default_rng().",
            "self.rng = np.random.default_rng() if rng is None else rng"))
def test_default_generator(candidate, rng):
    x = dropout_input(rng, SCALING_SHAPE)
    steps = Steps()
    layer = steps.new("Dropout", DEFAULT_P)
    out = steps.call(layer, "forward", x)
    got = candidate.run(steps)[out]

    checked = f"Dropout({DEFAULT_P}).forward(x) with a fresh generator: every entry 0 or 2 * x, some of each"
    array = to_array(got, "out", checked)
    if array.shape != x.shape:
        fail(checked, f"shape {x.shape}", f"out has shape {array.shape}")
    kept = array != 0
    # With 200 units, a correct layer keeps all or none with probability 2**-199.
    if not has_dropout_form(array, x, DEFAULT_P) or kept.all():
        fail(checked, "each entry 0 or 2 * x, with both kinds present",
             f"{int(kept.sum())} of {array.size} entries nonzero, "
             f"{int(np.sum(kept & ~np.isclose(array, 2 * x, rtol=1e-8, atol=0)))} of them not 2 * x")
