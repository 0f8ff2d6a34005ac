"""Hidden suite of exercise 7: a scalar autograd engine (Value).

Every check builds expressions with the same steps on both sides and reads
``.data`` and ``.grad`` back node by node. Leaf gradients are compared with
the reference and with central differences of the candidate's own forward,
both in the same request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from grader.feedback import format_frames
from grader.testkit import (
    CandidateError,
    CheckFailed,
    Context,
    Steps,
    expect_scalar_close,
    fail,
    graded,
    to_float,
)
from grader.testkit.checks import RTOL, format_number
from grader.testkit.graphs import (
    EVALUATE,
    FORWARD_CHECKED,
    Graph,
    Node,
    ancestors,
    check_forward_values,
    check_leaves_numerically,
    diagnose_gradients,
    expect_nodes_close,
    numbers,
    numeric_note,
    random_graph,
    run_both,
    run_graph,
    with_note,
)
from grader.testkit.inputs import away_from

#: Independent expressions per operation test, each with its own leaves.
EXPRESSIONS = 4

#: Depth of the chain that a recursive topological sort cannot handle.
CHAIN_DEPTH = 10_000


# --- operations -----------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One operation of the contract and how to test it."""

    op: str
    """The graph op: a binary operator, ``"neg"`` or a method name."""
    text: str
    """How the lesson writes it, e.g. ``a / b``."""
    forward_hints: tuple[str, ...]
    gradient_hints: tuple[str, ...]


OPERATIONS = {
    "add": Operation("+", "a + b", (
        "a + b calls a.__add__(b), which returns a new Value with data a.data + b.data and remembers a and b "
        "as its inputs.",
        "return Value(self.data + other.data, ...) with (self, other) recorded for backward",
    ), (
        "Addition hands the upstream gradient to both inputs unchanged: d(a + b)/da = d(a + b)/db = 1.",
        "With dout = d(root)/d(out) in this backward() call: da += dout; db += dout",
    )),
    "sub": Operation("-", "a - b", (
        "a - b is a + (-b): a new Value with data a.data - b.data.",
        "def __sub__(self, other): return self + (-other)",
    ), (
        "d(a - b)/da = 1 and d(a - b)/db = -1.",
        "da += dout; db += -dout (or build a - b as a + (-b) and let + and unary - do it)",
    )),
    "mul": Operation("*", "a * b", (
        "a * b returns a new Value with data a.data * b.data, recording a and b as its inputs.",
        "return Value(self.data * other.data, ...)",
    ), (
        "Each factor's gradient is the other factor: d(a * b)/da = b and d(a * b)/db = a.",
        "da += b.data * dout; db += a.data * dout",
    )),
    "div": Operation("/", "a / b", (
        "a / b is a * b**-1: a new Value with data a.data / b.data.",
        "def __truediv__(self, other): return self * other ** -1",
    ), (
        "Write a / b = a * b**-1: the product rule and the power rule give both gradients.",
        "d(a/b)/da = 1/b and d(a/b)/db = -a / b**2 (mind the sign and the a).",
        "da += dout / b.data; db += -a.data / b.data ** 2 * dout",
    )),
    "neg": Operation("neg", "-x", (
        "-x calls x.__neg__(): a new Value with data -x.data.",
        "def __neg__(self): return self * -1",
    ), (
        "d(-x)/dx = -1.",
        "dx += -dout",
    )),
    "pow": Operation("**", "x ** n", (
        "x ** n takes a plain number n (an int or a float); the result's data is x.data ** n.",
        "return Value(self.data ** n, ...) with x as the only input: n is a constant, not a node",
    ), (
        "The power rule d(x**n)/dx = n x**(n - 1) holds for integer and fractional n alike.",
        "dx += n * x.data ** (n - 1) * dout; mind the brackets, n * x ** n - 1 is something else",
    )),
    "tanh": Operation("tanh", "x.tanh()", (
        "tanh(x) = (e^(2x) - 1) / (e^(2x) + 1); math.tanh computes it.",
        "t = math.tanh(self.data); return Value(t, ...)",
    ), (
        "d tanh(x)/dx = 1 - tanh(x)**2: it is written with the output t = tanh(x), not with x.",
        "t = out.data; dx += (1 - t ** 2) * dout",
    )),
    "relu": Operation("relu", "x.relu()", (
        "relu(x) = max(x, 0).",
        "return Value(self.data if self.data > 0 else 0.0, ...)",
    ), (
        "relu passes the gradient where x > 0 and blocks it where x < 0.",
        "dx += (1.0 if x.data > 0 else 0.0) * dout",
    )),
    "exp": Operation("exp", "x.exp()", (
        "exp(x) = e^x; math.exp computes it.",
        "return Value(math.exp(self.data), ...)",
    ), (
        "d e^x/dx = e^x: the output itself.",
        "dx += out.data * dout",
    )),
    "log": Operation("log", "x.log()", (
        "log is the natural logarithm, defined for x > 0; math.log computes it.",
        "return Value(math.log(self.data), ...)",
    ), (
        "d log(x)/dx = 1/x.",
        "dx += dout / x.data",
    )),
    "sigmoid": Operation("sigmoid", "x.sigmoid()", (
        "sigmoid(x) = 1 / (1 + e^-x).",
        "For x < 0 compute e^x / (1 + e^x) instead, so that e^-x cannot overflow.",
    ), (
        "d s(x)/dx = s(x) (1 - s(x)): it is written with the output s = sigmoid(x), not with x.",
        "s = out.data; dx += s * (1 - s) * dout",
    )),
}


def operation_graph(rng: np.random.Generator, name: str) -> tuple[Graph, dict[str, list[Node]]]:
    """Build EXPRESSIONS independent expressions ``out_k = op(leaves)``, each a root.

    Returns the graph and its leaves grouped by operand: ``a`` and ``b`` for
    binary operators, ``x`` otherwise.
    """
    op = OPERATIONS[name].op
    graph = Graph()
    groups: dict[str, list[Node]] = {}
    for k in range(EXPRESSIONS):
        if op in ("+", "-", "*", "/"):
            a = graph.leaf(float(rng.normal(scale=1.5)), f"a{k}")
            b_value = away_from(rng, (), margin=0.5) if op == "/" else rng.normal(scale=1.5)
            b = graph.leaf(float(b_value), f"b{k}")
            groups.setdefault("a", []).append(a)
            groups.setdefault("b", []).append(b)
            graph.root(graph.apply(op, a, b, name=f"out{k}"))
            continue
        x = graph.leaf(_operand(rng, op, k), f"x{k}")
        groups.setdefault("x", []).append(x)
        if op == "**":
            graph.root(graph.apply(op, x, POWER_EXPONENTS[k], name=f"out{k}"))
        else:
            graph.root(graph.apply(op, x, name=f"out{k}"))
    return graph, groups


#: Exponents of the power tests: integers on a negative and a positive base, then fractions.
POWER_EXPONENTS = (3, -2, 0.5, -1.5)


def _operand(rng: np.random.Generator, op: str, k: int) -> float:
    """Draw the input of a unary operation where it is smooth and well-conditioned."""
    if op == "**":
        if k == 0:
            return float(-rng.uniform(0.5, 2.0))  # an integer exponent works on a negative base
        return float(rng.uniform(0.3, 3.0))
    if op == "relu":
        sign = 1.0 if k % 2 else -1.0  # two inputs on each side of the kink
        return float(sign * rng.uniform(0.1, 2.0))
    if op == "log":
        return float(rng.uniform(0.2, 5.0))
    if op == "exp":
        return float(rng.uniform(-2.0, 2.0))
    if op == "sigmoid":
        return float(rng.normal(scale=2.5))
    return float(rng.normal(scale=1.5))


# --- diagnoses of wrong derivatives -------------------------------------------------

WrongFormula = tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], str]

#: Wrong local derivatives that candidates write, as functions of the input x
#: (or the exponent) and the output, with the sentence that explains them.
WRONG_DERIVATIVES: dict[str, list[WrongFormula]] = {
    "tanh": [
        (lambda x, n: 1 - x**2, "Value.grad equals 1 - x**2 with x the input: the derivative of tanh is "
                                "1 - tanh(x)**2, that is 1 - out.data**2"),
        (lambda x, n: 1 - np.tanh(x), "Value.grad equals 1 - tanh(x): the square is missing, "
                                      "d tanh(x)/dx = 1 - tanh(x)**2"),
    ],
    "sigmoid": [
        (lambda x, n: x * (1 - x), "Value.grad equals x * (1 - x) with x the input: the derivative of the "
                                   "sigmoid is s * (1 - s) with s = out.data"),
    ],
    "pow": [
        (lambda x, n: n * x**n - 1, "Value.grad equals n * x**n - 1: ** binds tighter than -, so write "
                                    "n * x ** (n - 1)"),
        (lambda x, n: x ** (n - 1), "Value.grad equals x**(n - 1): the factor n of the power rule is missing"),
    ],
    "exp": [
        (lambda x, n: x, "Value.grad equals the input x: the derivative of e^x is e^x, the output"),
    ],
    "log": [
        (lambda x, n: np.log(x), "Value.grad equals log(x), the output: the derivative of log(x) is 1/x"),
    ],
}


def explain_derivative(name: str, x: np.ndarray, got: np.ndarray) -> str | None:
    """Name the wrong formula that the received gradients follow, if one fits every entry."""
    exponents = np.array(POWER_EXPONENTS[: len(x)], dtype=np.float64)
    with np.errstate(all="ignore"):
        for formula, sentence in WRONG_DERIVATIVES.get(name, []):
            values = formula(x, exponents)
            if np.all(np.isfinite(values)) and np.allclose(got, values, rtol=1e-6, atol=1e-9):
                return sentence
    return None


def explain_quotient(a: np.ndarray, b: np.ndarray, got: np.ndarray) -> str | None:
    """Name the usual wrong gradients of a / b with respect to b."""
    with np.errstate(all="ignore"):
        if np.allclose(got, -1 / b**2, rtol=1e-6):
            return "Value.grad of b equals -1/b**2: the numerator is missing, d(a/b)/db = -a / b**2"
        if np.allclose(got, 1 / b, rtol=1e-6):
            return "Value.grad of b equals 1/b, the gradient of a: d(a/b)/db = -a / b**2"
    return None


# --- attributes and forward values --------------------------------------------------


@graded(1, ("Value(data) stores data as a number and starts grad at 0.0; so does every Value an operation "
            "returns.", "self.data = float(data); self.grad = 0.0"))
def test_value_attributes(candidate, rng):
    x = round(float(rng.normal()), 3)
    steps = Steps()
    v = steps.new("Value", x)
    w = steps.new("Value", 3)
    product = steps.binop("*", v, w, label="(v * w)")
    reads = {
        f"Value({x}).data": (steps.get(v, "data"), x),
        f"Value({x}).grad": (steps.get(v, "grad"), 0.0),
        "Value(3).data": (steps.get(w, "data"), 3.0),
        f"(Value({x}) * Value(3)).grad": (steps.get(product, "grad"), 0.0),
    }
    results = candidate.run(steps)
    for description, (ref, expected) in reads.items():
        received = results[ref]
        checked = f"{description} right after construction"
        # An int is accepted where the contract says float: it is the same number to every operation here.
        value = to_float(received, description, checked)
        if value != expected:
            fail(checked, repr(expected), repr(received))


def _forward_test(name: str):
    operation = OPERATIONS[name]
    return pytest.param(name, id=name, marks=graded(1, operation.forward_hints))


@pytest.mark.parametrize("name", [_forward_test(name) for name in OPERATIONS])
def test_forward(candidate, reference, rng, name):
    operation = OPERATIONS[name]
    graph, _ = operation_graph(rng, name)
    got, want = run_both(candidate, reference, graph, [], numeric=False)
    roots, leaves = graph.roots, graph.leaves
    expect_nodes_close(
        [got.data[node.index] for node in roots], [want.data[node.index] for node in roots], roots, graph,
        attribute="data", checked=f"Value.data of out = {operation.text} for {len(roots)} inputs, "
                                  "against the reference",
        context=Context(name="Value.data", regions=_regions(graph, name)),
    )
    expect_nodes_close(
        [got.data[node.index] for node in leaves], [node.value for node in leaves], leaves, graph,
        attribute="data", checked=f"the operands' Value.data after out = {operation.text}",
        diagnosis=f"{operation.text} changed its operand: return a new Value and leave the inputs as they were",
    )


def _regions(graph: Graph, name: str) -> dict[str, np.ndarray]:
    if name != "relu":
        return {}
    x = np.array([leaf.value for leaf in graph.leaves])
    return {"where x < 0": x < 0, "where x > 0": x > 0}


# --- gradients of each operation ----------------------------------------------------


def _gradient_test(name: str):
    operation = OPERATIONS[name]
    return pytest.param(name, id=name, marks=graded(2, operation.gradient_hints))


@pytest.mark.parametrize("name", [_gradient_test(name) for name in OPERATIONS])
def test_gradient(candidate, reference, rng, name):
    operation = OPERATIONS[name]
    graph, groups = operation_graph(rng, name)
    got, want = run_both(candidate, reference, graph)
    for group, leaves in groups.items():
        checked = (f"Value.grad of {group} after out.backward(), for out = {operation.text} "
                   f"({len(leaves)} expressions), against the reference")
        received = numbers([got.grads[leaf.index] for leaf in leaves], leaves, "grad", checked)
        x = np.array([leaf.value for leaf in leaves])
        if group == "b":
            a = np.array([leaf.value for leaf in groups["a"]])
            sentence = explain_quotient(a, x, received) if name == "div" else None
        else:
            sentence = explain_derivative(name, x, received)
        context = Context(name=f"Value.grad of {group}", regions=_regions(graph, name))
        try:
            expect_nodes_close(received, [want.grads[leaf.index] for leaf in leaves], leaves, graph,
                               attribute="grad", checked=checked, context=context, diagnosis=sentence)
        except CheckFailed as failure:
            raise with_note(failure, numeric_note(got, want, graph)) from None
    check_leaves_numerically(got, graph, case=f"for out = {operation.text}")


# --- plain numbers on either side -----------------------------------------------------


@dataclass(frozen=True)
class NumberForm:
    """An operator with a plain number on one side, e.g. ``2 - v``."""

    op: str
    number_first: bool
    hints: tuple[str, ...]

    def text(self, number: object = "c") -> str:
        """Write the expression with ``number`` as the plain operand, e.g. ``2 - v``."""
        return f"{number} {self.op} v" if self.number_first else f"v {self.op} {number}"


NUMBER_FORMS = [
    NumberForm("+", False, ("v + 2 calls v.__add__(2): wrap a plain number as a Value before adding.",
                            "other = other if isinstance(other, Value) else Value(other)")),
    NumberForm("+", True, ("2 + v first tries int.__add__(2, v), which returns NotImplemented, so Python calls "
                           "v.__radd__(2).", "def __radd__(self, other): return self + other")),
    NumberForm("-", False, ("v - 2 calls v.__sub__(2), which must accept numbers as __add__ does.",
                            "def __sub__(self, other): return self + (-other)")),
    NumberForm("-", True, ("2 - v calls v.__rsub__(2) with self = v and other = 2: the result is other - self, "
                           "not self - other.",
                           "def __rsub__(self, other): return Value(other) - self  # d/dv = -1")),
    NumberForm("*", False, ("v * 2 calls v.__mul__(2): wrap the number as a Value.",
                            "other = other if isinstance(other, Value) else Value(other)")),
    NumberForm("*", True, ("2 * v calls v.__rmul__(2), because int.__mul__ does not know Value.",
                           "def __rmul__(self, other): return self * other")),
    NumberForm("/", False, ("v / 2 calls v.__truediv__(2): v * 2**-1.",
                            "def __truediv__(self, other): return self * other ** -1 (other wrapped as a Value)")),
    NumberForm("/", True, ("2 / v calls v.__rtruediv__(2) with self = v: the result is other / self, "
                           "and d(c / v)/dv = -c / v**2.",
                           "def __rtruediv__(self, other): return Value(other) * self ** -1")),
]


@pytest.mark.parametrize("form", [pytest.param(form, id=form.text().replace(" ", ""), marks=graded(1, form.hints))
                                  for form in NUMBER_FORMS])
def test_number_operand(candidate, reference, rng, form):
    graph = Graph()
    numbers_used = (int(rng.choice([2, 3, -2])), round(float(rng.choice([-1, 1]) * rng.uniform(0.5, 3.0)), 3))
    for k, number in enumerate(numbers_used):
        value = away_from(rng, (), margin=0.5) if form.op == "/" else rng.normal(scale=1.5)
        v = graph.leaf(float(value), f"v{k}")
        operands = (number, v) if form.number_first else (v, number)
        graph.root(graph.apply(form.op, *operands, name=f"out{k}"))
    got, want = run_both(candidate, reference, graph)
    roots, leaves = graph.roots, graph.leaves
    texts = " and ".join(form.text(number) for number in numbers_used)
    checked = f"Value.data of {texts} against the reference"
    received = numbers([got.data[node.index] for node in roots], roots, "data", checked)
    diagnosis, kind = None, None
    if form.number_first:
        swapped = np.array([EVALUATE[form.op](leaf.value, number) for leaf, number in zip(leaves, numbers_used)])
        if np.allclose(received, swapped, rtol=1e-9):
            diagnosis = (f"{form.text()} returned v {form.op} c: in the reflected method, self is v (the right "
                         f"operand) and other is c, so compute other {form.op} self")
            kind = "sign" if form.op == "-" else None
    expect_nodes_close(received, [want.data[node.index] for node in roots], roots, graph, attribute="data",
                       checked=checked, diagnosis=diagnosis, kind=kind)
    try:
        expect_nodes_close(
            [got.grads[leaf.index] for leaf in leaves], [want.grads[leaf.index] for leaf in leaves], leaves, graph,
            attribute="grad", checked=f"v.grad after out.backward(), for out = {texts}, against the reference",
        )
    except CheckFailed as failure:
        raise with_note(failure, numeric_note(got, want, graph)) from None
    check_leaves_numerically(got, graph, case=f"for out = {texts}")


# --- whole graphs ----------------------------------------------------------------------

GRAPH_HINTS = (
    "Backpropagation visits the nodes in reverse topological order: a node's gradient is complete only after "
    "every node that uses it has added its share.",
    "Order the nodes with a depth-first search from the root (each node after its inputs), then walk that "
    "order backwards applying each node's local rule.",
    "For a node n with input u: grad[u] += (d n / d u) * grad[n], where d n / d u is the op's local derivative.",
)


def check_all_grads(received: list, expected: list, graph: Graph, *, checked: str) -> None:
    """Compare the ``.grad`` of every node with the expected values, saying where they first go wrong."""
    got = numbers(received, graph.nodes, "grad", checked)
    want = np.array([float(value) for value in expected])
    found = diagnose_gradients(graph, got, want)
    expect_nodes_close(got, want, graph.nodes, graph, attribute="grad", checked=checked,
                       diagnosis=found[0] if found else None, kind=found[1] if found else None)


def check_graph(candidate, reference, graph: Graph, *, call: str) -> None:
    """Check the ``.data`` and ``.grad`` of every node against the reference, then the leaves against
    central differences. ``call`` names the backward() call, e.g. ``out.backward()``."""
    got, want = run_both(candidate, reference, graph)
    check_forward_values(got, want, graph, checked=FORWARD_CHECKED)
    try:
        check_all_grads(got.grads, want.grads, graph,
                        checked=f"Value.grad of every node after {call}, against the reference")
    except CheckFailed as failure:
        raise with_note(failure, numeric_note(got, want, graph)) from None
    check_leaves_numerically(got, graph, case=f"after {call}")


@graded(2, ("A node used several times receives a gradient from each use; the chain rule adds them up.",
            "Every backward rule adds into its inputs' gradients (+=), never assigns (=): for x * x the two "
            "shares x and x sum to 2x."))
def test_reused_node(candidate, reference, rng):
    graph = Graph()
    a, b, x = (graph.leaf(float(value)) for value in rng.uniform(0.5, 1.5, size=3) * rng.choice([-1, 1], size=3))
    square = graph.apply("*", x, x)
    product = graph.apply("*", a, b)
    terms = [square, graph.apply("*", product, product), graph.apply("tanh", product), graph.apply("+", product, a)]
    total = terms[0]
    for term in terms[1:]:
        total = graph.apply("+", total, term)
    graph.root(graph.apply("+", total, graph.apply("*", x, 2), name="out"))
    check_graph(candidate, reference, graph, call="out.backward()")


@pytest.mark.parametrize("size", [pytest.param(size, id=f"{size}-ops") for size in (12, 20, 28)])
@graded(2, GRAPH_HINTS)
def test_random_graph(candidate, reference, rng, size):
    graph = random_graph(rng, leaves=3, operations=size)
    check_graph(candidate, reference, graph, call="out.backward() on a random graph")


# --- accumulation across backward() calls ------------------------------------------------

ACCUMULATION_HINTS = (
    "Like PyTorch, every backward() call adds its gradients into .grad: two calls on the same graph double "
    "every node's gradient (the root's is set to 1 again).",
    "Let only this call's gradients flow: collect them in a dict node -> gradient during the call and add "
    "that dict into .grad at the end. Propagating .grad itself pushes the first call's gradients through "
    "the graph a second time.",
)


@graded(3, ACCUMULATION_HINTS)
def test_backward_twice(candidate, reference, rng):
    graph = random_graph(rng, leaves=3, operations=14)
    root = graph.roots[0]
    got, want = run_both(candidate, reference, graph, [root, root], read_each_call=True)
    check_forward_values(got, want, graph, checked=FORWARD_CHECKED)
    first, second = got.grads_by_call
    try:
        check_all_grads(first, want.grads_by_call[0], graph,
                        checked="Value.grad of every node after the first out.backward(), against the reference")
    except CheckFailed as failure:
        raise with_note(failure, "the gradients are wrong after one call already; the tests of single "
                                 "operations and random graphs show where") from None

    others = [node for node in graph.nodes if node is not root]
    checked = "Value.grad of every node but the root after a second out.backward(), against the reference"
    once = numbers([first[node.index] for node in others], others, "grad", checked)
    twice = numbers([second[node.index] for node in others], others, "grad", checked)
    diagnosis, kind = explain_later_call(once, twice, once, "the second out.backward()")
    try:
        expect_nodes_close(twice, [want.grads[node.index] for node in others], others, graph, attribute="grad",
                           checked=checked, diagnosis=diagnosis, kind=kind)
    except CheckFailed as failure:
        raise with_note(failure, "after the first call every gradient was right") from None
    check_leaves_numerically(got, graph, case="after calling out.backward() twice")


def explain_later_call(previous: np.ndarray, final: np.ndarray, increment: np.ndarray,
                       call: str) -> tuple[str | None, str | None]:
    """Explain how a later backward() call changed .grad from ``previous`` to ``final``.

    It should have added ``increment``, its own d(root)/d(node).
    """
    scale = float(np.max(np.abs(increment), initial=0.0))
    tolerance = 1e-6 * np.abs(increment) + 1e-8 * scale + 1e-15
    added = final - previous
    wrong = np.abs(added - increment) > tolerance
    if not wrong.any():
        return None, None
    if np.all(np.abs(final[wrong] - increment[wrong]) <= tolerance[wrong]):
        return (f"after {call}, .grad holds only that call's gradients: backward() must add into .grad, "
                "not reset or overwrite it (PyTorch accumulates until zero_grad() is called), and it must "
                "keep the graph for later calls (PyTorch frees it unless retain_graph=True; Value does not)",
                None)
    if np.any(np.abs(added[wrong]) > np.abs(increment[wrong])):
        return (f"{call} added more than its own d(root)/d(node) to some nodes: it propagated the .grad that "
                "the earlier call had left in intermediate nodes. Propagate only this call's gradients, kept in "
                "a buffer of their own, and add them into .grad at the end", "accumulated")
    return (f"{call} added other amounts than its own d(root)/d(node): each call must add exactly its own "
            "gradients", None)


@graded(2, (
    "backward() on a second root adds d(root2)/d(node) to every node's .grad: gradients of several losses add "
    "up, as in PyTorch.",
    "Nodes shared by both roots already hold the first call's gradient in .grad; propagate only this call's "
    "gradients (a buffer per call), or that gradient is counted twice.",
))
def test_two_roots(candidate, reference, rng):
    # Positive leaves and increasing operations make every local derivative positive,
    # so a gradient counted twice is also a larger one.
    graph = Graph()
    a, b, c = (graph.leaf(float(value)) for value in rng.uniform(0.5, 1.5, size=3))
    shared = graph.apply("tanh", graph.apply("+", graph.apply("*", a, b), c))
    out1 = graph.root(graph.apply("+", graph.apply("*", shared, shared), a, name="out1"))
    out2 = graph.root(graph.apply("*", graph.apply("sigmoid", graph.apply("+", shared, b)), c, name="out2"))
    got, want = run_both(candidate, reference, graph, [out1, out2], read_each_call=True)
    check_forward_values(got, want, graph, checked=FORWARD_CHECKED)
    try:
        check_all_grads(got.grads_by_call[0], want.grads_by_call[0], graph,
                        checked="Value.grad of every node after out1.backward(), against the reference")
    except CheckFailed as failure:
        raise with_note(failure, "the gradients are wrong after one call already; the tests of single "
                                 "operations and random graphs show where") from None

    checked = "Value.grad of every node after out1.backward() and then out2.backward(), against the reference"
    after_first = numbers(got.grads_by_call[0], graph.nodes, "grad", checked)
    final = numbers(got.grads, graph.nodes, "grad", checked)
    from_out2 = np.array([float(value) for value in run_graph(reference, graph, [out2], numeric=False).grads])
    below_out1, below_out2 = ancestors(out1), ancestors(out2)
    shared_nodes = [node.index for node in graph.nodes if node in below_out1 and node in below_out2]
    only_out2 = [node.index for node in graph.nodes if node in below_out2 and node not in below_out1]
    diagnosis, kind = None, None
    if np.allclose(final[only_out2] - after_first[only_out2], from_out2[only_out2], rtol=1e-6, atol=1e-12):
        # out2's own part is right, so the shared nodes show how the call accumulates.
        diagnosis, kind = explain_later_call(after_first[shared_nodes], final[shared_nodes],
                                             from_out2[shared_nodes], "out2.backward()")
    if diagnosis is None:
        found = diagnose_gradients(graph, final, np.array([float(value) for value in want.grads]))
        diagnosis, kind = found if found else (None, None)
    try:
        expect_nodes_close(final, want.grads, graph.nodes, graph, attribute="grad", checked=checked,
                           diagnosis=diagnosis, kind=kind)
    except CheckFailed as failure:
        raise with_note(failure, numeric_note(got, want, graph)) from None
    check_leaves_numerically(got, graph, case="after out1.backward() and out2.backward()")


@graded(1, ("backward() starts the chain rule with d(root)/d(root) = 1: it sets root.grad to 1, also on a "
            "second call, and on a leaf.", "self.grad = 1.0 (an assignment, not +=)"))
def test_root_grad(candidate, rng):
    a_value, b_value = (float(value) for value in rng.uniform(0.5, 1.5, size=2))
    steps = Steps()
    a, b = steps.new("Value", a_value), steps.new("Value", b_value)
    product = steps.binop("*", a, b, label="(a * b)")
    out = steps.call(product, "tanh", reply=False)
    steps.name(out, "out")
    steps.call(out, "backward", reply=False)
    reads = [("out.grad after out.backward()", steps.get(out, "grad"))]
    steps.call(out, "backward", reply=False)
    reads.append(("out.grad after a second out.backward()", steps.get(out, "grad")))
    leaf = steps.new("Value", b_value)
    steps.name(leaf, "x")
    steps.call(leaf, "backward", reply=False)
    reads.append((f"x.grad after x.backward(), for the leaf x = Value({b_value:.4g})", steps.get(leaf, "grad")))
    results = candidate.run(steps)
    for position, (description, ref) in enumerate(reads):
        received = to_float(results[ref], description, description)
        if received == 1.0:
            continue
        diagnosis, kind = None, None
        if position == 1 and received > 1.0:
            diagnosis = "the root's gradient grew with the second call: set it (self.grad = 1.0), do not add 1"
            kind = "accumulated"
        elif received == 0.0:
            diagnosis = "backward() never set the root's gradient: the chain rule starts from d(root)/d(root) = 1"
        fail(description, "1", format_number(received), diagnosis=diagnosis, kind=kind)


# --- depth ------------------------------------------------------------------------------


@graded(3, (
    "A recursive topological sort nests one call per node, and Python stops at about 1,000 nested calls "
    "(RecursionError).",
    "Use an explicit stack: pop (node, done); if not done, push (node, True) and then its unvisited inputs; "
    "a node popped with done=True goes into the order after all its inputs.",
))
def test_deep_chain(candidate, reference, rng):
    # The unrolled recurrence v = v * w + b, CHAIN_DEPTH nodes deep. Every v stays
    # positive, so the 5,000 terms of w.grad and b.grad cannot cancel.
    values = {"x": rng.uniform(0.5, 1.5), "w": 1 + rng.uniform(-5e-4, 5e-4), "b": rng.uniform(5e-4, 2e-3)}
    steps = Steps()
    leaves = {}
    for name, value in values.items():
        leaves[name] = steps.new("Value", float(value))
        steps.name(leaves[name], name)
    out = steps.chain(leaves["x"], [("*", leaves["w"]), ("+", leaves["b"])], times=CHAIN_DEPTH // 2,
                      label="the recurrence v = v * w + b")
    steps.name(out, "out")
    steps.call(out, "backward", reply=False)
    data = steps.get(out, "data")
    grads = [steps.get(leaf, "grad") for leaf in leaves.values()]
    want = reference.run(steps)
    checked = (f"out.backward() for out = v after {CHAIN_DEPTH // 2:,} steps of v = v * w + b from v = x, "
               f"a graph {CHAIN_DEPTH:,} nodes deep")
    try:
        got = candidate.run(steps)
    except CandidateError as error:
        fault = error.fault
        if fault.type != "RecursionError" and fault.kind != "crash":
            raise
        fail(checked, "backward() to finish and the gradients to match the reference",
             f"{error.label} failed: {fault.type}: {fault.message}", *format_frames(fault).splitlines()[-2:],
             diagnosis="the topological sort (or the backward pass) recurses once per node, deeper than Python "
                       "allows: build the order with an explicit stack instead of recursion")
    expect_scalar_close(got[data], want[data], what="out.data", checked=f"out.data, {checked}")
    names = list(values)
    received = [to_float(got[ref], f"{name}.grad", checked) for name, ref in zip(names, grads)]
    expected = [want[ref] for ref in grads]
    wrong = [name for name, got_value, want_value in zip(names, received, expected)
             if abs(got_value - want_value) > RTOL * abs(want_value)]
    if not wrong:
        return
    diagnosis, kind = None, None
    if "x" not in wrong:
        diagnosis = ("x.grad is right, so the chain itself is handled, but w and b are used 5,000 times each: "
                     "their gradients must sum the shares of every use (+=, not =)")
        kind = "partial"
    elif not any(received):
        diagnosis = "x.grad, w.grad and b.grad are all 0: backward() never reached the leaves"
        kind = "zero"
    name = wrong[0]
    position = names.index(name)
    fail(f"{name}.grad after {checked}, against the reference", format_number(expected[position]),
         format_number(received[position]), f"wrong: {', '.join(f'{n}.grad' for n in wrong)}",
         diagnosis=diagnosis, kind=kind)
