"""Scalar expression graphs for autograd suites: build one, run it on a side, judge the results.

A :class:`Graph` records expressions over ``Value`` nodes as a suite builds
them: ``g.leaf(0.5)``, ``g.apply("*", x, 2)``, ``g.apply("tanh", y)``. It
computes each node's value in float64 as it goes, so :func:`random_graph` can
pick operands that keep every operation smooth: log of positive inputs, no
division near zero, ReLU away from its kink.

:func:`run_graph` turns a graph into one :class:`Steps` request: build every
node, call ``backward()`` on the roots, read ``data`` and ``grad`` back, and
rebuild the nodes downstream of each leaf with that leaf moved by +-h, for
central differences of the side's own forward.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from .checks import RTOL, CheckFailed, Mismatch, expect_close, fail, format_number, to_float
from .diagnosis import Context
from .gradients import NUMERIC_RTOL, STEP
from .sides import CandidateError, CandidateSide, ReferenceSide
from .steps import Steps

#: Evaluation of each operation in float64, used to choose valid operands.
EVALUATE: dict[str, Callable[..., float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "neg": lambda a: -a,
    "tanh": math.tanh,
    "relu": lambda a: max(a, 0.0),
    "exp": math.exp,
    "log": math.log,
    "sigmoid": lambda a: 1.0 / (1.0 + math.exp(-a)),
}
#: d(out)/d(operand) for each operand, from the operand values and the output.
LOCAL_DERIVATIVES: dict[str, Callable[..., tuple[float, ...]]] = {
    "+": lambda a, b, out: (1.0, 1.0),
    "-": lambda a, b, out: (1.0, -1.0),
    "*": lambda a, b, out: (b, a),
    "/": lambda a, b, out: (1.0 / b, -a / b**2),
    "**": lambda a, n, out: (n * a ** (n - 1), 0.0),
    "neg": lambda a, out: (-1.0,),
    "tanh": lambda a, out: (1.0 - out**2,),
    "relu": lambda a, out: (1.0 if a > 0 else 0.0,),
    "exp": lambda a, out: (out,),
    "log": lambda a, out: (1.0 / a,),
    "sigmoid": lambda a, out: (out * (1.0 - out),),
}
BINARY = ("+", "-", "*", "/", "**")
METHODS = ("tanh", "relu", "exp", "log", "sigmoid")

#: The description of a check of every node's ``.data``, as a report shows it.
FORWARD_CHECKED = "Value.data of every node of the graph, against the reference"

#: Absolute floor of the central-difference comparison. Rounding in roots of a
#: few hundred moves an estimate by about 1e-16 * 300 / 2e-6, under 1e-7.
NUMERIC_ATOL = 1e-6


@dataclass(frozen=True, eq=False)
class Node:
    """One node of a graph: a leaf ``Value(data)`` or an operation on earlier nodes and numbers."""

    index: int
    name: str
    """The node's name in messages: ``x0`` for leaves, ``n5`` for operations, ``out`` for a root."""
    op: str
    """``"leaf"``, a binary operator (``+ - * / **``), ``"neg"`` or a method name such as ``"tanh"``."""
    operands: tuple[Any, ...]
    """Earlier nodes or plain numbers; a leaf's only operand is its data."""
    value: float
    """The node's value computed here in float64."""

    @property
    def is_leaf(self) -> bool:
        return self.op == "leaf"


def operand_text(operand: Any) -> str:
    """Write an operand as it appears in an expression: a node's name or the number."""
    return operand.name if isinstance(operand, Node) else repr(operand)


def expression_text(node: Node) -> str:
    """Write the expression that makes a node, e.g. ``Value(0.5)``, ``n2 * 3`` or ``n4.tanh()``."""
    if node.is_leaf:
        return f"Value({format_number(node.operands[0])})"
    if node.op == "neg":
        return f"-{operand_text(node.operands[0])}"
    if node.op in BINARY:
        left, right = node.operands
        return f"{operand_text(left)} {node.op} {operand_text(right)}"
    return f"{operand_text(node.operands[0])}.{node.op}()"


@dataclass
class Graph:
    """Expressions over ``Value`` nodes, in the order they are built."""

    nodes: list[Node] = field(default_factory=list)
    roots: list[Node] = field(default_factory=list)
    """The nodes ``backward()`` is called on, in order."""

    def leaf(self, data: float, name: str | None = None) -> Node:
        """Add a leaf ``Value(data)``."""
        count = sum(node.is_leaf for node in self.nodes)
        return self._add(name or f"x{count}", "leaf", (data,), float(data))

    def apply(self, op: str, *operands: Any, name: str | None = None) -> Node:
        """Add an operation on earlier nodes and numbers, e.g. ``apply("-", 2, x)`` for ``2 - x``."""
        values = [operand.value if isinstance(operand, Node) else operand for operand in operands]
        return self._add(name or f"n{len(self.nodes)}", op, tuple(operands), float(EVALUATE[op](*values)))

    def root(self, node: Node) -> Node:
        """Mark ``node`` as a root: ``backward()`` is called on it."""
        self.roots.append(node)
        return node

    def _add(self, name: str, op: str, operands: tuple, value: float) -> Node:
        node = Node(len(self.nodes), name, op, operands, value)
        self.nodes.append(node)
        return node

    @property
    def leaves(self) -> list[Node]:
        return [node for node in self.nodes if node.is_leaf]

    def downstream(self, start: Node) -> list[Node]:
        """List ``start`` and every node that depends on it, in build order."""
        reached = {start.index}
        for node in self.nodes[start.index + 1:]:
            if any(isinstance(operand, Node) and operand.index in reached for operand in node.operands):
                reached.add(node.index)
        return [self.nodes[index] for index in sorted(reached)]

    def uses(self, node: Node) -> int:
        """Count the operations that take ``node`` as an operand (``x * x`` counts twice)."""
        return sum(operand is node for other in self.nodes for operand in other.operands)

    def listing(self, width: int = 100) -> list[str]:
        """Describe every node, wrapped into lines: ``graph: x0 = Value(0.5); n1 = x0.tanh(); ...``."""
        text = "; ".join(f"{node.name} = {expression_text(node)}" for node in self.nodes)
        return textwrap.wrap("graph: " + text, width=width, subsequent_indent="       ")


# --- running a graph on one side ----------------------------------------------


@dataclass(frozen=True)
class GraphRun:
    """One side's results for a graph, as received (not yet checked to be numbers)."""

    calls: tuple[int, ...]
    """Index of the root of each ``backward()`` call, in order."""
    data: list[Any]
    """``.data`` of every node right after the graph was built."""
    grads_by_call: list[list[Any]]
    """``.grad`` of every node after each ``backward()`` call, or only after the last one."""
    perturbed: list[tuple[list[Any], list[Any]]]
    """Per leaf: the ``.data`` of the roots downstream of it, rebuilt with the leaf at +h and at -h."""

    @property
    def grads(self) -> list[Any]:
        """``.grad`` of every node after the last ``backward()`` call."""
        return self.grads_by_call[-1] if self.grads_by_call else []


def graph_steps(graph: Graph, calls: Sequence[Node], *, read_each_call: bool = False,
                numeric: bool = True) -> tuple[Steps, dict]:
    """Build the steps that make ``graph``, call ``root.backward()`` for each root in ``calls`` and read it back."""
    steps = Steps()
    builders: dict[int, Node] = {}
    refs = _emit(steps, graph, graph.nodes, {}, builders=builders)
    read = {"data": [steps.get(refs[node.index], "data") for node in graph.nodes], "grads": [], "perturbed": [],
            "builders": builders}
    for position, root in enumerate(calls):
        steps.call(refs[root.index], "backward", reply=False)
        if read_each_call or position == len(calls) - 1:
            read["grads"].append([steps.get(refs[node.index], "grad") for node in graph.nodes])
    for leaf in graph.leaves if numeric else []:
        cone = graph.downstream(leaf)
        roots = [root for root in graph.roots if root in cone]
        pair = []
        for sign in (1.0, -1.0):
            moved = _emit(steps, graph, cone, refs, data={leaf.index: leaf.value + sign * STEP}, builders=builders)
            pair.append([steps.get(moved[root.index], "data") for root in roots])
        read["perturbed"].append(tuple(pair))
    return steps, read


def _emit(steps: Steps, graph: Graph, nodes: Sequence[Node], built: dict, data: dict | None = None,
          builders: dict | None = None) -> dict:
    """Add the steps that make ``nodes``; operands outside them are taken from ``built``.

    ``builders``, when given, maps the index of each step added to the node it builds.
    """
    refs = dict(built)
    data = data or {}
    builders = {} if builders is None else builders
    for node in nodes:
        operands = [refs[operand.index] if isinstance(operand, Node) else operand for operand in node.operands]
        label = f"({expression_text(node)})" if not node.is_leaf else node.name
        if node.is_leaf:
            ref = steps.new("Value", data.get(node.index, node.operands[0]))
        elif node.op == "neg":
            ref = steps.unop("-", operands[0], label=label)
        elif node.op in BINARY:
            ref = steps.binop(node.op, *operands, label=label)
        else:
            ref = steps.call(operands[0], node.op, reply=False)
        steps.name(ref, label)
        refs[node.index] = ref
        builders[ref.index] = node
    return refs


def run_graph(side: CandidateSide | ReferenceSide, graph: Graph, calls: Sequence[Node] | None = None, *,
              read_each_call: bool = False, numeric: bool = True) -> GraphRun:
    """Run ``graph`` on one side in one request (see :func:`graph_steps`).

    ``calls`` defaults to one ``backward()`` call on each root.
    """
    calls = list(graph.roots) if calls is None else list(calls)
    steps, refs = graph_steps(graph, calls, read_each_call=read_each_call, numeric=numeric)
    return read_graph(side.run(steps), refs, calls)


def read_graph(results, refs: dict, calls: Sequence[Node]) -> GraphRun:
    """Pick a :class:`GraphRun` out of the results of :func:`graph_steps`."""
    return GraphRun(
        calls=tuple(root.index for root in calls),
        data=[results[ref] for ref in refs["data"]],
        grads_by_call=[[results[ref] for ref in refs_after] for refs_after in refs["grads"]],
        perturbed=[([results[r] for r in plus], [results[r] for r in minus]) for plus, minus in refs["perturbed"]],
    )


def run_both(candidate: CandidateSide, reference: ReferenceSide, graph: Graph,
             calls: Sequence[Node] | None = None, *, read_each_call: bool = False,
             numeric: bool = True) -> tuple[GraphRun, GraphRun]:
    """Run ``graph`` on both sides at once: the candidate with central differences
    in the worker, the reference in this process meanwhile."""
    calls = list(graph.roots) if calls is None else list(calls)
    steps, refs = graph_steps(graph, calls, read_each_call=read_each_call, numeric=numeric)
    try:
        pending = candidate.submit(steps)
        want = run_graph(reference, graph, calls, read_each_call=read_each_call, numeric=False)
        return read_graph(pending.result(), refs, calls), want
    except CandidateError as error:
        builder = refs["builders"].get(error.fault.step) if error.fault.step is not None else None
        raise wrong_value_before(candidate, graph, builder, error) from None


def wrong_value_before(candidate: CandidateSide, graph: Graph, crashed: Node | None,
                       error: CandidateError) -> BaseException:
    """Return a failure naming the first wrong ``.data`` among the inputs of the node that raised ``error``.

    A wrong value upstream can make a later operation raise, for instance a
    negative base raised to a fractional power, which is complex in Python.
    The nodes that ``crashed`` depends on (every node when the error came from
    ``backward()`` or a read) are rebuilt on the candidate's side in one
    request. When none of them is wrong, when they cannot be rebuilt, or when
    the error is not an exception of the candidate's code (a time limit, a
    crash of the worker), the original error is returned unchanged.
    """
    if error.fault.kind != "exception":
        return error
    if crashed is None:
        inputs = list(graph.nodes)
    else:
        above = ancestors(crashed)
        inputs = [node for node in graph.nodes if node in above and node is not crashed]
    if not inputs:
        return error
    steps = Steps()
    refs = _emit(steps, graph, inputs, {})
    reads = [steps.get(refs[node.index], "data") for node in inputs]
    try:
        results = candidate.run(steps)
        received = numbers([results[ref] for ref in reads], inputs, "data", "")
    except (CandidateError, CheckFailed):
        return error
    wrong = _wrong(received, np.array([node.value for node in inputs]))
    if not wrong.any():
        return error
    position = int(np.argmax(wrong))
    first = inputs[position]
    where = f"{crashed.name} = {expression_text(crashed)}" if crashed is not None else error.label
    from ..feedback import format_frames  # imported here: feedback imports the testkit

    details = (
        *format_frames(error.fault).splitlines(),
        f"first wrong node: {first.name}.data = {format_number(received[position])}, expected "
        f"{format_number(first.value)}, where {first.name} = {expression_text(first)}",
        *graph.listing(),
    )
    culprit = "Value(data) stores" if first.is_leaf else f"{_op_name(first)} computes"
    diagnosis = (f"{where} failed on a wrong input: the first wrong value in build order is {first.name} = "
                 f"{expression_text(first)}, where {culprit} a wrong result (see the forward tests). Every "
                 "later node inherits that error, so fix it first")
    return CheckFailed(Mismatch(FORWARD_CHECKED, f"values matching the reference to a relative tolerance of {RTOL:.0e}",
                                f"{error.label} raised {error.fault.type}: {error.fault.message}",
                                details, diagnosis, None))


def ancestors(node: Node) -> set[Node]:
    """Return ``node`` and every node it depends on."""
    reached, stack = {node}, [node]
    while stack:
        for operand in stack.pop().operands:
            if isinstance(operand, Node) and operand not in reached:
                reached.add(operand)
                stack.append(operand)
    return reached


# --- judging the results ----------------------------------------------------------


def numbers(received: Sequence[Any], nodes: Sequence[Node], attribute: str, checked: str) -> np.ndarray:
    """Convert received ``.data`` or ``.grad`` values to floats, naming the node of a bad one."""
    return np.array([to_float(value, f"{node.name}.{attribute}", checked)
                     for value, node in zip(received, nodes)], dtype=np.float64)


def expect_nodes_close(received: Sequence[Any], expected: Sequence[Any], nodes: Sequence[Node], graph: Graph, *,
                       attribute: str, checked: str, context: Context | None = None,
                       diagnosis: str | None = None, kind: str | None = None) -> None:
    """Compare the ``.data`` or ``.grad`` of ``nodes`` with the expected values, node by node.

    Uses the tolerance of :func:`expect_close`. A failure names the worst node
    and lists the graph; ``diagnosis`` (with ``kind``) replaces the one the
    numbers suggest.
    """
    got = numbers(received, nodes, attribute, checked)
    want = np.array([float(value) for value in expected], dtype=np.float64)
    context = context or Context(name=f"Value.{attribute}")
    try:
        expect_close(got, want, what=f"Value.{attribute}", checked=checked, context=context)
    except CheckFailed as failure:
        mismatch = failure.mismatch
        raise CheckFailed(Mismatch(
            checked,
            mismatch.expected,
            f"Value.{attribute} is wrong at {_count_wrong(got, want)} of {len(nodes)} nodes",
            (*_worst_node(got, want, nodes, attribute), *graph.listing()),
            diagnosis or mismatch.diagnosis,
            kind if diagnosis else mismatch.kind,
        )) from None


def _wrong(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    scale = float(np.max(np.abs(want), initial=0.0))
    with np.errstate(invalid="ignore"):
        return ~(np.abs(got - want) <= RTOL * np.abs(want) + RTOL * scale + 1e-15)


def _count_wrong(got: np.ndarray, want: np.ndarray) -> int:
    return int(_wrong(got, want).sum())


def _worst_node(got: np.ndarray, want: np.ndarray, nodes: Sequence[Node], attribute: str) -> tuple[str, ...]:
    scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-300)
    with np.errstate(invalid="ignore"):
        error = np.nan_to_num(np.abs(got - want) / np.maximum(np.abs(want), RTOL * scale), nan=np.inf)
    worst = int(np.argmax(np.where(_wrong(got, want), error, -1.0)))
    node = nodes[worst]
    size = "expected exactly 0" if want[worst] == 0 else f"relative error {error[worst]:.2g}"
    return (f"worst node: {node.name}.{attribute} = {format_number(got[worst])}, expected "
            f"{format_number(want[worst])} ({size}), where {node.name} = {expression_text(node)}",)


def check_forward_values(got: GraphRun, want: GraphRun, graph: Graph, *, checked: str) -> None:
    """Compare the ``.data`` of every node with the reference, naming the first wrong one in build order."""
    received = numbers(got.data, graph.nodes, "data", checked)
    expected = np.array([float(value) for value in want.data])
    wrong = _wrong(received, expected)
    if not wrong.any():
        return
    first = graph.nodes[int(np.argmax(wrong))]
    culprit = "Value(data) stores" if first.is_leaf else f"{_op_name(first)} computes"
    diagnosis = (f"the first wrong value in build order is {first.name} = {expression_text(first)}: "
                 f"{culprit} a wrong result there (see the forward tests), and the gradients cannot be "
                 "checked on a wrong forward pass")
    expect_nodes_close(received, expected, graph.nodes, graph, attribute="data", checked=checked,
                       diagnosis=diagnosis)


def consumers(graph: Graph, node: Node) -> list[Node]:
    """List the nodes that take ``node`` as an operand."""
    return [other for other in graph.nodes if any(operand is node for operand in other.operands)]


def local_derivatives(node: Node) -> tuple[float, ...]:
    """Return d(node)/d(operand) for each operand of an operation, in float64."""
    values = [operand.value if isinstance(operand, Node) else operand for operand in node.operands]
    return LOCAL_DERIVATIVES[node.op](*values, node.value)


def use_shares(graph: Graph, node: Node, grads: np.ndarray) -> list[float]:
    """Return what each use of ``node`` adds to its gradient: grad(user) * d(user)/d(node)."""
    shares = []
    for user in consumers(graph, node):
        local = local_derivatives(user)
        shares.extend(grads[user.index] * local[position]
                      for position, operand in enumerate(user.operands) if operand is node)
    return shares


def diagnose_gradients(graph: Graph, got: np.ndarray, want: np.ndarray) -> tuple[str, str | None] | None:
    """Say where the gradients of a whole graph first go wrong, counting back from the roots.

    ``got`` and ``want`` hold the ``.grad`` of every node. A node whose
    gradient is wrong while every node that uses it is right points at the
    backward rule of those users, or at how the shares of its uses add up.
    Returns the sentence and the kind of mistake, or None when no pattern fits.
    """
    wrong = _wrong(got, want)
    if not wrong.any() or not np.any(got != 0):
        return None  # all zero: the generic diagnosis names it
    first = [node for node in graph.nodes
             if wrong[node.index] and not any(wrong[user.index] for user in consumers(graph, node))]
    names = ", ".join(node.name for node in first[:4]) + (" ..." if len(first) > 4 else "")
    roots = [node for node in first if node in graph.roots]
    if roots:
        return (f"{roots[0].name}.grad is {format_number(got[roots[0].index])}: backward() sets the root's "
                "gradient to 1 (d root / d root) before applying the chain rule", None)
    if all(not node.is_leaf and got[node.index] == 0 for node in graph.nodes if wrong[node.index]):
        return ("the leaves are right but intermediate nodes keep .grad = 0: backward() adds d(root)/d(node) "
                "into every node it reaches, not only the leaves", None)
    if all(_is_one_share(got[node.index], use_shares(graph, node, want)) for node in first):
        return (f"counting back from the root, the gradients first go wrong at {names}: each is used several "
                "times, and its gradient equals the share of one use only. Every use must add its share "
                "(+=); = keeps only the last one", "partial")
    repeated = _counted_repeatedly(graph, first, got, want)
    if repeated:
        return repeated, None
    suspects = [{_op_name(user) for user in consumers(graph, node)} for node in first]
    common = set.intersection(*suspects) or set.union(*suspects)
    return (f"counting back from the root, the gradients first go wrong at {names} although every node that "
            f"uses them is right: check the backward rule of {' or '.join(sorted(common))}", None)


def _counted_repeatedly(graph: Graph, first: list[Node], got: np.ndarray, want: np.ndarray) -> str | None:
    """Explain first wrong nodes whose gradients are whole multiples of the right ones.

    When each such node's ``.grad`` is exactly k times the correct value, with
    2 <= k <= the number of its uses, the node's gradient was added k times:
    the usual cause is a node listed more than once in the topological order,
    once per path that reaches it, because the search does not skip visited nodes.
    """
    multiples = []
    for node in first:
        correct = want[node.index]
        if correct == 0:
            return None
        ratio = got[node.index] / correct
        times = round(ratio)
        if times < 2 or times > graph.uses(node) or abs(ratio - times) > 1e-9 * times:
            return None
        multiples.append((node, times))
    node, times = multiples[0]
    others = f" (and {len(multiples) - 1} more nodes like it)" if len(multiples) > 1 else ""
    return (f"{node.name}.grad is exactly {times} times the correct value{others}, and {node.name} is used "
            f"{graph.uses(node)} times: its gradient was added {times} times instead of once. A node listed "
            "more than once in the topological order is processed more than once, so skip nodes already "
            "visited when building the order (also when a node is popped from the stack, not only when it "
            "is pushed)")


def _is_one_share(received: float, shares: list[float]) -> bool:
    """Return whether ``received`` is one use's share of a gradient that has several."""
    if len(shares) < 2:
        return False
    return any(abs(received - share) <= 1e-6 * abs(share) + 1e-12 for share in shares)


def _op_name(node: Node) -> str:
    if node.op == "neg":
        return "unary -"
    if node.op in BINARY:
        return f"{node.op}"
    return f".{node.op}()"


def numeric_leaf_gradients(run: GraphRun, graph: Graph, checked: str) -> np.ndarray:
    """Estimate what each leaf's ``.grad`` should be after the run's calls, by central differences.

    That is d(sum of the roots called)/d(leaf), a root counted once per call.
    """
    estimates = []
    for leaf, (plus, minus) in zip(graph.leaves, run.perturbed):
        roots = [root for root in graph.roots if root in graph.downstream(leaf)]
        weights = np.array([run.calls.count(root.index) for root in roots], dtype=np.float64)
        high = weights @ numbers(plus, roots, "data", checked)
        low = weights @ numbers(minus, roots, "data", checked)
        estimates.append((high - low) / (2 * STEP))
    return np.array(estimates, dtype=np.float64)


def disagrees_with_numeric(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Mark the entries where an analytic gradient and central differences disagree."""
    scale = max(float(np.max(np.abs(numeric), initial=0.0)), float(np.max(np.abs(analytic), initial=0.0)))
    with np.errstate(invalid="ignore"):
        return ~(np.abs(analytic - numeric) <= NUMERIC_RTOL * (np.abs(numeric) + scale) + NUMERIC_ATOL)


def check_leaves_numerically(got: GraphRun, graph: Graph, *, case: str) -> None:
    """Check the leaves' ``.grad`` against central differences of the candidate's own forward.

    ``case`` ends the description of the check, e.g. ``after out.backward()``.
    """
    checked = f"Value.grad of the leaves against central differences of your own forward, {case}"
    leaves = graph.leaves
    analytic = numbers([got.grads[leaf.index] for leaf in leaves], leaves, "grad", checked)
    numeric = numeric_leaf_gradients(got, graph, checked)
    bad = disagrees_with_numeric(analytic, numeric)
    if not bad.any():
        return
    worst = int(np.argmax(np.where(bad, np.abs(analytic - numeric), -1.0)))
    fail(
        checked,
        "your gradients to match the numerical gradients of your forward",
        f"they differ at {int(bad.sum())} of {len(leaves)} leaves",
        f"worst leaf: {leaves[worst].name}.grad = {format_number(analytic[worst])}, central differences give "
        f"{format_number(numeric[worst])}",
        "your gradients match the reference, so backward is right for the correct forward",
        *graph.listing(),
        diagnosis="your forward is wrong: fix the forward tests first; backward follows the correct formulas, "
                  "so it disagrees with a forward that computes something else",
        kind="forward",
    )


def numeric_note(got: GraphRun, want: GraphRun, graph: Graph) -> str | None:
    """Say whether the candidate's leaf gradients are right, or at least match its own forward."""
    leaves = graph.leaves
    try:
        analytic = numbers([got.grads[leaf.index] for leaf in leaves], leaves, "grad", "")
        numeric = numeric_leaf_gradients(got, graph, "")
    except CheckFailed:
        return None
    expected = np.array([float(want.grads[leaf.index]) for leaf in leaves])
    if not _wrong(analytic, expected).any():
        return "the leaves' gradients are right; only intermediate nodes have a wrong .grad"
    if disagrees_with_numeric(analytic, numeric).any():
        return "central differences of your own forward disagree with your gradients too: the bug is in backward"
    return ("your gradients match central differences of your own forward, so backward is consistent with "
            "forward: the bug is in forward (see the forward tests)")


def with_note(failure: CheckFailed, note: str | None) -> CheckFailed:
    """Return the failure with one more line of details."""
    if not note:
        return failure
    mismatch = failure.mismatch
    return CheckFailed(Mismatch(mismatch.checked, mismatch.expected, mismatch.received,
                                (*mismatch.details[:1], note, *mismatch.details[1:]),
                                mismatch.diagnosis, mismatch.kind))


# --- random graphs ----------------------------------------------------------------

#: Largest magnitude of a node used as an operand, so values and gradients stay moderate.
MAX_OPERAND = 4.0

#: Exponents of ``**``: integers work on any base, fractions need a positive one.
INTEGER_EXPONENTS = (2, 3, -1, -2)
FRACTIONAL_EXPONENTS = (0.5, 1.5, -0.5, 2.5)


def _eligible(op: str, value: float, position: int = 0, exponent: float | None = None) -> bool:
    """Return whether a node of this value is a safe operand at ``position`` of ``op``."""
    size = abs(value)
    if size > MAX_OPERAND:
        return False
    if op == "/" and position == 1:
        return size >= 0.4
    if op == "**":
        if float(exponent).is_integer():
            return 0.4 <= size <= 2.5
        return 0.3 <= value <= 3.0
    if op == "relu":
        return size >= 0.1  # central differences must not straddle the kink at 0
    if op == "exp":
        return size <= 2.0
    if op == "log":
        return 0.2 <= value <= 6.0
    return True


def random_graph(rng: np.random.Generator, *, leaves: int = 3, operations: int = 16,
                 ops: Sequence[str] = (*BINARY, "neg", *METHODS)) -> Graph:
    """Draw a graph with one root that uses every op in ``ops`` at least once.

    Operands favour recent nodes (so the graph is deep) but any earlier node
    may be picked again (so nodes are reused). Numbers appear on either side
    of binary operators. Every node that nothing else uses is summed into the
    root, so every node affects it.
    """
    graph = Graph()
    # One leaf in [0.5, 1.5] is a safe operand of every op, so a choice always exists.
    graph.leaf(float(rng.uniform(0.5, 1.5)))
    for _ in range(leaves - 1):
        graph.leaf(float(rng.choice([-1, 1]) * rng.uniform(0.3, 2.0)))
    schedule = list(ops) + [str(op) for op in rng.choice(list(ops), size=max(operations - len(ops), 0))]
    rng.shuffle(schedule)
    for op in schedule:
        _add_random_operation(rng, graph, op)
    unused = [node for node in graph.nodes if graph.uses(node) == 0]
    total = unused[0]
    for position, node in enumerate(unused[1:], start=2):
        total = graph.apply("+", total, node, name="out" if position == len(unused) else None)
    if len(unused) == 1:  # the last operation is the only unused node, so no other node refers to it
        total = graph.nodes[-1] = replace(total, name="out")
    graph.root(total)
    return graph


def _add_random_operation(rng: np.random.Generator, graph: Graph, op: str) -> Node:
    if op == "**":
        exponents = INTEGER_EXPONENTS if rng.random() < 0.5 else FRACTIONAL_EXPONENTS
        exponent = exponents[int(rng.integers(len(exponents)))]
        return graph.apply(op, _pick(rng, graph, op, 0, exponent), exponent)
    if op not in BINARY:
        return graph.apply(op, _pick(rng, graph, op))
    number = _number(rng)
    form = rng.random()
    if form < 0.2:
        return graph.apply(op, number, _pick(rng, graph, op, 1))  # number on the left: 2 - v
    if form < 0.4:
        return graph.apply(op, _pick(rng, graph, op, 0), number)  # number on the right: v / 2
    for _ in range(20):
        left, right = _pick(rng, graph, op, 0), _pick(rng, graph, op, 1)
        value = EVALUATE[op](left.value, right.value)
        # x - x, x / x or (-x) / x would be a constant that hides the leaves' gradients.
        if left is not right and abs(value) <= 2 * MAX_OPERAND and value not in (0.0, 1.0, -1.0):
            return graph.apply(op, left, right)
    return graph.apply(op, graph.nodes[0], number)  # the first leaf is a safe operand of every op


def _number(rng: np.random.Generator) -> int | float:
    """Draw a plain-number operand: an int or a float of magnitude 0.5 to 2.5, either sign."""
    if rng.random() < 0.5:
        return int(rng.choice([-2, -1, 2, 3]))
    return round(float(rng.choice([-1, 1]) * rng.uniform(0.5, 2.5)), 3)


def _pick(rng: np.random.Generator, graph: Graph, op: str, position: int = 0,
          exponent: float | None = None) -> Node:
    """Pick an eligible earlier node, favouring recent ones."""
    eligible = [node for node in graph.nodes if _eligible(op, node.value, position, exponent)]
    weights = np.array([1.0 + node.index for node in eligible])
    return eligible[int(rng.choice(len(eligible), p=weights / weights.sum()))]
