"""Run a request's steps against a module: the same code on both sides.

A request is a list of steps such as "call ``forward`` on the object made by
step 0 with this array". The worker runs them against the candidate's module;
the grader runs the very same steps in-process against the reference module.
Both sides turn results into plain data with :func:`to_plain`, so the suites
compare like with like and never touch a candidate object directly.

Imported as ``grader.worker.interpreter`` by the grader and as
``interpreter`` inside the worker process.
"""

from __future__ import annotations

import operator
import os
import traceback
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import numpy as np

try:  # inside the worker process the package prefix is absent
    from .protocol import MAX_DEPTH, NUMERIC_KINDS, Handle, ProtocolError, Ref
except ImportError:  # pragma: no cover - exercised in the worker process
    from protocol import MAX_DEPTH, NUMERIC_KINDS, Handle, ProtocolError, Ref

BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "@": operator.matmul,
}
UNARY_OPERATORS: dict[str, Callable[[Any], Any]] = {"-": operator.neg, "+": operator.pos}

MAX_MESSAGE_CHARS = 2000
MAX_TRACEBACK_FRAMES = 8
MAX_WARNINGS = 5


class StepError(Exception):
    """A step failed; ``info`` is the plain-data description sent to the grader."""

    def __init__(self, info: dict):
        super().__init__(info.get("message", ""))
        self.info = info


class ConversionError(Exception):
    """A result has no plain-data form, e.g. an array of strings."""


@dataclass
class StepResult:
    value: Any
    warnings: list[dict]


class Interpreter:
    """Holds a loaded module and the objects it made, and runs steps on them."""

    def __init__(self, module: ModuleType, source_dir: str | None):
        self.module = module
        self.source_dir = os.path.realpath(source_dir) if source_dir else None
        self._objects: dict[int, Any] = {}
        self._next_id = 1

    def release(self) -> None:
        """Forget every object handed out so far, so memory can be reclaimed."""
        self._objects.clear()

    def run(self, steps: list, on_result: Callable[[StepResult], None],
            on_start: Callable[[int], None] | None = None) -> None:
        """Run ``steps`` in order, passing each step's result to ``on_result``.

        ``on_start`` is told the index of each step before it runs. Raises
        :class:`StepError` at the first failing step.
        """
        registers: list[Any] = []
        for index, step in enumerate(steps):
            if on_start is not None:
                on_start(index)
            value, caught = self._run_step(step, registers, index)
            registers.append(value)
            reply = self._reply(step, value, index)
            on_result(StepResult(reply, caught))

    def _reply(self, step: dict, value: Any, index: int) -> Any:
        if step.get("reply", "value") == "none":
            return None
        try:
            return self.to_plain(value)
        except ConversionError as error:
            raise StepError(
                {"kind": "conversion", "step": index, "type": "TypeError", "message": str(error)}
            ) from None

    def _run_step(self, step: Any, registers: list, index: int) -> tuple[Any, list[dict]]:
        if not isinstance(step, dict) or not isinstance(step.get("op"), str):
            raise ProtocolError(f"step {index} is malformed")
        op = step["op"]
        if op == "const":
            return self._resolve(step.get("value"), registers), []
        if op == "module":
            return self._module_attribute(step.get("name"), index), []
        if op == "rng":
            return np.random.default_rng(_seed_of(step.get("seed"))), []
        action = self._action(op, step, registers)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = action()
            except BaseException as error:  # noqa: BLE001 - submissions may raise anything
                raise StepError(self._describe_error(error, index)) from None
        return value, [_describe_warning(w) for w in caught[:MAX_WARNINGS]]

    def _action(self, op: str, step: dict, registers: list) -> Callable[[], Any]:
        resolve = lambda key: self._resolve(step.get(key), registers)  # noqa: E731
        if op == "call":
            target, name = resolve("target"), step.get("name")
            args, kwargs = resolve("args") or [], resolve("kwargs") or {}
            if name is None:
                return lambda: target(*args, **kwargs)
            return lambda: getattr(target, name)(*args, **kwargs)
        if op == "getattr":
            target = resolve("target")
            return lambda: getattr(target, step["name"])
        if op == "setattr":
            target, value = resolve("target"), resolve("value")
            return lambda: setattr(target, step["name"], value)
        if op == "getitem":
            target, key = resolve("target"), resolve("key")
            return lambda: target[key]
        if op == "setitem":
            target, key, value = resolve("target"), resolve("key"), resolve("value")
            return lambda: target.__setitem__(key, value)
        if op == "binop" and step.get("operator") in BINARY_OPERATORS:
            function = BINARY_OPERATORS[step["operator"]]
            left, right = resolve("left"), resolve("right")
            return lambda: function(left, right)
        if op == "unop" and step.get("operator") in UNARY_OPERATORS:
            function = UNARY_OPERATORS[step["operator"]]
            operand = resolve("operand")
            return lambda: function(operand)
        if op == "chain":
            start, links, times = resolve("start"), resolve("links"), step.get("times", 1)
            if not isinstance(links, list) or not all(
                isinstance(link, list) and len(link) == 2 and link[0] in BINARY_OPERATORS for link in links
            ):
                raise ProtocolError("a chain step needs a list of [operator, operand] pairs")
            if not isinstance(times, int) or isinstance(times, bool) or times < 0:
                raise ProtocolError("a chain step needs a non-negative integer count of times")
            return lambda: _evaluate_chain(start, links, times)
        raise ProtocolError(f"unknown step {op!r}")

    def _module_attribute(self, name: Any, index: int) -> Any:
        if not isinstance(name, str):
            raise ProtocolError("module step needs a name")
        try:
            return getattr(self.module, name)
        except AttributeError:
            raise StepError(
                {
                    "kind": "missing",
                    "step": index,
                    "type": "AttributeError",
                    "message": f"the module defines no {name!r}",
                    "name": name,
                }
            ) from None

    def _resolve(self, value: Any, registers: list, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("arguments nested too deeply")
        if isinstance(value, Ref):
            if not 0 <= value.index < len(registers):
                raise ProtocolError(f"reference to unknown step {value.index}")
            return registers[value.index]
        if isinstance(value, Handle):
            if value.id not in self._objects:
                raise ProtocolError(f"unknown object handle {value.id}")
            return self._objects[value.id]
        if isinstance(value, list):
            return [self._resolve(item, registers, depth + 1) for item in value]
        if isinstance(value, tuple):
            return tuple(self._resolve(item, registers, depth + 1) for item in value)
        if isinstance(value, dict):
            return {k: self._resolve(v, registers, depth + 1) for k, v in value.items()}
        return value

    def to_plain(self, value: Any, depth: int = 0) -> Any:
        """Turn a result into plain data; other objects stay here behind a handle."""
        if depth > MAX_DEPTH:
            raise ConversionError(f"result nested deeper than {MAX_DEPTH} levels")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, (np.ndarray, np.generic)):
            return _plain_array(value)
        if isinstance(value, list):
            return [self.to_plain(item, depth + 1) for item in value]
        if isinstance(value, tuple):
            return tuple(self.to_plain(item, depth + 1) for item in value)
        if isinstance(value, dict):
            return {self._plain_key(k): self.to_plain(v, depth + 1) for k, v in value.items()}
        return self._keep(value)

    def _plain_key(self, key: Any) -> Any:
        if isinstance(key, (str, int, bool)) or key is None:
            return key
        raise ConversionError(f"a dict key of type {type(key).__name__} is not supported")

    def _keep(self, value: Any) -> Handle:
        handle_id = self._next_id
        self._next_id += 1
        self._objects[handle_id] = value
        return Handle(handle_id, type(value).__name__)

    def _describe_error(self, error: BaseException, index: int) -> dict:
        kind = "exception"
        if isinstance(error, SystemExit):
            kind = "exit"
        elif isinstance(error, MemoryError):
            kind = "memory"
        elif isinstance(error, NotImplementedError):
            kind = "not-implemented"
        return {
            "kind": kind,
            "step": index,
            "type": type(error).__name__,
            "message": _truncate(_exception_text(error)),
            "frames": self._candidate_frames(error),
        }

    def _candidate_frames(self, error: BaseException) -> list[dict]:
        frames = []
        for frame in traceback.extract_tb(error.__traceback__):
            if not self._is_candidate_file(frame.filename):
                continue
            frames.append(
                {
                    "file": frame.filename,
                    "line": frame.lineno or 0,
                    "function": frame.name,
                    "code": _truncate(frame.line or "", 300),
                }
            )
        return frames[-MAX_TRACEBACK_FRAMES:]

    def _is_candidate_file(self, filename: str) -> bool:
        if filename.startswith("<cell"):
            return True
        if self.source_dir is None:
            return False
        return os.path.realpath(filename).startswith(self.source_dir + os.sep)


def _evaluate_chain(start: Any, links: list, times: int) -> Any:
    """Apply the ``[operator, operand]`` links to the running value, left to right, ``times`` times over."""
    value = start
    for _ in range(times):
        for operator_name, operand in links:
            value = BINARY_OPERATORS[operator_name](value, operand)
    return value


def _seed_of(seed: Any) -> int | list[int]:
    if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0:
        return seed
    if isinstance(seed, list) and seed and all(isinstance(s, int) and s >= 0 for s in seed):
        return seed
    raise ProtocolError("an rng step needs a non-negative integer seed or a list of them")


def _plain_array(value: np.ndarray | np.generic) -> np.ndarray:
    array = np.array(value, copy=True, subok=False)
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ConversionError(
                "an array of Python objects could not be converted to numbers"
            ) from None
    if array.dtype.kind not in NUMERIC_KINDS or array.dtype.fields is not None:
        raise ConversionError(f"an array of dtype {array.dtype} is not numeric")
    return array


def _exception_text(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"exit status {error.code!r}"
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break the worker
        return "<the exception's message could not be read>"


def _describe_warning(caught: warnings.WarningMessage) -> dict:
    return {
        "category": getattr(caught.category, "__name__", "Warning"),
        "message": _truncate(str(caught.message), 300),
        "file": str(caught.filename),
        "line": int(caught.lineno or 0),
    }


def _truncate(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
