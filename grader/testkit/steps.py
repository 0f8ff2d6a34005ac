"""Build the requests that suites send to both sides.

A suite describes what to do once, as a :class:`Steps` list, and runs that
same list on the candidate (in the worker) and on the reference (in the
grader). Each builder method returns a :class:`Ref` to its step's result, so a
later step can use it as an argument and the test can read it afterwards::

    steps = Steps()
    layer = steps.new("Linear", 3, 5)
    steps.set_params(layer, {"W": W, "b": b})
    out = steps.call(layer, "forward", x)
    got = candidate.run(steps)
    got[out]          # the candidate's output, as plain data
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ..worker.protocol import Ref


@dataclass(frozen=True)
class Step:
    """One step: the message sent to a side and the label used in messages."""

    message: dict
    label: str


class Steps:
    """An ordered list of steps, built with the methods below."""

    def __init__(self) -> None:
        self._steps: list[Step] = []
        self._labels: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def label_of(self, ref: Ref) -> str:
        """Return the label of the object a ref points at, e.g. ``Linear``."""
        return self._labels.get(ref.index, "the object")

    def name(self, ref: Ref, label: str) -> None:
        """Call the object a ref points at ``label`` in later messages, e.g. ``(x0 * x1)``."""
        self._labels[ref.index] = label

    def _add(self, message: dict, label: str, *, reply: bool = True, names: str | None = None) -> Ref:
        if not reply:
            message["reply"] = "none"
        self._steps.append(Step(message, label))
        ref = Ref(len(self._steps) - 1)
        if names is not None:
            self._labels[ref.index] = names
        return ref

    # -- building blocks --------------------------------------------------

    def const(self, value: Any, label: str = "an input") -> Ref:
        """Place a value on the side, so later steps can use (and mutate) that copy."""
        return self._add({"op": "const", "value": value}, label, reply=False)

    def read(self, ref: Ref, label: str | None = None) -> Ref:
        """Read back the current value of an earlier result (e.g. an input after a call)."""
        return self._add({"op": "const", "value": ref}, label or "a value")

    def rng(self, seed: int | list[int]) -> Ref:
        """Make ``numpy.random.default_rng(seed)`` on the side, e.g. to pass as ``rng=``.

        Both sides get generators in the same state, so code that follows a
        fixed sampling rule (such as dropout's mask) draws the same numbers.
        """
        return self._add({"op": "rng", "seed": seed}, "numpy.random.default_rng", reply=False)

    def module(self, name: str) -> Ref:
        """Look up a name defined by the module (a class or a function)."""
        return self._add({"op": "module", "name": name}, name, reply=False, names=name)

    def new(self, class_name: str, *args: Any, **kwargs: Any) -> Ref:
        """Construct ``class_name(*args, **kwargs)`` from the module."""
        cls = self.module(class_name)
        return self._add(
            {"op": "call", "target": cls, "args": list(args), "kwargs": kwargs},
            f"{class_name}.__init__",
            reply=False,
            names=class_name,
        )

    def function(self, name: str, *args: Any, reply: bool = True, **kwargs: Any) -> Ref:
        """Call the module-level function ``name``."""
        target = self.module(name)
        return self._add(
            {"op": "call", "target": target, "args": list(args), "kwargs": kwargs},
            name,
            reply=reply,
        )

    def call(self, target: Ref, method: str, *args: Any, reply: bool = True, **kwargs: Any) -> Ref:
        """Call ``target.method(*args, **kwargs)``."""
        return self._add(
            {"op": "call", "target": target, "name": method, "args": list(args), "kwargs": kwargs},
            f"{self.label_of(target)}.{method}",
            reply=reply,
        )

    def get(self, target: Ref, attribute: str, *, reply: bool = True) -> Ref:
        """Read ``target.attribute``."""
        return self._add(
            {"op": "getattr", "target": target, "name": attribute},
            f"{self.label_of(target)}.{attribute}",
            reply=reply,
        )

    def set(self, target: Ref, attribute: str, value: Any) -> Ref:
        """Assign ``target.attribute = value``."""
        return self._add(
            {"op": "setattr", "target": target, "name": attribute, "value": value},
            f"setting {self.label_of(target)}.{attribute}",
            reply=False,
        )

    def getitem(self, target: Ref, key: Any, label: str, *, reply: bool = True) -> Ref:
        """Read ``target[key]``."""
        return self._add({"op": "getitem", "target": target, "key": key}, label, reply=reply)

    def setitem(self, target: Ref, key: Any, value: Any, label: str) -> Ref:
        """Assign ``target[key] = value`` (in place for arrays)."""
        return self._add(
            {"op": "setitem", "target": target, "key": key, "value": value}, label, reply=False
        )

    def binop(self, operator: str, left: Any, right: Any, *, reply: bool = False,
              label: str | None = None) -> Ref:
        """Evaluate ``left <operator> right`` with Python's operator rules.

        ``label`` names the step and its result in messages, e.g. ``(2 - v)``.
        """
        return self._add(
            {"op": "binop", "operator": operator, "left": left, "right": right},
            label or f"the {operator} operator",
            reply=reply,
            names=label,
        )

    def unop(self, operator: str, operand: Any, *, reply: bool = False, label: str | None = None) -> Ref:
        """Evaluate ``<operator> operand``; ``label`` names the step and its result in messages."""
        return self._add(
            {"op": "unop", "operator": operator, "operand": operand},
            label or f"unary {operator}",
            reply=reply,
            names=label,
        )

    def chain(self, start: Any, links: list[tuple[str, Any]], *, times: int = 1, reply: bool = False,
              label: str | None = None) -> Ref:
        """Evaluate ``start op1 a1 op2 a2 ...`` left to right, going through ``links`` ``times`` times.

        ``links`` is ``[(op1, a1), (op2, a2), ...]`` with Python's binary
        operators. One step builds a long expression, such as an unrolled
        recurrence ``v = v * w + b`` 10,000 autograd nodes deep, without a
        step per operation. ``label`` names the step and its result.
        """
        return self._add(
            {"op": "chain", "start": start, "links": [[operator, operand] for operator, operand in links],
             "times": times},
            label or f"a chain of {times * len(links)} operations",
            reply=reply,
            names=label,
        )

    # -- layer helpers ----------------------------------------------------

    def set_params(self, layer: Ref, params: Mapping[str, Any]) -> None:
        """Write each array into ``layer.params[name]`` in place (``[...] = value``).

        In-place writes reach the arrays a layer uses whether it reads them
        from ``params`` or keeps its own reference to the same array.
        """
        owner = self.get(layer, "params", reply=False)
        for name, value in params.items():
            array = self.getitem(owner, name, f"{self.label_of(layer)}.params[{name!r}]", reply=False)
            self.setitem(array, Ellipsis, value, f"writing {self.label_of(layer)}.params[{name!r}]")


class Results:
    """The replies of one run of :class:`Steps` on one side, read by ref."""

    def __init__(self, values: list[Any], warnings: list[list[dict]]):
        self._values = values
        self._warnings = warnings

    def __getitem__(self, ref: Ref) -> Any:
        return self._values[ref.index]

    def warnings(self, ref: Ref) -> list[dict]:
        """Return the warnings raised while that step ran."""
        return self._warnings[ref.index]

    def all_warnings(self) -> list[dict]:
        """Return every warning raised during the run."""
        return [w for step in self._warnings for w in step]
