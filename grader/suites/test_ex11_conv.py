"""Hidden suite of exercise 11: Conv2d."""

from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from grader.testkit import (
    CandidateError,
    CheckFailed,
    LayerCase,
    Target,
    check_forward,
    check_gradient,
    check_grads_overwritten,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    graded,
    run_pass,
)
from grader.testkit.gradients import analytic_gradient
from grader.testkit.known_mistakes import KnownMistake, identify, matches, renamed
from grader.testkit.windows import (
    WindowCase,
    coverage,
    output_size,
    overlap_finding,
    padded_outputs,
    pair,
    with_diagnosis,
)

FORWARD_HINTS = (
    "Conv2d computes cross-correlation, as PyTorch does: each filter slides over the zero-padded input "
    "without being flipped, and out[n, o, i, j] = b[o] + sum over c, p, q of "
    "W[o, c, p, q] * x_pad[n, c, i*sH + p, j*sW + q].",
    "H_out = (H + 2*pH - kH) // sH + 1, likewise W_out. Pad only the two spatial axes: "
    "np.pad(x, ((0, 0), (0, 0), (pH, pH), (pW, pW))).",
    "windows = sliding_window_view(x_pad, (kH, kW), axis=(2, 3))[:, :, ::sH, ::sW]; "
    "out = np.einsum('nchwpq,ocpq->nohw', windows, W) + b[:, None, None]",
)
DX_HINTS = (
    "An input entry feeds every output whose window covers it, through the weight at its offset in that "
    "window; dx adds up all those dout * W terms, so overlapping windows all contribute.",
    "dx is the full convolution of dout with the kernel flipped by 180 degrees, computed on the padded "
    "input and then cropped by the padding; with stride s, output (i, j) sends its gradient back to "
    "the window starting at (i*s, j*s).",
    "dcols = dout_rows @ W.reshape(C_out, -1); for each kernel offset (p, q): "
    "dx_pad[:, :, p:p + sH*(H_out-1) + 1:sH, q:q + sW*(W_out-1) + 1:sW] += that offset's block of dcols; "
    "return dx_pad[:, :, pH:pH + H, pW:pW + W]",
)
DW_HINTS = (
    "W[o, c, p, q] multiplies x_pad[n, c, i*sH + p, j*sW + q] in out[n, o, i, j], for every example n "
    "and every output position (i, j); its gradient sums those products with dout.",
    "dW is the cross-correlation of the padded input with dout, with no flip: "
    "dW[o, c, p, q] = sum over n, i, j of dout[n, o, i, j] * x_pad[n, c, i*sH + p, j*sW + q].",
    "With the im2col matrix cols (N*H_out*W_out, C_in*kH*kW) kept from forward and "
    "dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C_out): "
    "grads['W'] = (dout_rows.T @ cols).reshape(W.shape)",
)
DB_HINTS = (
    "b[o] is added to every output position of channel o, in every example.",
    "grads['b'] = dout.sum(axis=(0, 2, 3)), shape (C_out,)",
)

FORWARD_FLIPPED = (
    "the output equals a convolution with the kernel flipped: Conv2d computes cross-correlation, "
    "as PyTorch does, so W[o, c, p, q] multiplies x_pad[n, c, i*sH + p, j*sW + q] with no flip"
)
DX_FLIPPED = (
    "dx equals the correct dx for W flipped by 180 degrees. Written as a full convolution of dout, "
    "dx needs the flipped kernel W[:, :, ::-1, ::-1]: check that backward flips it and that forward does not"
)
DX_NO_STRIDE = (
    "dx is what a backward that omits the stride returns: output (i, j) must send its gradient back "
    "to the window that starts at row i*sH and column j*sW of the padded input, not at (i, j)"
)
DW_NO_STRIDE = (
    "grads['W'] is what a backward that omits the stride returns: output (i, j) read the window "
    "that starts at row i*sH and column j*sW of the padded input, not at (i, j)"
)
DW_FLIPPED = (
    "grads['W'] is the correct gradient flipped along both kernel axes: dW is the cross-correlation of "
    "the padded input with dout (no flip); check also that forward does not flip the kernel"
)


@dataclass(frozen=True)
class Setup:
    """Sizes and hyperparameters of one Conv2d test case."""

    n: int
    c_in: int
    c_out: int
    height: int
    width: int
    kernel: int | tuple[int, int]
    stride: int | tuple[int, int] | None = None
    """None leaves the argument out, so the default of 1 applies."""
    padding: int | tuple[int, int] | None = None
    """None leaves the argument out, so the default of 0 applies."""
    every_entry: bool = False
    """Probe every entry of x and W by central differences. Otherwise probe random
    directions, except for the bias: its at most 5 entries are always probed one by one."""

    @property
    def options(self) -> dict:
        """Keyword arguments of the constructor."""
        arguments = {"stride": self.stride, "padding": self.padding}
        return {name: value for name, value in arguments.items() if value is not None}

    @property
    def max_entries(self) -> int:
        """The ``max_entries`` argument of check_gradient for this case."""
        return 96 if self.every_entry else 8

    @property
    def out_size(self) -> tuple[int, int]:
        (kernel_h, kernel_w), (stride_h, stride_w) = pair(self.kernel), pair(self.stride or 1)
        pad_h, pad_w = pair(self.padding or 0)
        return (output_size(self.height, kernel_h, stride_h, pad_h),
                output_size(self.width, kernel_w, stride_w, pad_w))


SETUPS = {
    # Default stride and padding. N = 3, so a gradient divided by N is named as such.
    "basic": Setup(n=3, c_in=2, c_out=3, height=4, width=5, kernel=3),
    # Stride 2 leaves the last input column outside every window.
    "stride": Setup(n=2, c_in=2, c_out=2, height=7, width=6, kernel=3, stride=2),
    "padding": Setup(n=2, c_in=2, c_out=3, height=4, width=3, kernel=3, padding=1, every_entry=True),
    # Every argument a pair, each pair with two different values.
    "pairs": Setup(n=2, c_in=1, c_out=2, height=5, width=7, kernel=(2, 3), stride=(2, 1), padding=(1, 0),
                   every_entry=True),
    "one-example": Setup(n=1, c_in=3, c_out=2, height=6, width=5, kernel=(3, 2), stride=2, padding=(0, 1)),
    "channels": Setup(n=3, c_in=4, c_out=5, height=7, width=6, kernel=3, stride=2, padding=1),
}


def conv_case(rng: np.random.Generator, setup: Setup) -> LayerCase:
    """A Conv2d layer with random parameters, input and upstream gradient."""
    kernel_h, kernel_w = pair(setup.kernel)
    h_out, w_out = setup.out_size
    return WindowCase(
        cls="Conv2d",
        args=(setup.c_in, setup.c_out, setup.kernel),
        kwargs=setup.options,
        params={"W": rng.normal(size=(setup.c_out, setup.c_in, kernel_h, kernel_w)),
                "b": rng.normal(size=setup.c_out)},
        inputs=(rng.normal(size=(setup.n, setup.c_in, setup.height, setup.width)),),
        dout=rng.normal(size=(setup.n, setup.c_out, h_out, w_out)),
    )


def with_flipped_kernel(case: LayerCase) -> LayerCase:
    """The same case with W reversed along both kernel axes."""
    return replace(case, params=dict(case.params, W=case.params["W"][:, :, ::-1, ::-1].copy()))


def input_regions(setup: Setup) -> dict[str, np.ndarray]:
    """Named masks over x, so a wrong dx can be located."""
    counts = coverage(setup.height, setup.width, setup.kernel, setup.stride or 1, setup.padding or 0)
    return {
        "at the rows and columns that no window reaches (their gradient is 0)": counts == 0,
        "at window overlaps (entries covered by more than one window)": counts > 1,
    }


def output_regions(setup: Setup) -> dict[str, np.ndarray]:
    """Named masks over the output, so a wrong output can be located."""
    border = padded_outputs(setup.height, setup.width, setup.kernel, setup.stride or 1, setup.padding or 0)
    return {"at the output positions whose window reaches into the zero padding": border}


def gradients_without_stride(case: LayerCase, setup: Setup) -> tuple[np.ndarray, np.ndarray]:
    """Return the dx and dW of a backward that omits the stride.

    Such a backward reads window (i, j) at rows i.. and columns j.. of the
    padded input instead of i*sH.. and j*sW.., as loops written with
    ``x_pad[n, :, i:i + kH, j:j + kW]`` do.
    """
    (kernel_h, kernel_w), (pad_h, pad_w) = pair(setup.kernel), pair(setup.padding or 0)
    x, weight, dout = case.inputs[0], case.params["W"], case.dout
    h_out, w_out = dout.shape[2], dout.shape[3]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))

    windows = sliding_window_view(x_pad, (kernel_h, kernel_w), axis=(2, 3))[:, :, :h_out, :w_out]
    dW = np.einsum("nchwpq,nohw->ocpq", windows, dout)

    dx_pad = np.zeros(x_pad.shape)
    for i, j in np.ndindex(h_out, w_out):
        dx_pad[:, :, i:i + kernel_h, j:j + kernel_w] += np.einsum("no,ocpq->ncpq", dout[:, :, i, j], weight)
    return dx_pad[:, :, pad_h:pad_h + setup.height, pad_w:pad_w + setup.width], dW


def known_mistakes(reference, case: LayerCase, setup: Setup, target: Target,
                   expected: np.ndarray) -> list[KnownMistake]:
    """What dx or dW would be after each mistake this suite can name."""
    dx_without_stride, dW_without_stride = gradients_without_stride(case, setup)
    if target.kind == "input":
        flipped = analytic_gradient(run_pass(reference, with_flipped_kernel(case)), case, target, "dx")
        return [KnownMistake(np.asarray(flipped), DX_FLIPPED, "flipped"),
                KnownMistake(dx_without_stride, DX_NO_STRIDE)]
    return [KnownMistake(expected[:, :, ::-1, ::-1], DW_FLIPPED, "flipped"),
            KnownMistake(dW_without_stride, DW_NO_STRIDE)]


def db_mistakes(case: LayerCase, expected: np.ndarray) -> list[KnownMistake]:
    """What grads['b'] would be after each mistake of its reduction this suite can name."""
    dout = case.dout
    batch, positions = dout.shape[0], dout.shape[2] * dout.shape[3]
    right = "b[o] is added at every output position of every example, so grads['b'] = dout.sum(axis=(0, 2, 3))"
    return [
        KnownMistake(expected / batch, (
            f"grads['b'] is the mean over the batch of N = {batch} examples, not the sum: {right}"), "extra-mean"),
        KnownMistake(expected / positions, (
            f"grads['b'] is the mean over the H_out * W_out = {positions} output positions, not the sum: {right}"),
            "extra-mean"),
        KnownMistake(expected / (batch * positions), (
            f"grads['b'] is the mean over the batch and the output positions, {batch * positions} terms, "
            f"not the sum: {right}"), "extra-mean"),
    ]


def empty_crop_shape(received_shape, setup: Setup) -> bool:
    """Return whether a dx shape is what a crop written dx_pad[:, :, pH:-pH, pW:-pW] gives.

    With a padding of 0 the slice 0:-0 is 0:0, so that axis is empty, while an
    axis with padding is cropped to its right size.
    """
    pad_h, pad_w = pair(setup.padding or 0)
    if len(received_shape) != 4 or (pad_h and pad_w):
        return False
    cropped = (0 if pad_h == 0 else setup.height, 0 if pad_w == 0 else setup.width)
    return (received_shape[0] == setup.n and received_shape[1] == setup.c_in
            and tuple(received_shape[2:]) == cropped)


EMPTY_CROP = (
    "dx is empty along the axes whose padding is 0: a crop written dx_pad[:, :, pH:-pH, pW:-pW] "
    "takes 0:-0, that is 0:0, when the padding is 0. Crop with dx_pad[:, :, pH:pH + H, pW:pW + W]"
)


@contextmanager
def naming_conv_mistakes(candidate, reference, case: LayerCase, setup: Setup):
    """Name the empty crop or a wrong reduction of grads['b'] behind a check that fails
    inside the ``with`` block, for checks of several values at once.

    The bias is named only when the output, dx and grads['W'] of a fresh pass
    are right, so the failure cannot be about them. A failing check runs the
    layer once more on each side; a passing one costs nothing.
    """
    try:
        yield
    except CheckFailed as failure:
        if failure.mismatch.kind in ("in-place", "forward"):
            raise
        try:
            got = run_pass(candidate, case)
        except CandidateError:
            raise failure from None
        if failure.mismatch.diagnosis is None and empty_crop_shape(np.shape(got.dinputs), setup):
            raise with_diagnosis(failure, EMPTY_CROP) from None
        want = run_pass(reference, case)
        others_right = (matches(got.out, want.out) and matches(got.dinputs, want.dinputs)
                        and isinstance(got.grads, dict) and matches(got.grads.get("W"), want.grads["W"]))
        if not others_right or not isinstance(got.grads, dict):
            raise
        expected = want.grads["b"]
        raise renamed(failure, identify(got.grads.get("b"), expected, db_mistakes(case, expected))) from None


def uncropped(failure: CheckFailed, received, expected: np.ndarray, setup: Setup) -> CheckFailed:
    """Explain a dx that has the shape of the padded input, or that a crop with pH:-pH emptied."""
    if empty_crop_shape(np.shape(received), setup):
        return with_diagnosis(failure, EMPTY_CROP)
    pad_h, pad_w = pair(setup.padding or 0)
    height, width = setup.height, setup.width
    padded_shape = expected.shape[:2] + (height + 2 * pad_h, width + 2 * pad_w)
    if (pad_h, pad_w) == (0, 0) or np.shape(received) != padded_shape:
        return failure
    cropped = np.asarray(received, dtype=np.float64)[:, :, pad_h:pad_h + height, pad_w:pad_w + width]
    right_inside = np.allclose(cropped, expected, rtol=1e-6, atol=1e-8 * float(np.max(np.abs(expected))))
    message = (f"dx has the shape of the padded input{', and its inner part is right' if right_inside else ''}: "
               f"crop the padding off, dx = dx_pad[:, :, pH:pH + H, pW:pW + W] "
               f"(here [:, :, {pad_h}:{pad_h + height}, {pad_w}:{pad_w + width}])")
    return with_diagnosis(failure, message)


def check_conv_gradient(candidate, reference, setup: Setup, target: Target, rng) -> None:
    """check_gradient, naming the flipped kernel, the forgotten stride or the uncropped padding
    when one of them explains a wrong dx or dW."""
    case = conv_case(rng, setup)
    regions = input_regions(setup) if target.kind == "input" else None
    try:
        check_gradient(candidate, reference, case, target, rng=rng, regions=regions,
                       max_entries=setup.max_entries)
    except CheckFailed as failure:
        if failure.mismatch.kind == "forward":
            raise
        checked = f"{target.name(case)} from {case.call_text('backward')}"
        received = analytic_gradient(run_pass(candidate, case), case, target, checked)
        expected = np.asarray(analytic_gradient(run_pass(reference, case), case, target, checked))
        if target == Target.param("b"):
            raise renamed(failure, identify(received, expected, db_mistakes(case, expected))) from None
        if target.kind == "input" and np.shape(received) != expected.shape:
            raise uncropped(failure, received, expected, setup) from None
        mistake = identify(received, expected, known_mistakes(reference, case, setup, target, expected))
        if mistake is not None or target.kind != "input":
            raise renamed(failure, mistake) from None
        counts = coverage(setup.height, setup.width, setup.kernel, setup.stride or 1, setup.padding or 0)
        raise with_diagnosis(failure, overlap_finding(received, expected, counts)) from None


@pytest.mark.parametrize("kernel, shape", [(3, (5, 2, 3, 3)), ((2, 3), (5, 2, 2, 3))],
                         ids=["int-kernel", "pair-kernel"])
@graded(1, ("Conv2d(C_in, C_out, kernel_size) creates params['W'] of shape (C_out, C_in, kH, kW) and "
            "params['b'] of shape (C_out,); an int kernel_size k means kH = kW = k.",
            "Turn ints into pairs first, e.g. kH, kW = (k, k) if isinstance(k, int) else k, and use "
            "float64 arrays and a grads dict."))
def test_param_shapes(candidate, kernel, shape):
    check_param_shapes(candidate, LayerCase("Conv2d", args=(2, 5, kernel)), {"W": shape, "b": shape[:1]})


@graded(1, ("out has one value per filter and window position; dx has the shape of x, and grads[k] "
            "the shape of params[k].",
            "out: (N, C_out, H_out, W_out) with H_out = (H + 2*pH - kH) // sH + 1, likewise W_out; "
            "dx: (N, C_in, H, W), so crop the padding off; grads['W']: (C_out, C_in, kH, kW); grads['b']: (C_out,)."))
def test_shapes(candidate, reference, rng):
    case = conv_case(rng, SETUPS["pairs"])
    with naming_conv_mistakes(candidate, reference, case, SETUPS["pairs"]):
        check_shapes(candidate, reference, case)


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
@graded(2, FORWARD_HINTS)
def test_forward(candidate, reference, rng, setup):
    case = conv_case(rng, setup)
    try:
        check_forward(candidate, reference, case, regions=output_regions(setup))
    except CheckFailed as failure:
        received = run_pass(candidate, case, backward=False).out
        expected = run_pass(reference, case, backward=False).out
        flipped = run_pass(reference, with_flipped_kernel(case), backward=False).out
        mistake = KnownMistake(np.asarray(flipped), FORWARD_FLIPPED, "flipped")
        raise renamed(failure, identify(received, expected, [mistake])) from None


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
@graded(2, DX_HINTS)
def test_backward_dx(candidate, reference, rng, setup):
    check_conv_gradient(candidate, reference, setup, Target.input(), rng)


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
@graded(2, DW_HINTS)
def test_backward_dW(candidate, reference, rng, setup):
    check_conv_gradient(candidate, reference, setup, Target.param("W"), rng)


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
@graded(2, DB_HINTS)
def test_backward_db(candidate, reference, rng, setup):
    check_conv_gradient(candidate, reference, setup, Target.param("b"), rng)


@graded(1, ("forward and backward must not write into x or dout: the caller still owns them.",
            "np.pad returns a new array; avoid x += ..., dout *= ... and out=x."))
def test_inputs_unchanged(candidate, reference, rng):
    case = conv_case(rng, SETUPS["padding"])
    with naming_conv_mistakes(candidate, reference, case, SETUPS["padding"]):
        check_inputs_unchanged(candidate, reference, case)


@graded(1, ("Each backward call sets grads from scratch; it does not add to the previous call's grads.",
            "Assign with self.grads['W'] = ..., not +=, and start any accumulator at zero inside backward."))
def test_grads_overwritten(candidate, reference, rng):
    case = conv_case(rng, SETUPS["stride"])
    with naming_conv_mistakes(candidate, reference, case, SETUPS["stride"]):
        check_grads_overwritten(candidate, reference, case)
