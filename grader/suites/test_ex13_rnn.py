"""Hidden suite of exercise 13: RNN, a vanilla recurrent layer with tanh."""

import pytest

from grader.testkit import (
    LayerCase,
    Target,
    check_forward,
    check_grads_overwritten,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    graded,
)
from grader.testkit.recurrent import (
    check_sequence_gradient,
    check_zero_state_dh0,
    explain_time_sum,
    sequence_case,
)

FORWARD_HINTS = (
    "Run the recurrence one step at a time: each hidden state feeds the next, starting from h0 "
    "(zeros of shape (N, H) when h0 is None).",
    "h[:, t] = tanh(x[:, t] @ Wx + h_prev @ Wh + b) for t in range(T), where h_prev is h[:, t-1], or the "
    "initial state at t = 0. Return all of h, shape (N, T, H).",
    "h_prev = h0; for t in range(T): h_prev = np.tanh(x[:, t] @ Wx + h_prev @ Wh + b); h[:, t] = h_prev",
)
DX_HINTS = (
    "Each hidden state reaches the loss twice: directly through dh[:, t], and through the next step. "
    "Loop from the last step to the first and add both before going back through tanh.",
    "da = (dh[:, t] + dh_next) * (1 - h[:, t]**2), where dh_next is the next step's da @ Wh.T (zeros at "
    "the last step); then dx[:, t] = da @ Wx.T.",
    "for t in reversed(range(T)): da = (dh[:, t] + dh_next) * (1 - h[:, t]**2); "
    "dx[:, t] = da @ Wx.T; dh_next = da @ Wh.T",
)
DH0_HINTS = (
    "h0 feeds the first step through Wh like every later state, so its gradient is what the first step "
    "sends back: exactly dh_next between two steps.",
    "dh0 = da @ Wh.T at t = 0, the value of dh_next when the loop ends. When forward got no h0, it is "
    "still the gradient of the zeros it started from, shape (N, H).",
)
DWX_HINTS = (
    "Wx is used at every step, so its gradient sums one term per step; each term's matrix product "
    "already sums over the batch.",
    "grads['Wx'] = sum over t of x[:, t].T @ da_t, shape (D, H), where da_t is step t's gradient of the "
    "pre-activation.",
)
DWH_HINTS = (
    "Wh multiplies the previous state at every step, so every step adds h_prev.T @ da to its gradient.",
    "grads['Wh'] = sum over t of h_prev.T @ da_t, where h_prev is h[:, t-1], or h0 (zeros when omitted) at "
    "t = 0. Start from zeros and add with +=: a plain = keeps only the step computed last (t = 0).",
    "dWh = np.zeros((H, H)); in the loop: h_prev = h[:, t-1] if t > 0 else h0; dWh += h_prev.T @ da",
)
DB_HINTS = (
    "b is added at every step for every example, so its gradient sums da over the batch and over time.",
    "grads['b'] = sum over t of da_t.sum(axis=0), shape (H,).",
)
THROUGH_TIME_HINTS = (
    "Here dh is zero except at the last step, so every earlier step gets its gradient only through the "
    "recurrence: back through Wh and the tanh of each step.",
    "dh_next = da @ Wh.T carries the gradient from step t back to step t - 1: add it to dh[:, t-1] before "
    "multiplying by 1 - h[:, t-1]**2, and keep going down to dh0.",
)

INPUT_SIZE, HIDDEN_SIZE = 3, 4

#: Cases by id: batch size, time steps (a (low, high) pair means T is drawn
#: from that range for each seed) and overrides of the sizes above. A gradient
#: with more than ``max_entries`` entries (96 unless given) is checked along
#: random directions, any other by central differences entry by entry.
CASES = {
    "one-step": {"batch": 3, "steps": 1},
    "sequence": {"batch": 3, "steps": (3, 5), "max_entries": 24},
    "one-example": {"batch": 1, "steps": 3},
    "zero-state": {"batch": 3, "steps": 3, "zero_state": True},
    "long": {"batch": 4, "steps": 5, "input_size": 5, "hidden_size": 10, "max_entries": 16},
}
PARAM_CASES = ("one-step", "sequence", "long")


def rnn_case(rng, name="sequence", **overrides) -> LayerCase:
    """Draw an RNN case for the case ``name`` of :data:`CASES`."""
    options = {"input_size": INPUT_SIZE, "hidden_size": HIDDEN_SIZE, **CASES[name], **overrides}
    options.pop("max_entries", None)
    steps = options.pop("steps")
    if isinstance(steps, tuple):
        steps = int(rng.integers(steps[0], steps[1] + 1))
    return sequence_case(rng, "RNN", steps=steps, **options)


def check_case_gradient(candidate, reference, rng, name, target):
    """Check one gradient of the case ``name``; parameter gradients also get the sum-over-time diagnosis."""
    explainers = (explain_time_sum,) if target.kind == "param" else ()
    check_sequence_gradient(candidate, reference, rnn_case(rng, name), target, rng=rng, explainers=explainers,
                            max_entries=CASES[name].get("max_entries", 96))


@graded(1, ("RNN(input_size, hidden_size) creates params['Wx'] (D, H), params['Wh'] (H, H) and params['b'] (H,).",
            "Use float64 arrays, and a grads dict (empty or zero-filled) with the same keys."))
def test_param_shapes(candidate):
    check_param_shapes(candidate, LayerCase("RNN", args=(INPUT_SIZE, HIDDEN_SIZE)),
                       {"Wx": (INPUT_SIZE, HIDDEN_SIZE), "Wh": (HIDDEN_SIZE, HIDDEN_SIZE), "b": (HIDDEN_SIZE,)})


@graded(1, ("forward returns every hidden state, (N, T, H); backward returns the tuple (dx, dh0) with "
            "dx (N, T, D) and dh0 (N, H); grads[k] has the shape of params[k].",))
def test_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, rnn_case(rng))


@pytest.mark.parametrize("name", CASES)
@graded(1, FORWARD_HINTS)
def test_forward(candidate, reference, rng, name):
    check_forward(candidate, reference, rnn_case(rng, name))


@pytest.mark.parametrize("name", CASES)
@graded(2, DX_HINTS)
def test_backward_dx(candidate, reference, rng, name):
    check_case_gradient(candidate, reference, rng, name, Target.input(0))


@pytest.mark.parametrize("name", CASES)
@graded(2, DH0_HINTS)
def test_backward_dh0(candidate, reference, rng, name):
    if CASES[name].get("zero_state"):
        check_zero_state_dh0(candidate, reference, rnn_case(rng, name))
    else:
        check_case_gradient(candidate, reference, rng, name, Target.input(1))


@pytest.mark.parametrize("name", PARAM_CASES)
@graded(1, DWX_HINTS)
def test_backward_dWx(candidate, reference, rng, name):
    check_case_gradient(candidate, reference, rng, name, Target.param("Wx"))


@pytest.mark.parametrize("name", PARAM_CASES)
@graded(2, DWH_HINTS)
def test_backward_dWh(candidate, reference, rng, name):
    check_case_gradient(candidate, reference, rng, name, Target.param("Wh"))


@pytest.mark.parametrize("name", PARAM_CASES)
@graded(1, DB_HINTS)
def test_backward_db(candidate, reference, rng, name):
    check_case_gradient(candidate, reference, rng, name, Target.param("b"))


@graded(3, THROUGH_TIME_HINTS)
def test_gradient_through_time(candidate, reference, rng):
    case = rnn_case(rng, "sequence", batch=2, steps=4, last_step_only=True)
    check_sequence_gradient(candidate, reference, case, Target.input(0), rng=rng)
    check_sequence_gradient(candidate, reference, case, Target.input(1), rng=rng)


@graded(1, ("forward and backward must not write into x, h0 or dh: the caller still owns them.",
            "Watch views: dh[:, t] is a view, so dh_t = dh[:, t]; dh_t += dh_next writes into the caller's dh. "
            "Write dh_t = dh[:, t] + dh_next instead."))
def test_inputs_unchanged(candidate, reference, rng):
    check_inputs_unchanged(candidate, reference, rnn_case(rng))


@graded(1, ("Each backward call sets grads from scratch: summing over time steps happens inside one call, "
            "never on top of the previous call's grads.",
            "Start each backward with fresh zeros (dWh = np.zeros_like(Wh)), add the steps into them, then "
            "assign self.grads['Wh'] = dWh."))
def test_grads_overwritten(candidate, reference, rng):
    check_grads_overwritten(candidate, reference, rnn_case(rng))
