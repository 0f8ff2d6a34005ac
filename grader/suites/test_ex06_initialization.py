"""Hidden suite of exercise 6: xavier_uniform, kaiming_normal and clip_grad_norm.

The contract fixes the distribution of the initial weights, not the calls
that draw them. So the initialisation tests check statistics of the
candidate's own draws, with tolerances that no correct sampler exceeds (see
``grader.testkit.distributions``). They also build deep networks in the grader
from those draws and follow the signal through them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from grader.testkit import Steps, expect_close, expect_keys, expect_shape, fail, graded, to_array, to_float
from grader.testkit.checks import format_number
from grader.testkit.diagnosis import Context
from grader.testkit.distributions import Scale, expect_bounded, expect_fractions, expect_scale

#: Fans of the statistical tests: non-square, so that a wrong fan changes the
#: scale, and 80,000 and 50,000 entries, so the tolerances are a few percent.
XAVIER_FANS = (400, 200)
KAIMING_FANS = (100, 500)

#: The deep networks of the signal-flow tests: 32 weight matrices of 128 x 128,
#: about 4 MB sent by the worker per test. The bands below were simulated for
#: exactly these sizes.
DEPTH = 32
WIDTH = 128
BATCH = 16

#: Bands for the RMS of the activations (output over input) and of the gradient
#: (at the input over at the output) after DEPTH layers. They were estimated by
#: simulating 10,000 ReLU networks with Kaiming weights and 20,000 tanh networks
#: with Xavier weights, of these sizes. Through ReLU, the log of the two ratios
#: has mean -0.25 and -0.09 and standard deviation 0.51 and 0.30. Through tanh,
#: the means are -2.11 and -1.91 and the standard deviations 0.09 and 0.14.
#: Extending the simulated tails exponentially puts the chance that a correct
#: initialisation leaves a band below 1e-13. A variance off by a factor of 2
#: moves the ReLU logs to about -11 or +11. Through tanh, weights with twice the
#: variance make the log of the gradient ratio about +1.2, and weights of std a
#: (three times the variance) about +3.2.
RELU_BAND = (1e-3, 1e3)
TANH_BAND = (1e-2, 1.0)

SHAPE_HINTS = (
    "W has one row per input and one column per output: shape (fan_in, fan_out), used as x @ W.",
    "Pass size=(fan_in, fan_out) to the generator's method, and keep numpy's default float64.",
)
RNG_HINTS = (
    "Draw every random number from the generator passed as rng: the same generator state must "
    "give the same weights, and the next call on that generator must give new ones.",
    "rng = np.random.default_rng() if rng is None else rng, then rng.uniform(...) or rng.normal(...); "
    "never np.random.uniform or a generator with a fixed seed.",
)


def seed_from(rng: np.random.Generator) -> int:
    """A seed for a generator made on the candidate's side."""
    return int(rng.integers(2**32))


def xavier_bound(fan_in: int, fan_out: int) -> float:
    return math.sqrt(6 / (fan_in + fan_out))


def kaiming_std(fan_in: int) -> float:
    return math.sqrt(2 / fan_in)


def xavier_mistakes(fan_in: int, fan_out: int) -> list[Scale]:
    """Standard deviations that the usual mistakes in xavier_uniform give."""
    root3 = math.sqrt(3)
    return [
        Scale("a = sqrt(6 / fan_in)", math.sqrt(6 / fan_in) / root3, "Xavier uses fan_in + fan_out"),
        Scale("a = sqrt(6 / fan_out)", math.sqrt(6 / fan_out) / root3, "Xavier uses fan_in + fan_out"),
        Scale("a = 6 / (fan_in + fan_out)", 6 / (fan_in + fan_out) / root3, "the square root is missing"),
        Scale("a = sqrt(2 / (fan_in + fan_out))", math.sqrt(2 / (fan_in + fan_out)) / root3,
              "that is the standard deviation; the bound of a uniform distribution is sqrt(3) times larger"),
        Scale("a normal draw with std a", xavier_bound(fan_in, fan_out),
              "a uniform distribution on [-a, a] has std a / sqrt(3)"),
    ]


def kaiming_mistakes(fan_in: int, fan_out: int) -> list[Scale]:
    """Standard deviations that the usual mistakes in kaiming_normal give."""
    return [
        Scale("std = sqrt(2 / fan_out)", math.sqrt(2 / fan_out), "Kaiming's forward derivation uses fan_in"),
        Scale("std = 2 / fan_in", 2 / fan_in, "that is the variance; rng.normal takes the standard deviation"),
        Scale("std = sqrt(1 / fan_in)", math.sqrt(1 / fan_in),
              "that is LeCun's variance; a ReLU halves the second moment, so He doubles it"),
        Scale("std = sqrt(2 / (fan_in + fan_out))", math.sqrt(2 / (fan_in + fan_out)),
              "that is Xavier's variance, made for tanh, not ReLU"),
    ]


def draw(candidate, function: str, fan_in: int, fan_out: int, rng, *, pass_rng: bool = True):
    """Call ``function(fan_in, fan_out, rng=...)`` on the candidate's side; return W and the call's text."""
    steps = Steps()
    kwargs = {"rng": steps.rng(seed_from(rng))} if pass_rng else {}
    result = steps.function(function, fan_in, fan_out, **kwargs)
    call = f"{function}({fan_in}, {fan_out}{', rng' if pass_rng else ''})"
    values = to_array(candidate.run(steps)[result], "W", f"the result of {call}")
    if values.size != fan_in * fan_out:
        expect_shape(values, (fan_in, fan_out), what="W", checked=f"the shape of W from {call}")
    return values.astype(np.float64), call


# --- xavier_uniform ------------------------------------------------------------


@pytest.mark.parametrize("fans", [(3, 7), (7, 3)], ids=["wide", "tall"])
@graded(1, SHAPE_HINTS)
def test_xavier_shape(candidate, rng, fans):
    check_shape_and_dtype(candidate, "xavier_uniform", fans, rng)


@graded(2, ("Every entry lies in [-a, a] with a = sqrt(6 / (fan_in + fan_out)), and uniform "
            "draws come arbitrarily close to both ends.",
            "a = np.sqrt(6 / (fan_in + fan_out)); W = rng.uniform(-a, a, size=(fan_in, fan_out))"))
def test_xavier_bounds(candidate, rng):
    W, call = draw(candidate, "xavier_uniform", *XAVIER_FANS, rng)
    expect_bounded(W, xavier_bound(*XAVIER_FANS), what="W", by=call)


@graded(2, ("Xavier keeps Var(W) = 2 / (fan_in + fan_out); a uniform distribution on [-a, a] "
            "has variance a^2 / 3, which gives the bound a.",
            "a = sqrt(6 / (fan_in + fan_out)), so the entries have mean 0 and std a / sqrt(3)."))
def test_xavier_scale(candidate, rng):
    W, call = draw(candidate, "xavier_uniform", *XAVIER_FANS, rng)
    std = xavier_bound(*XAVIER_FANS) / math.sqrt(3)
    expect_scale(W, std, what="W", by=call, family="uniform", mistakes=xavier_mistakes(*XAVIER_FANS))


@graded(2, ("The entries must be uniformly distributed: every value in [-a, a] equally likely, "
            "so a quarter of them have |W| < a / 4, half |W| < a / 2.",
            "Use rng.uniform(-a, a, size), not rng.normal."))
def test_xavier_distribution(candidate, rng):
    W, call = draw(candidate, "xavier_uniform", *XAVIER_FANS, rng)
    expect_fractions(W, (0.25, 0.5, 0.75), "uniform", what="W", by=call, other_family="normal")


@graded(1, RNG_HINTS)
def test_xavier_uses_rng(candidate, rng):
    check_uses_rng(candidate, "xavier_uniform", rng)


@graded(1, ("With rng=None the function makes its own generator, np.random.default_rng(), "
            "and draws from the same distribution.",
            "rng = np.random.default_rng() if rng is None else rng"))
def test_xavier_default_rng(candidate, rng):
    W, call = draw(candidate, "xavier_uniform", *XAVIER_FANS, rng, pass_rng=False)
    expect_shape(W, XAVIER_FANS, what="W", checked=f"the shape of W from {call}")
    bound = xavier_bound(*XAVIER_FANS)
    expect_bounded(W, bound, what="W", by=call)
    expect_scale(W, bound / math.sqrt(3), what="W", by=call, family="uniform",
                 mistakes=xavier_mistakes(*XAVIER_FANS))


@graded(3, ("Through tanh layers, Var(out) = fan_in Var(W) Var(x) near 0: Xavier's variance keeps "
            "that factor near 1, so activations and gradients shrink only slowly with depth.",
            "With Var(W) = 2 / (fan_in + fan_out) the per-layer factor is 1 for square layers; "
            "a factor of 1/2 or 2 vanishes or explodes over 32 layers."))
def test_xavier_tanh_network(candidate, rng):
    weights = deep_weights(candidate, "xavier_uniform", rng)
    flow = signal_flow(weights, "tanh", rng)
    check_flow(flow, weights, function="xavier_uniform", activation="tanh", band=TANH_BAND,
               std=xavier_bound(WIDTH, WIDTH) / math.sqrt(3), mistakes=xavier_mistakes(WIDTH, WIDTH))


# --- kaiming_normal --------------------------------------------------------------


@pytest.mark.parametrize("fans", [(3, 7), (7, 3)], ids=["wide", "tall"])
@graded(1, SHAPE_HINTS)
def test_kaiming_shape(candidate, rng, fans):
    check_shape_and_dtype(candidate, "kaiming_normal", fans, rng)


@graded(2, ("A ReLU zeroes half of its input, halving the second moment, so He doubles the "
            "variance: Var(W) = 2 / fan_in.",
            "std = np.sqrt(2 / fan_in); W = rng.normal(0.0, std, size=(fan_in, fan_out))"))
def test_kaiming_scale(candidate, rng):
    W, call = draw(candidate, "kaiming_normal", *KAIMING_FANS, rng)
    expect_scale(W, kaiming_std(KAIMING_FANS[0]), what="W", by=call, family="normal",
                 mistakes=kaiming_mistakes(*KAIMING_FANS))


@graded(2, ("The entries must be normally distributed: about 68% within one standard deviation "
            "of 0, 95% within two.",
            "Use rng.normal(0.0, std, size), not rng.uniform."))
def test_kaiming_distribution(candidate, rng):
    W, call = draw(candidate, "kaiming_normal", *KAIMING_FANS, rng)
    expect_fractions(W, (0.5, 1.0, 2.0), "normal", what="W", by=call, other_family="uniform")


@graded(1, RNG_HINTS)
def test_kaiming_uses_rng(candidate, rng):
    check_uses_rng(candidate, "kaiming_normal", rng)


@graded(1, ("With rng=None the function makes its own generator, np.random.default_rng(), "
            "and draws from the same distribution.",
            "rng = np.random.default_rng() if rng is None else rng"))
def test_kaiming_default_rng(candidate, rng):
    W, call = draw(candidate, "kaiming_normal", *KAIMING_FANS, rng, pass_rng=False)
    expect_shape(W, KAIMING_FANS, what="W", checked=f"the shape of W from {call}")
    expect_scale(W, kaiming_std(KAIMING_FANS[0]), what="W", by=call, family="normal",
                 mistakes=kaiming_mistakes(*KAIMING_FANS))


@graded(3, ("Through ReLU layers, Var(z_next) = fan_in Var(W) Var(z) / 2: the ReLU halves the "
            "second moment, so only Var(W) = 2 / fan_in keeps the signal's scale.",
            "With std sqrt(1 / fan_in) every layer halves the variance: 32 layers divide it by 2^32."))
def test_kaiming_relu_network(candidate, rng):
    weights = deep_weights(candidate, "kaiming_normal", rng)
    flow = signal_flow(weights, "relu", rng)
    check_flow(flow, weights, function="kaiming_normal", activation="relu", band=RELU_BAND,
               std=kaiming_std(WIDTH), mistakes=kaiming_mistakes(WIDTH, WIDTH))


# --- clip_grad_norm ---------------------------------------------------------------


CLIP_NORM_HINTS = (
    "The global norm treats every array as part of one long vector: the square root of the sum "
    "of the squares of all entries of all arrays. Return it as it was before clipping.",
    "norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values())); ...; return norm",
)
CLIP_SCALE_HINTS = (
    "Above max_norm, every array is multiplied by the same factor max_norm / norm, so the whole "
    "gradient keeps its direction and its global norm becomes max_norm.",
    "if norm > max_norm: for g in grads.values(): g *= max_norm / norm",
)


@graded(2, ("When the global norm is within max_norm, nothing changes: return the norm and leave "
            "every array as it is.",
            "Scale only if norm > max_norm."))
def test_clip_below_max_norm(candidate, rng):
    grads = clip_grads(rng)
    norm = global_norm(grads)
    max_norm = norm * float(rng.uniform(1.2, 3.0))
    result = run_clip(candidate, grads, max_norm)
    check_returned_norm(result, grads, max_norm)
    received = expect_keys(result.dict_after, list(grads), what=f"grads after {result.call}")
    for name, original in grads.items():
        values = to_array(received[name], f"grads[{name!r}]", f"grads[{name!r}] after {result.call}")
        if values.shape == original.shape and _all_close(values, original * (max_norm / norm)):
            fail(
                f"grads[{name!r}] after {result.call}, whose norm {norm:.4g} is below max_norm",
                f"grads[{name!r}] unchanged",
                f"grads[{name!r}] times max_norm / norm = {max_norm / norm:.4g}",
                diagnosis="the gradients were rescaled to max_norm although their norm is below it: "
                "scale only when norm > max_norm",
                kind="factor",
            )
        expect_close(values, original, what=f"grads[{name!r}]",
                     checked=f"grads[{name!r}] after {result.call}, whose norm {norm:.4g} is below max_norm: "
                     "left unchanged",
                     context=Context(name=f"grads[{name!r}]"))


@graded(2, CLIP_NORM_HINTS)
def test_clip_returns_norm_before_clipping(candidate, rng):
    grads = clip_grads(rng)
    max_norm = global_norm(grads) * float(rng.uniform(0.2, 0.6))
    check_returned_norm(run_clip(candidate, grads, max_norm), grads, max_norm)


@graded(3, CLIP_SCALE_HINTS)
def test_clip_scales_to_max_norm(candidate, rng):
    grads = clip_grads(rng)
    norm = global_norm(grads)
    max_norm = norm * float(rng.uniform(0.2, 0.6))
    result = run_clip(candidate, grads, max_norm)
    received = expect_keys(result.dict_after, list(grads), what=f"grads after {result.call}")
    per_array = {name: g * min(1.0, max_norm / global_norm({name: g})) for name, g in grads.items()}
    for name, original in grads.items():
        values = to_array(received[name], f"grads[{name!r}]", f"grads[{name!r}] after {result.call}")
        if values.shape == original.shape and _all_close(values, per_array[name]) and not _all_close(
                values, original * (max_norm / norm)):
            fail(
                f"grads[{name!r}] after {result.call}",
                f"grads[{name!r}] times max_norm / global norm = {max_norm / norm:.4g}",
                f"grads[{name!r}] clipped by its own norm {global_norm({name: original}):.4g}",
                diagnosis="each array was clipped on its own, which changes the direction of the whole "
                "gradient: compute one norm over every array and scale all of them by the same factor",
                kind="factor",
            )
        # NOTE: rtol 1e-6 accepts PyTorch's factor max_norm / (norm + 1e-6), off by about 1e-7 here.
        expect_close(values, original * (max_norm / norm), what=f"grads[{name!r}]", rtol=1e-6,
                     checked=f"grads[{name!r}] after {result.call} (the global norm {norm:.4g} is above max_norm)",
                     context=Context(name=f"grads[{name!r}]"))


@graded(2, ("The arrays in the dict are the caller's gradient arrays: scale them in place so every "
            "object that references them sees the clipped values.",
            "g *= scale for each array, not grads[k] = grads[k] * scale."))
def test_clip_in_place(candidate, rng):
    grads = clip_grads(rng)
    norm = global_norm(grads)
    max_norm = norm * float(rng.uniform(0.2, 0.6))
    result = run_clip(candidate, grads, max_norm)
    received = expect_keys(result.dict_after, list(grads), what=f"grads after {result.call}")
    for name, original in grads.items():
        after = to_array(result.arrays_after[name], f"grads[{name!r}]", f"grads[{name!r}] after {result.call}")
        rebound = not np.array_equal(np.asarray(received[name]), original)
        if np.array_equal(after, original) and rebound:
            fail(
                f"the array object that was grads[{name!r}] before {result.call}",
                "that same array scaled in place",
                f"the original array is unchanged, and grads[{name!r}] is now a new array",
                diagnosis="grads[k] = grads[k] * scale binds a new array to the key, so any object that "
                "references the original array (an optimizer, a layer) keeps the unclipped gradient. "
                "Write grads[k] *= scale",
            )
        expect_close(after, original * (max_norm / norm), what=f"grads[{name!r}]", rtol=1e-6,
                     checked=f"the array object that was grads[{name!r}], read back after {result.call}",
                     context=Context(name=f"grads[{name!r}]"))


@graded(1, ("All-zero gradients have norm 0, which is within any max_norm: return 0.0 and leave "
            "them as they are, without dividing by the norm.",
            "Compute the factor max_norm / norm only when norm > max_norm."))
def test_clip_zero_gradients(candidate, rng):
    zeros = {name: np.zeros_like(g) for name, g in clip_grads(rng).items()}
    result = run_clip(candidate, zeros, 1.0)
    norm = to_float(result.norm, "the returned norm", f"the value returned by {result.call}")
    if norm != 0.0:
        fail(f"the value returned by {result.call} for all-zero gradients", "0.0", format_number(norm))
    received = expect_keys(result.dict_after, list(zeros), what=f"grads after {result.call}")
    for name, original in zeros.items():
        after = to_array(received[name], f"grads[{name!r}]", f"grads[{name!r}] after {result.call}")
        if not np.array_equal(after, original):
            fail(f"grads[{name!r}] after {result.call} for all-zero gradients", "zeros, unchanged",
                 f"{int(np.sum(after != 0))} of {after.size} entries are not 0 (NaN counts)",
                 diagnosis="0 / 0 is NaN: compute the factor only when the norm exceeds max_norm")
    # A function that ignores its input also returns 0.0 here, so check a nonzero case too.
    grads = clip_grads(rng)
    check_returned_norm(run_clip(candidate, grads, global_norm(grads) * 0.5), grads, global_norm(grads) * 0.5)


# --- helpers: initialisation ----------------------------------------------------------


def check_shape_and_dtype(candidate, function: str, fans: tuple[int, int], rng) -> None:
    """Check that ``function(*fans, rng)`` returns a float64 array of shape ``fans``."""
    steps = Steps()
    result = steps.function(function, *fans, rng=steps.rng(seed_from(rng)))
    call = f"{function}({fans[0]}, {fans[1]}, rng)"
    W = expect_shape(candidate.run(steps)[result], fans, what="W", checked=f"the shape of W from {call}")
    if W.dtype != np.float64:
        fail(f"the dtype of W from {call}", "float64", str(W.dtype),
             diagnosis="draw float64 values (numpy's default); look for dtype= or astype", kind="float32")


def check_uses_rng(candidate, function: str, rng) -> None:
    """Check that the draws come from the generator passed: same state, same weights; next call, new ones."""
    seed = seed_from(rng)
    steps = Steps()
    generator = steps.rng(seed)
    first = steps.function(function, 30, 20, rng=generator)
    second = steps.function(function, 30, 20, rng=generator)
    replay = steps.function(function, 30, 20, rng=steps.rng(seed))
    results = candidate.run(steps)
    call = f"{function}(30, 20, rng)"
    arrays = [to_array(results[ref], "W", f"the result of {call}") for ref in (first, second, replay)]
    if arrays[0].shape != arrays[2].shape or not np.array_equal(arrays[0], arrays[2]):
        fail(
            f"{call} with two generators made by np.random.default_rng({seed})",
            "the same weights from generators in the same state",
            "different weights",
            diagnosis="the function does not draw (only) from the rng it is given: use rng.uniform or "
            "rng.normal, not np.random.* or a generator made inside the function",
        )
    if arrays[0].shape == arrays[1].shape and np.array_equal(arrays[0], arrays[1]):
        fail(
            f"two consecutive calls {call} on the same generator",
            "different weights, since the generator moves on after each draw",
            "the same weights twice",
            diagnosis="the function does not draw from the rng it is given (a generator with a fixed "
            "seed, or no randomness at all)",
        )


def deep_weights(candidate, function: str, rng) -> list[np.ndarray]:
    """Draw DEPTH square weight matrices of size WIDTH from one generator, in one request."""
    steps = Steps()
    generator = steps.rng(seed_from(rng))
    refs = [steps.function(function, WIDTH, WIDTH, rng=generator) for _ in range(DEPTH)]
    results = candidate.run(steps)
    return [
        expect_shape(results[ref], (WIDTH, WIDTH), what="W",
                     checked=f"the shape of W from {function}({WIDTH}, {WIDTH}, rng), call {index}").astype(np.float64)
        for index, ref in enumerate(refs, start=1)
    ]


@dataclass(frozen=True)
class Flow:
    """Root mean squares of a signal through a deep network, layer by layer."""

    activations: list[float]
    """RMS of the input, then of each layer's output."""
    gradients: list[float]
    """RMS of the gradient at the output, then after going down through each layer."""


def signal_flow(weights: list[np.ndarray], activation: str, rng) -> Flow:
    """Run a random batch forward and a random gradient backward through the network ``x @ W`` + activation."""
    x = rng.normal(size=(BATCH, WIDTH))
    activations, cache = [_rms(x)], []
    h = x
    # A bad scale may overflow to inf; the band check reports it, so numpy need not warn.
    with np.errstate(all="ignore"):
        for W in weights:
            z = h @ W
            h = np.maximum(z, 0.0) if activation == "relu" else np.tanh(z)
            cache.append((W, z, h))
            activations.append(_rms(h))
        gradient = rng.normal(size=(BATCH, WIDTH))
        gradients = [_rms(gradient)]
        for W, z, h in reversed(cache):
            local = (z > 0) if activation == "relu" else 1.0 - h * h
            gradient = (gradient * local) @ W.T
            gradients.append(_rms(gradient))
    return Flow(activations, gradients)


def check_flow(flow: Flow, weights: list[np.ndarray], *, function: str, activation: str,
               band: tuple[float, float], std: float, mistakes: list[Scale]) -> None:
    """Check that the activations and the gradient keep their scale within ``band`` over the network."""
    layer = "ReLU" if activation == "relu" else "tanh"
    network = f"a network of {DEPTH} {layer} layers of width {WIDTH} with weights from {function}"
    low, high = band
    measured_std = float(np.sqrt(np.mean([np.mean(W * W) for W in weights])))
    for what, trace, start in (("activations", flow.activations, "input"),
                               ("gradient", flow.gradients, "output")):
        ratio = trace[-1] / trace[0]
        if np.isfinite(ratio) and low <= ratio <= high:
            continue
        trend = "vanish" if np.isfinite(ratio) and ratio < low else "explode"
        if what == "gradient":
            trend += "s"

        marks = [0, DEPTH // 4, DEPTH // 2, 3 * DEPTH // 4, DEPTH]
        profile = ", ".join(f"{trace[k] / trace[0]:.3g}" for k in marks)
        counted = " from the output" if what == "gradient" else ""
        diagnosis, kind = _flow_cause(measured_std, std, activation, mistakes)
        fail(
            f"the RMS of the {what} through {network}, relative to the {start}",
            f"between {low:g} and {high:g}",
            f"{format_number(ratio)}: the {what} {trend}",
            f"relative RMS after {', '.join(map(str, marks))} layers{counted}: {profile}",
            diagnosis=diagnosis,
            kind=kind,
        )


def _flow_cause(measured: float, expected: float, activation: str, mistakes: list[Scale]) -> tuple[str, str | None]:
    if abs(measured / expected - 1) < 0.05:
        return ("the weights' standard deviation is right, so their distribution or independence is not: "
                "see the other tests of this function", None)
    gain = WIDTH * measured * measured  # fan_in * Var(W)
    text = f"the weights' standard deviation is {format_number(measured)}, expected {format_number(expected)}: "
    if activation == "relu":
        factor = gain / 2
        text += (f"each layer multiplies the signal's variance by fan_in Var(W) / 2 = {factor:.3g}, "
                 f"so {DEPTH} layers multiply it by about {factor ** DEPTH:.3g}.")
    elif gain > 1:
        text += (f"fan_in Var(W) = {gain:.3g} where Xavier gives 1; weights this large drive tanh into "
                 "saturation, and the gradient grows layer after layer.")
    else:
        text += (f"fan_in Var(W) = {gain:.3g} where Xavier gives 1, so each layer shrinks the signal's "
                 f"variance by about that factor, {gain ** DEPTH:.3g} over {DEPTH} layers.")
    named = next((f" That is {m.formula}: {m.cause}." for m in mistakes if abs(measured / m.std - 1) < 0.03), "")
    return text + named, "factor"


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values * values)))


# --- helpers: clipping ------------------------------------------------------------


def clip_grads(rng) -> dict[str, np.ndarray]:
    """Gradients of three shapes and different sizes, so a per-array norm differs from the global one."""
    return {
        "W1": rng.normal(scale=2.0, size=(4, 3)),
        "b1": rng.normal(scale=0.1, size=3),
        "W2": rng.normal(size=(3, 2, 2)),
    }


def global_norm(grads: dict[str, np.ndarray]) -> float:
    return float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))


@dataclass(frozen=True)
class Clip:
    """What one call of clip_grad_norm did on the candidate's side."""

    call: str
    norm: object
    """The returned value."""
    dict_after: object
    """The dict passed, read back after the call."""
    arrays_after: dict
    """The array objects that were in the dict before the call, read back after it."""


def run_clip(candidate, grads: dict[str, np.ndarray], max_norm: float) -> Clip:
    """Call clip_grad_norm(grads, max_norm) on the candidate's side and read everything back."""
    steps = Steps()
    owner = steps.const(grads, "grads")
    originals = {name: steps.getitem(owner, name, f"grads[{name!r}]", reply=False) for name in grads}
    norm = steps.function("clip_grad_norm", owner, max_norm)
    dict_after = steps.read(owner, "grads")
    arrays_after = {name: steps.read(ref, f"grads[{name!r}]") for name, ref in originals.items()}
    results = candidate.run(steps)
    return Clip(
        call=f"clip_grad_norm(grads, max_norm={max_norm:.4g})",
        norm=results[norm],
        dict_after=results[dict_after],
        arrays_after={name: results[ref] for name, ref in arrays_after.items()},
    )


def check_returned_norm(result: Clip, grads: dict[str, np.ndarray], max_norm: float) -> None:
    """Check the returned value against the global norm before clipping, naming the usual wrong norms."""
    norm = global_norm(grads)
    checked = f"the value returned by {result.call}"
    received = to_float(result.norm, "the returned norm", checked)
    if abs(received - norm) <= 1e-8 * norm:
        return
    mistakes = [
        ("max_norm, the norm after clipping: return the norm computed before scaling", max_norm),
        ("the squared norm: the square root is missing", norm * norm),
        ("the sum of the arrays' own norms: the global norm is the square root of the sum of all "
         "squared entries", sum(global_norm({name: g}) for name, g in grads.items())),
    ]
    mistakes += [(f"the norm of grads[{name!r}] alone: sum the squares over every array", global_norm({name: g}))
                 for name, g in grads.items()]
    cause = next((f"that is {text}" for text, value in mistakes if abs(received - value) <= 1e-6 * value), None)
    fail(checked, f"the global norm before clipping, {format_number(norm)}", format_number(received),
         diagnosis=cause)


def _all_close(received: np.ndarray, expected: np.ndarray) -> bool:
    return bool(np.allclose(received, expected, rtol=1e-6, atol=1e-12))
