"""Hidden suite of exercise 14: LSTM, with gates packed in PyTorch's order i, f, g, o."""

import pytest

from grader.testkit import (
    LayerCase,
    Target,
    check_grads_overwritten,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    graded,
)
from grader.testkit.lstm_gates import (
    check_lstm_forward,
    explain_block_order,
    explain_first_step_blocks,
    explain_forward_layout,
    gate_regions,
)
from grader.testkit.recurrent import (
    check_sequence_gradient,
    check_zero_state_dh0,
    explain_time_sum,
    sequence_case,
)

FORWARD_HINTS = (
    "One matrix product gives all four gates: z = x[:, t] @ Wx + h_prev @ Wh + b has 4H columns, in "
    "blocks of H in the order i, f, g, o (input, forget, cell candidate, output).",
    "i, f and o are the sigmoid of their blocks and g the tanh of its block; c = f * c_prev + i * g with "
    "the cell state starting at zeros; h[:, t] = o * tanh(c). Return all of h, shape (N, T, H).",
    "i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2*H]), np.tanh(z[:, 2*H:3*H]), sigmoid(z[:, 3*H:])",
)
GATE_HINTS = (
    "The blocks of H columns in Wx, Wh and b are, in order: input gate i, forget gate f, cell candidate g, "
    "output gate o (PyTorch's order). Only g goes through tanh.",
    "z[:, :H] -> i (sigmoid), z[:, H:2*H] -> f (sigmoid), z[:, 2*H:3*H] -> g (tanh), z[:, 3*H:] -> o "
    "(sigmoid). backward packs dz in the same order.",
)
DX_HINTS = (
    "Two states carry the gradient back in time: h through Wh, and c along the additive path "
    "c = f * c_prev + i * g. At each step, add what arrives from the next step to both.",
    "dh_t = dh[:, t] + dh_next; dc = dh_t * o * (1 - tanh(c)**2) + dc_next; then di = dc * g * i*(1-i), "
    "df = dc * c_prev * f*(1-f), dg = dc * i * (1-g**2), do = dh_t * tanh(c) * o*(1-o).",
    "dz = np.concatenate([di, df, dg, do], axis=1); dx[:, t] = dz @ Wx.T; dh_next = dz @ Wh.T; "
    "dc_next = dc * f",
)
DH0_HINTS = (
    "h0 feeds the first step through Wh like every later hidden state, so its gradient is what the first "
    "step sends back through Wh.",
    "dh0 = dz @ Wh.T at t = 0, the value of dh_next when the loop ends. When forward got no h0, it is still "
    "the gradient of the zeros it started from, shape (N, H).",
)
DWX_HINTS = (
    "Wx is used at every step, so its gradient sums one term per step; its 4H columns hold the gates' "
    "blocks in the order i, f, g, o.",
    "grads['Wx'] = sum over t of x[:, t].T @ dz_t, with dz_t = [di, df, dg, do] concatenated along the "
    "columns.",
)
DWH_HINTS = (
    "Wh multiplies the previous hidden state at every step, so every step adds h_prev.T @ dz to its "
    "gradient.",
    "grads['Wh'] = sum over t of h_prev.T @ dz_t, where h_prev is h[:, t-1], or h0 (zeros when omitted) at "
    "t = 0. Start from zeros and add with +=: a plain = keeps only the step computed last (t = 0).",
)
DB_HINTS = (
    "b is added at every step for every example, so its gradient sums dz over the batch and over time. "
    "On a one-step sequence the forget gate's block is zero, because the cell state it scales is zero.",
    "grads['b'] = sum over t of dz_t.sum(axis=0), shape (4H,). If only some blocks are wrong, check those "
    "gates' derivatives: sigmoid' = s * (1 - s) and tanh' = 1 - tanh**2, of the same value.",
)
THROUGH_TIME_HINTS = (
    "Here dh is zero except at the last step, so earlier steps get their gradient only through h_prev "
    "(via Wh) and through c_prev: the additive cell path that keeps gradients from vanishing.",
    "Carry both dh_next = dz @ Wh.T and dc_next = dc * f back to step t - 1, and add dc_next to the "
    "gradient that reaches the cell state through h there.",
)

INPUT_SIZE, HIDDEN_SIZE = 2, 3

#: Cases by id: batch size, time steps (a (low, high) pair means T is drawn
#: from that range for each seed) and overrides of the sizes above. A gradient
#: with more than ``max_entries`` entries (96 unless given) is checked along
#: random directions, any other by central differences entry by entry.
CASES = {
    "one-step": {"batch": 3, "steps": 1},
    "sequence": {"batch": 3, "steps": (3, 5), "max_entries": 24},
    "one-example": {"batch": 1, "steps": 3},
    "zero-state": {"batch": 3, "steps": 3, "zero_state": True},
    "long": {"batch": 4, "steps": 5, "input_size": 5, "hidden_size": 5, "max_entries": 16},
}
PARAM_CASES = ("one-step", "sequence", "long")
PARAM_EXPLAINERS = (explain_forward_layout, explain_block_order, explain_first_step_blocks, explain_time_sum)


def lstm_case(rng, name="sequence", **overrides) -> LayerCase:
    """Draw an LSTM case for the case ``name`` of :data:`CASES`."""
    options = {"input_size": INPUT_SIZE, "hidden_size": HIDDEN_SIZE, **CASES[name], **overrides}
    options.pop("max_entries", None)
    steps = options.pop("steps")
    if isinstance(steps, tuple):
        steps = int(rng.integers(steps[0], steps[1] + 1))
    return sequence_case(rng, "LSTM", steps=steps, gates=4, **options)


def check_case_gradient(candidate, reference, rng, name, target):
    """Check one gradient of the case ``name``.

    The diagnosis can name a wrong gate layout in forward and, for a parameter
    gradient, the gate block that is wrong, gate blocks packed in the wrong
    order, or steps not summed over time.
    """
    case = lstm_case(rng, name)
    options = {"explainers": (explain_forward_layout,)}
    if target.kind == "param":
        options = {"regions": gate_regions(case.args[1]), "explainers": PARAM_EXPLAINERS}
    check_sequence_gradient(candidate, reference, case, target, rng=rng,
                            max_entries=CASES[name].get("max_entries", 96), **options)


@graded(1, ("LSTM(input_size, hidden_size) creates params['Wx'] (D, 4H), params['Wh'] (H, 4H) and "
            "params['b'] (4H,): the four gates share one matrix.",
            "Use float64 arrays, and a grads dict (empty or zero-filled) with the same keys."))
def test_param_shapes(candidate):
    check_param_shapes(candidate, LayerCase("LSTM", args=(INPUT_SIZE, HIDDEN_SIZE)),
                       {"Wx": (INPUT_SIZE, 4 * HIDDEN_SIZE), "Wh": (HIDDEN_SIZE, 4 * HIDDEN_SIZE),
                        "b": (4 * HIDDEN_SIZE,)})


@graded(1, ("forward returns every hidden state, (N, T, H); backward returns the tuple (dx, dh0) with "
            "dx (N, T, D) and dh0 (N, H); grads[k] has the shape of params[k].",))
def test_shapes(candidate, reference, rng):
    check_shapes(candidate, reference, lstm_case(rng))


@pytest.mark.parametrize("name", CASES)
@graded(1, FORWARD_HINTS)
def test_forward(candidate, reference, rng, name):
    check_lstm_forward(candidate, reference, lstm_case(rng, name))


@graded(2, GATE_HINTS)
def test_gate_order(candidate, reference, rng):
    case = lstm_case(rng, "sequence", steps=3)
    check_lstm_forward(candidate, reference, case,
                       checked=f"the gate layout: {case.call_text()} against the reference, which reads "
                       "the blocks of H columns of Wx, Wh and b as i, f, g, o")


@pytest.mark.parametrize("name", CASES)
@graded(2, DX_HINTS)
def test_backward_dx(candidate, reference, rng, name):
    check_case_gradient(candidate, reference, rng, name, Target.input(0))


@pytest.mark.parametrize("name", CASES)
@graded(2, DH0_HINTS)
def test_backward_dh0(candidate, reference, rng, name):
    if CASES[name].get("zero_state"):
        check_zero_state_dh0(candidate, reference, lstm_case(rng, name), explainers=(explain_forward_layout,))
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
    case = lstm_case(rng, "sequence", batch=2, steps=4, last_step_only=True)
    for target in (Target.input(0), Target.input(1)):
        check_sequence_gradient(candidate, reference, case, target, rng=rng, explainers=(explain_forward_layout,))


@graded(1, ("forward and backward must not write into x, h0 or dh: the caller still owns them.",
            "Watch views: dh[:, t] is a view, so dh_t = dh[:, t]; dh_t += dh_next writes into the caller's dh. "
            "Write dh_t = dh[:, t] + dh_next instead."))
def test_inputs_unchanged(candidate, reference, rng):
    check_inputs_unchanged(candidate, reference, lstm_case(rng))


@graded(1, ("Each backward call sets grads from scratch: summing over time steps happens inside one call, "
            "never on top of the previous call's grads.",
            "Start each backward with fresh zeros (dWh = np.zeros_like(Wh)), add the steps into them, then "
            "assign self.grads['Wh'] = dWh."))
def test_grads_overwritten(candidate, reference, rng):
    check_grads_overwritten(candidate, reference, lstm_case(rng))
