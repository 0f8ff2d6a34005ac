"""Hidden suite of exercise 12: MaxPool2d and AvgPool2d."""

from dataclasses import dataclass

import numpy as np
import pytest

from grader.testkit import (
    CheckFailed,
    LayerCase,
    Steps,
    Target,
    check_forward,
    check_gradient,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    expect_close,
    expect_shape,
    fail,
    graded,
    run_pass,
)
from grader.testkit.diagnosis import Finding
from grader.testkit.known_mistakes import KnownMistake, identify, renamed
from grader.testkit.windows import (
    WindowCase,
    coverage,
    max_counts,
    output_size,
    overlap_finding,
    plant_maxima,
    spaced_values,
    tie_codes,
    tie_routing_problems,
    with_diagnosis,
)

LAYERS = ("MaxPool2d", "AvgPool2d")

FORWARD_HINTS = {
    "MaxPool2d": (
        "Each output is the maximum of one k x k window; window (i, j) starts at row i*stride and "
        "column j*stride, and stride defaults to kernel_size.",
        "H_out = (H - k) // stride + 1, likewise W_out; windows may overlap (stride < k) or leave gaps "
        "(stride > k).",
        "windows = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]; "
        "out = windows.max(axis=(-2, -1))",
    ),
    "AvgPool2d": (
        "Each output is the mean of one k x k window; window (i, j) starts at row i*stride and "
        "column j*stride, and stride defaults to kernel_size.",
        "H_out = (H - k) // stride + 1, likewise W_out; windows may overlap (stride < k) or leave gaps "
        "(stride > k).",
        "windows = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]; "
        "out = windows.mean(axis=(-2, -1))",
    ),
}
DX_HINTS = {
    "MaxPool2d": (
        "Only the maximum of a window affects its output, so the window's whole dout goes to that one "
        "entry; the others get nothing from that window. Where windows overlap, an entry can be the "
        "maximum of several windows and collects all their gradients.",
        "Keep the position of each window's maximum from forward (argmax over the flattened window), "
        "then add dout[n, c, i, j] into dx[n, c, i*stride + p, j*stride + q] with +=, never =.",
        "For each offset (p, q) of the window: dx[:, :, p:p + stride*(H_out-1) + 1:stride, "
        "q:q + stride*(W_out-1) + 1:stride] += dout * (argmax == p*k + q)",
    ),
    "AvgPool2d": (
        "Every entry of a window counts 1/k**2 in its mean, so the window spreads dout / k**2 evenly "
        "over its k*k entries. Where windows overlap, an entry collects a share from each window.",
        "dx[n, c, i*stride + p, j*stride + q] += dout[n, c, i, j] / k**2 for every offset (p, q) of "
        "every window; entries that no window covers get 0.",
        "For each offset (p, q): dx[:, :, p:p + stride*(H_out-1) + 1:stride, "
        "q:q + stride*(W_out-1) + 1:stride] += dout / (k * k)",
    ),
}
TIE_HINTS = (
    "When several entries tie for a window's maximum, nudging any one of them up raises the output, "
    "but the output moves only once: the whole dout goes to exactly one of them, any one you choose.",
    "A mask such as (window == window.max()) marks every tied entry and multiplies the gradient; "
    "argmax picks exactly one (the first).",
    "idx = windows.reshape(N, C, H_out, W_out, k*k).argmax(axis=-1); route dout[n, c, i, j] to offset "
    "divmod(idx, k) of window (i, j), adding where windows overlap",
)

TIES_SPLIT = (
    "a window's gradient was divided among its tied maxima (or scaled): the whole dout of a window "
    "goes to one of them, whichever your rule picks"
)
ALL_TIES = Finding("partial", (
    "the gradient of a window with tied maxima went to several entries: a mask such as "
    "(window == window.max()) selects every tied entry; pick one, e.g. with argmax"
))


@dataclass(frozen=True)
class Setup:
    """Sizes and hyperparameters of one pooling test case."""

    n: int
    c: int
    height: int
    width: int
    kernel: int
    stride: int | None = None
    """None leaves the argument out, so the stride defaults to the kernel size."""

    @property
    def step(self) -> int:
        return self.kernel if self.stride is None else self.stride

    @property
    def out_shape(self) -> tuple[int, int, int, int]:
        return (self.n, self.c, output_size(self.height, self.kernel, self.step),
                output_size(self.width, self.kernel, self.step))

    @property
    def kwargs(self) -> dict:
        return {} if self.stride is None else {"stride": self.stride}


SETUPS = {
    "default-stride": Setup(n=2, c=3, height=4, width=6, kernel=2),
    # The default stride 3 leaves the last row and the last two columns outside every window.
    "default-stride-leftover": Setup(n=1, c=3, height=7, width=5, kernel=3),
    "overlap": Setup(n=2, c=2, height=5, width=7, kernel=3, stride=2),
    "dense-overlap": Setup(n=2, c=2, height=4, width=5, kernel=2, stride=1),
    # Stride above the kernel: whole rows and columns belong to no window.
    "gaps": Setup(n=2, c=2, height=5, width=8, kernel=2, stride=3),
}
TIE_SETUPS = {"non-overlapping": SETUPS["default-stride"], "overlapping": SETUPS["dense-overlap"]}


def pool_input(rng: np.random.Generator, layer: str, setup: Setup) -> np.ndarray:
    """Draw x; for max pooling, with every window's maximum clear of its runner-up.

    With overlapping windows each channel's maximum is moved to (stride,
    stride), which four windows share, so the gradients there must add up.
    """
    shape = (setup.n, setup.c, setup.height, setup.width)
    if layer == "AvgPool2d":
        return rng.normal(size=shape)
    x = spaced_values(rng, shape)
    if setup.step < setup.kernel:
        x = plant_maxima(x, setup.step, setup.step)
    return x


def pool_case(rng: np.random.Generator, layer: str, setup: Setup) -> LayerCase:
    """A pooling layer with a random input and upstream gradient."""
    return WindowCase(
        cls=layer,
        args=(setup.kernel,),
        kwargs=setup.kwargs,
        inputs=(pool_input(rng, layer, setup),),
        dout=rng.normal(size=setup.out_shape),
    )


def dx_regions(layer: str, setup: Setup, x: np.ndarray) -> dict[str, np.ndarray]:
    """Named masks over x, so a diagnosis can locate the wrong entries of dx."""
    counts = coverage(setup.height, setup.width, setup.kernel, setup.step)
    if layer == "MaxPool2d":
        overlaps = {"at window overlaps (entries that are the maximum of more than one window)":
                    max_counts(x, setup.kernel, setup.step) > 1}
    else:
        overlaps = {"at window overlaps (entries covered by more than one window)": counts > 1}
    return {**overlaps, "at the rows and columns that no window covers (their gradient is 0)": counts == 0}


@pytest.mark.parametrize("layer", LAYERS)
@graded(1, ("A pooling layer has no parameters: params and grads are empty dicts.",
            "self.params = {}; self.grads = {}"))
def test_params_empty(candidate, layer):
    check_param_shapes(candidate, LayerCase(layer, args=(2,)), {})


@pytest.mark.parametrize("layer", LAYERS)
@graded(1, ("out has one value per window, for every example and channel; dx has the shape of x.",
            "out: (N, C, H_out, W_out) with H_out = (H - k) // stride + 1, likewise W_out, and stride = "
            "kernel_size when it is None; start dx from np.zeros(x.shape)."))
def test_shapes(candidate, reference, rng, layer):
    check_shapes(candidate, reference, pool_case(rng, layer, SETUPS["overlap"]))


def check_dx(candidate, reference, rng, layer: str, setup: Setup) -> None:
    """Check dx of one layer on one setup, naming overlaps that overwrite and a missing 1/k**2."""
    case = pool_case(rng, layer, setup)
    try:
        check_gradient(candidate, reference, case, Target.input(), rng=rng,
                       regions=dx_regions(layer, setup, case.inputs[0]))
    except CheckFailed as failure:
        if failure.mismatch.kind == "forward":
            raise
        received = run_pass(candidate, case).dinputs
        expected = np.asarray(run_pass(reference, case).dinputs)
        mistakes = []
        if layer == "AvgPool2d":
            area = setup.kernel * setup.kernel
            mistakes.append(KnownMistake(expected * area, (
                f"dx is k**2 = {area} times too large: each window spreads dout / k**2 over its entries, "
                "because each entry counts 1/k**2 in the mean"
            ), "factor"))
        mistake = identify(received, expected, mistakes)
        if mistake is not None:
            raise renamed(failure, mistake) from None
        counts = coverage(setup.height, setup.width, setup.kernel, setup.step)
        raise with_diagnosis(failure, overlap_finding(received, expected, counts)) from None


def check_pool_forward(candidate, reference, rng, layer: str, setup: Setup) -> None:
    """Check the output of one layer on one setup, naming a default stride of 1."""
    case = pool_case(rng, layer, setup)
    try:
        check_forward(candidate, reference, case)
    except CheckFailed as failure:
        if setup.stride is not None:
            raise
        received = run_pass(candidate, case, backward=False).out
        stride_one = (setup.n, setup.c, setup.height - setup.kernel + 1, setup.width - setup.kernel + 1)
        if np.shape(received) != stride_one:
            raise
        raise with_diagnosis(failure, (
            f"{layer}({setup.kernel}) returned the output shape of stride 1: when stride is None "
            "it defaults to kernel_size, so the windows do not overlap"
        )) from None


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
@graded(2, FORWARD_HINTS["MaxPool2d"])
def test_max_forward(candidate, reference, rng, setup):
    check_pool_forward(candidate, reference, rng, "MaxPool2d", setup)


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
@graded(2, DX_HINTS["MaxPool2d"])
def test_max_backward_dx(candidate, reference, rng, setup):
    check_dx(candidate, reference, rng, "MaxPool2d", setup)


@pytest.mark.parametrize("setup", TIE_SETUPS.values(), ids=TIE_SETUPS.keys())
@graded(2, TIE_HINTS)
def test_max_ties(candidate, reference, rng, setup):
    shape = (setup.n, setup.c, setup.height, setup.width)
    x = rng.integers(0, 3, size=shape).astype(np.float64)
    x[0, 0] = 1.0  # a channel where every window is one big tie
    dout = tie_codes(setup.out_shape)
    steps = Steps()
    layer = steps.new("MaxPool2d", setup.kernel, **setup.kwargs)
    out = steps.call(layer, "forward", x)
    dx = steps.call(layer, "backward", dout)
    got, want = candidate.run(steps), reference.run(steps)

    expect_close(got[out], want[out], what="out", checked="MaxPool2d.forward(x) on inputs with tied maxima")
    checked = "where MaxPool2d.backward(dout) sends each window's gradient when maxima tie"
    received = expect_shape(got[dx], shape, what="dx", checked=checked)
    problems = tie_routing_problems(x, received.astype(np.float64), setup.kernel, setup.step)
    if not problems:
        return
    causes = {problem.cause for problem in problems}
    diagnosis = None
    if "several" in causes:
        diagnosis = ALL_TIES
    elif "split" in causes:
        diagnosis = TIES_SPLIT
    fail(
        checked,
        "each window's whole dout at exactly one of its tied maxima (any one), "
        "added up where windows overlap",
        f"{len(problems)} problem(s), first: {problems[0].text}",
        *(problem.text for problem in problems[1:3]),
        "(in this test dout of window k of each channel is 11**k, so each entry of dx shows which "
        "windows sent it gradient)",
        diagnosis=diagnosis,
    )


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
@graded(2, FORWARD_HINTS["AvgPool2d"])
def test_avg_forward(candidate, reference, rng, setup):
    check_pool_forward(candidate, reference, rng, "AvgPool2d", setup)


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
@graded(2, DX_HINTS["AvgPool2d"])
def test_avg_backward_dx(candidate, reference, rng, setup):
    check_dx(candidate, reference, rng, "AvgPool2d", setup)


@pytest.mark.parametrize("layer", LAYERS)
@graded(1, ("forward and backward must not write into x or dout: the caller still owns them.",
            "Build new arrays: dout / (k * k) rather than dout /= (k * k); never write into x."))
def test_inputs_unchanged(candidate, reference, rng, layer):
    check_inputs_unchanged(candidate, reference, pool_case(rng, layer, SETUPS["overlap"]))
