"""Hidden suite of exercise 17: SGD and Adam.

Each test hands one params dict to a fresh optimizer, calls ``step`` with a new
grads dict several times, and reads the arrays back after every step, all in
one request. Updates are compared as changes from the initial values, so a
mistake in a step of size 1e-3 is not hidden by parameters of size 1.
"""

from dataclasses import dataclass

import numpy as np

from grader.testkit import Context, Steps, expect_close, expect_shape, expect_unchanged, fail, graded
from grader.testkit.inputs import away_from

#: Several arrays of different shapes, so that state shared between them shows.
SHAPES = {"W1": (3, 4), "b1": (4,), "W2": (4, 2)}

SGD_HINTS = (
    "Plain SGD moves every parameter against its gradient: p -= lr * g, in place.",
    "for name, p in self.params.items(): p -= self.lr * grads[name]",
)
MOMENTUM_HINTS = (
    "Momentum keeps one buffer per parameter, a running sum of past gradients that decays by "
    "momentum each step: a velocity.",
    "PyTorch's rule: b = momentum * b + g (b = g on the first step), then p -= lr * b. The buffer "
    "is not scaled by (1 - momentum), and it persists across calls of step.",
)
DECAY_HINTS = (
    "L2 weight decay adds weight_decay * p to the gradient before anything else uses it.",
    "g = grads[name] + weight_decay * p, then the momentum buffer (if any) and p -= lr * ... use "
    "this g. Applying the decay after the momentum buffer is a different optimizer.",
)
ADAM_HINTS = (
    "Adam keeps two moving averages per parameter: m of the gradient and v of its square, both "
    "starting at 0 and updated every step.",
    "m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g**2; p -= lr * m_hat / (sqrt(v_hat) + eps).",
    "Count t += 1 first, then m_hat = m / (1 - b1**t) and v_hat = v / (1 - b2**t). The defaults are lr=1e-3, "
    "betas=(0.9, 0.999), eps=1e-8.",
)
BIAS_HINTS = (
    "m and v start at 0, so early averages are too small: after one step m = (1 - b1) * g. Bias "
    "correction divides that bias out.",
    "m_hat = m / (1 - b1**t) and v_hat = v / (1 - b2**t), with t = 1 on the first step. The "
    "first update is then lr * g / (|g| + eps), about lr in size.",
)
EPS_HINTS = (
    "eps keeps the denominator away from 0. Where it goes matters when the gradients are small.",
    "PyTorch adds eps after the square root: p -= lr * m_hat / (np.sqrt(v_hat) + eps), not "
    "np.sqrt(v_hat + eps). betas=(b1, b2) are the decay rates of m and v.",
)
ADAM_DECAY_HINTS = (
    "Adam's weight_decay is L2 regularisation: it changes the gradient, so the decay also goes "
    "through m and v. AdamW's decoupled decay is a different optimizer.",
    "g = grads[name] + weight_decay * p before updating m and v. Do not subtract lr * weight_decay * p "
    "from p separately.",
)
IN_PLACE_HINTS = (
    "The caller keeps the arrays it passed in (often a layer's params) and expects them to change: "
    "update each array in place.",
    "p -= update or p[...] = p - update change the array, but self.params[name] = p - update "
    "only rebinds the dict entry, and copying params in __init__ updates the copies.",
)
GRADS_HINTS = (
    "step must not write into the grads it receives: the caller still owns them.",
    "g = grads[name] followed by g += weight_decay * p changes the caller's array. Write "
    "g = grads[name] + weight_decay * p instead.",
)


def initial_params(rng):
    return {name: rng.normal(size=shape) for name, shape in SHAPES.items()}


def gradients(rng, count, scale=1.0, margin=0.0):
    """``count`` grads dicts of normal entries times ``scale``, each at least ``margin * scale`` from 0."""
    return [{name: scale * away_from(rng, shape, margin=margin) for name, shape in SHAPES.items()}
            for _ in range(count)]


def adam_gradients(rng, count):
    """Grads dicts with every entry at least 1 in size.

    eps (1e-8) then changes an update by far less than the tolerance, so only
    test_adam_betas_and_eps depends on where eps enters the denominator.
    """
    return gradients(rng, count, scale=2.0, margin=0.5)


@dataclass(frozen=True)
class Trajectory:
    """What one side returned for a run of ``step`` calls."""

    values: list
    """The params dict after each step, as read from the dict passed to the constructor."""
    arrays: dict
    """The arrays first stored in that dict, after the last step."""
    grads_after: list
    """Each grads dict as it was after the last step."""


@dataclass(frozen=True)
class Run:
    """An optimizer and its step calls, ready to run on both sides."""

    cls: str
    args: tuple
    kwargs: dict
    params: dict
    grads: list

    @property
    def call_text(self) -> str:
        options = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.cls}(params{''.join(', ' + o for o in options)})"

    def on(self, side) -> Trajectory:
        steps = Steps()
        owner = steps.const(self.params, "params")
        arrays = {name: steps.getitem(owner, name, f"params[{name!r}]", reply=False) for name in self.params}
        optimizer = steps.new(self.cls, owner, *self.args, **self.kwargs)
        values, grads_refs = [], []
        for grads in self.grads:
            grads_refs.append(steps.const(grads, "grads"))
            steps.call(optimizer, "step", grads_refs[-1], reply=False)
            values.append(steps.read(owner, "params"))
        arrays_after = {name: steps.read(ref, f"params[{name!r}]") for name, ref in arrays.items()}
        grads_after = [steps.read(ref, "grads") for ref in grads_refs]
        results = side.run(steps)
        return Trajectory([results[ref] for ref in values], {k: results[r] for k, r in arrays_after.items()},
                          [results[ref] for ref in grads_after])


def check_updates(candidate, reference, run: Run) -> Trajectory:
    """Compare the change of every parameter after every step with the reference's.

    Returns the candidate's trajectory, for checks that need correct values first.
    """
    want, got = run.on(reference), run.on(candidate)
    for t, (got_params, want_params) in enumerate(zip(got.values, want.values), start=1):
        calls = "1 call" if t == 1 else f"{t} calls"
        if not isinstance(got_params, dict) or set(got_params) != set(run.params):
            fail(f"the params dict after {calls} of {run.cls}.step", f"keys {sorted(run.params)}",
                 f"{got_params!r:.80}",
                 diagnosis="step must update the arrays in place and leave the dict's keys alone")
        for name, initial in run.params.items():
            change = f"the change in params[{name!r}]"
            checked = f"{change} after {calls} of step, on {run.call_text}, against the reference"
            value = expect_shape(got_params[name], initial.shape, what=f"params[{name!r}]", checked=checked)
            received = value - initial.astype(value.dtype)
            expected = want_params[name] - initial
            if not received.any():
                fail(checked, "a change of the parameters", f"params[{name!r}] is unchanged",
                     diagnosis="step did not update params: it must change the arrays in the dict it was "
                     "given (p -= ...), not copies of them")
            if not np.isfinite(received).all():
                fail(checked, "finite values", f"params[{name!r}] has NaN or infinite entries",
                     diagnosis="a division by zero or by a tiny number: for example a bias correction "
                     "1 - beta**t computed with t = 0 on the first step, or a denominator without eps",
                     kind="overflow")
            expect_close(received, expected, what=change, checked=checked, context=Context(name=change))
    return got


# --- SGD ------------------------------------------------------------------------


def sgd_run(rng, count, lr=0.1, **options):
    """SGD(params, lr, **options) on random params, over ``count`` steps of random gradients."""
    return Run("SGD", (lr,), options, initial_params(rng), gradients(rng, count))


@graded(2, SGD_HINTS)
def test_sgd_plain(candidate, reference, rng):
    check_updates(candidate, reference, sgd_run(rng, 3))


@graded(2, MOMENTUM_HINTS)
def test_sgd_momentum(candidate, reference, rng):
    check_updates(candidate, reference, sgd_run(rng, 4, momentum=0.9))


@graded(2, DECAY_HINTS)
def test_sgd_weight_decay(candidate, reference, rng):
    check_updates(candidate, reference, sgd_run(rng, 3, weight_decay=0.2))


@graded(2, DECAY_HINTS + MOMENTUM_HINTS[1:])
def test_sgd_momentum_and_weight_decay(candidate, reference, rng):
    check_updates(candidate, reference, sgd_run(rng, 4, lr=0.05, momentum=0.8, weight_decay=0.3))


def check_in_place(candidate, reference, run: Run) -> None:
    """Check the update values, then that the arrays passed in are the ones that changed."""
    got = check_updates(candidate, reference, run)
    for name, value in got.values[-1].items():
        checked = f"the array passed in as params[{name!r}] after {run.call_text}.step"
        array = np.asarray(got.arrays[name], dtype=np.float64)
        if np.array_equal(array, np.asarray(value, dtype=np.float64)):
            continue
        unchanged = np.array_equal(array, run.params[name])
        received = "the array still has its initial values" if unchanged else "values unlike the dict's entry"
        fail(checked, "the updated values, written into that same array", received,
             diagnosis="step put a new array into the dict instead of updating the caller's array: "
             "write p -= ... or p[...] = ..., not self.params[name] = ...")


@graded(1, IN_PLACE_HINTS)
def test_sgd_updates_in_place(candidate, reference, rng):
    check_in_place(candidate, reference, sgd_run(rng, 2, momentum=0.5))


def check_grads_unchanged(candidate, reference, run: Run) -> None:
    """Check the update values, then that no grads dict was modified by step."""
    got = check_updates(candidate, reference, run)
    for t, (original, after) in enumerate(zip(run.grads, got.grads_after), start=1):
        for name, value in original.items():
            expect_unchanged(value, after[name], what=f"grads[{name!r}] of step call {t}",
                             by=f"{run.call_text}.step")


@graded(1, GRADS_HINTS)
def test_sgd_grads_unchanged(candidate, reference, rng):
    check_grads_unchanged(candidate, reference, sgd_run(rng, 3, momentum=0.9, weight_decay=0.1))


# --- Adam -----------------------------------------------------------------------


def adam_run(rng, count, grads=None, **options):
    """Adam(params, **options) on random params, over ``count`` steps of ``adam_gradients``
    unless ``grads`` is given."""
    return Run("Adam", (), options, initial_params(rng), grads or adam_gradients(rng, count))


@graded(2, BIAS_HINTS)
def test_adam_first_steps(candidate, reference, rng):
    # With eps negligible, a missing bias correction shows as a constant factor.
    check_updates(candidate, reference, adam_run(rng, 2, lr=0.01))


@graded(2, ADAM_HINTS)
def test_adam_defaults(candidate, reference, rng):
    check_updates(candidate, reference, adam_run(rng, 5))


@graded(2, EPS_HINTS)
def test_adam_betas_and_eps(candidate, reference, rng):
    # Gradients near 1e-3 with eps = 1e-4: where eps enters the denominator changes the step.
    small = gradients(rng, 4, scale=1e-3)
    check_updates(candidate, reference, adam_run(rng, 4, small, lr=0.01, betas=(0.8, 0.99), eps=1e-4))


@graded(2, ADAM_DECAY_HINTS)
def test_adam_weight_decay(candidate, reference, rng):
    # weight_decay * p stays below about 0.5, so the decayed gradient keeps a size of at least 0.5.
    check_updates(candidate, reference, adam_run(rng, 3, lr=0.01, weight_decay=0.1))


@graded(1, IN_PLACE_HINTS)
def test_adam_updates_in_place(candidate, reference, rng):
    check_in_place(candidate, reference, adam_run(rng, 2, lr=0.01))


@graded(1, GRADS_HINTS)
def test_adam_grads_unchanged(candidate, reference, rng):
    check_grads_unchanged(candidate, reference, adam_run(rng, 3, lr=0.01, weight_decay=0.1))
