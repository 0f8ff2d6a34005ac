"""Messages between the grader and a worker: plain data and raw numeric arrays.

The grader never unpickles anything a worker sends. A message is one frame:

    8-byte big-endian length of the rest | 4-byte length of the JSON header |
    JSON header | array buffers, back to back

The JSON header holds the data tree. Arrays inside it are replaced by
``{"$array": i, "dtype": "<f8", "shape": [...]}`` pointing at the i-th raw
buffer. Only boolean, integer, float and complex dtypes are accepted, so a
frame can carry numbers, strings and containers of them, never code.

This module is imported by the grader as ``grader.worker.protocol`` and by
the worker process as ``protocol``; it depends on numpy and the standard
library only.
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Largest frame either side accepts (bytes). A reply past it is an error, so a
#: submission cannot make the grader allocate without bound.
MAX_FRAME_BYTES = 512 * 1024 * 1024

#: Deepest nesting of containers a message may have.
MAX_DEPTH = 64

NUMERIC_KINDS = frozenset("biufc")

_LENGTH = struct.Struct(">Q")
_HEADER_LENGTH = struct.Struct(">I")


class ProtocolError(Exception):
    """A frame that is malformed, too large, or carries a value of no plain type."""


@dataclass(frozen=True)
class Handle:
    """A reference to an object that lives in the worker (or the reference side).

    Objects that are not plain data, such as a candidate's ``Value`` node,
    stay where they were made; the other side holds only this reference.
    """

    id: int
    type_name: str


@dataclass(frozen=True)
class Ref:
    """The result of an earlier step of the same request, used as an argument."""

    index: int


# --- encoding ---------------------------------------------------------------


def encode(message: Any) -> bytes:
    """Serialise a plain-data message (see module docstring) into one frame."""
    buffers: list[bytes] = []
    tree = _to_json_tree(message, buffers, depth=0)
    header = json.dumps(tree, separators=(",", ":"), allow_nan=True).encode("utf-8")
    body = _HEADER_LENGTH.pack(len(header)) + header + b"".join(buffers)
    if len(body) > MAX_FRAME_BYTES:
        raise ProtocolError(
            f"message of {len(body)} bytes exceeds the limit of {MAX_FRAME_BYTES} bytes"
        )
    return _LENGTH.pack(len(body)) + body


def _to_json_tree(value: Any, buffers: list[bytes], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ProtocolError(f"data nested deeper than {MAX_DEPTH} levels")
    kind = type(value)  # exact types first: they are almost all of a message
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if kind is float:
        return _float_to_json(value)
    if kind is dict:
        return _dict_to_json(value, buffers, depth)
    if kind is list:
        return [_to_json_tree(item, buffers, depth + 1) for item in value]
    if kind is np.ndarray:
        return _array_to_json(value, buffers)
    if kind is Ref:
        return {"$ref": value.index}
    if kind is tuple:
        return {"$tuple": [_to_json_tree(item, buffers, depth + 1) for item in value]}
    return _other_to_json(value, buffers, depth)


def _dict_to_json(value: dict, buffers: list[bytes], depth: int) -> dict:
    # A dict whose keys are plain strings travels as a JSON object; any other
    # dict as a list of pairs, so no key can pass for a "$" tag.
    if all(type(key) is str and not key.startswith("$") for key in value):
        return {key: _to_json_tree(item, buffers, depth + 1) for key, item in value.items()}
    return {
        "$dict": [
            [_to_json_tree(k, buffers, depth + 1), _to_json_tree(v, buffers, depth + 1)]
            for k, v in value.items()
        ]
    }


def _other_to_json(value: Any, buffers: list[bytes], depth: int) -> Any:
    """Encode subclasses of the plain types and the rarer tagged values."""
    if isinstance(value, (bool, str)):
        return bool(value) if isinstance(value, bool) else str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _float_to_json(float(value))
    if isinstance(value, np.ndarray):
        return _array_to_json(value, buffers)
    if isinstance(value, Handle):
        return {"$handle": value.id, "type": value.type_name}
    if isinstance(value, list):
        return [_to_json_tree(item, buffers, depth + 1) for item in value]
    if isinstance(value, tuple):
        return {"$tuple": [_to_json_tree(item, buffers, depth + 1) for item in value]}
    if isinstance(value, dict):
        return _dict_to_json(dict(value), buffers, depth)
    if value is Ellipsis:
        return {"$ellipsis": True}
    if isinstance(value, slice):
        return {"$slice": [value.start, value.stop, value.step]}
    raise ProtocolError(f"cannot send a value of type {type(value).__name__}")


def _float_to_json(value: float) -> Any:
    # JSON has no NaN or infinity; Python's json writes them as bare words,
    # which both ends here read back.
    return float(value) if math.isfinite(value) else {"$float": repr(float(value))}


def _array_to_json(array: np.ndarray, buffers: list[bytes]) -> dict:
    if array.dtype.kind not in NUMERIC_KINDS or array.dtype.fields is not None:
        raise ProtocolError(f"cannot send an array of dtype {array.dtype}")
    contiguous = np.ascontiguousarray(array)
    buffers.append(contiguous.tobytes())
    return {
        "$array": len(buffers) - 1,
        "dtype": contiguous.dtype.str,
        # ascontiguousarray turns a 0-d array into shape (1,), so the shape comes from the original.
        "shape": list(array.shape),
    }


# --- decoding ---------------------------------------------------------------


def decode(body: bytes) -> Any:
    """Parse a frame body (without its 8-byte length) back into plain data."""
    if len(body) < _HEADER_LENGTH.size:
        raise ProtocolError("frame too short")
    (header_length,) = _HEADER_LENGTH.unpack_from(body)
    start = _HEADER_LENGTH.size
    header_end = start + header_length
    if header_end > len(body):
        raise ProtocolError("frame header runs past the end of the frame")
    try:
        tree = json.loads(body[start:header_end].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ProtocolError(f"frame header is not valid JSON: {error}") from None
    decoder = _Decoder(memoryview(body)[header_end:])
    return decoder.value(tree, depth=0)


class _Decoder:
    def __init__(self, buffers: memoryview):
        self._buffers = buffers
        self._offset = 0
        self._next_index = 0

    def value(self, tree: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError(f"data nested deeper than {MAX_DEPTH} levels")
        kind = type(tree)  # json.loads makes only these types
        if kind is str or kind is int or kind is float or kind is bool or tree is None:
            return tree
        if kind is list:
            return [self.value(item, depth + 1) for item in tree]
        if kind is dict:
            if any(key.startswith("$") for key in tree):
                return self._tagged(tree, depth)
            return {key: self.value(item, depth + 1) for key, item in tree.items()}
        raise ProtocolError(f"unexpected JSON value {tree!r:.80}")

    def _tagged(self, tree: dict, depth: int) -> Any:
        if "$array" in tree:
            return self._array(tree)
        if "$tuple" in tree:
            return tuple(self.value(item, depth + 1) for item in _list(tree["$tuple"]))
        if "$dict" in tree:
            pairs = _list(tree["$dict"])
            result = {}
            for pair in pairs:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ProtocolError("malformed dict entry")
                key = self.value(pair[0], depth + 1)
                if not isinstance(key, (str, int, float, bool, tuple)) and key is not None:
                    raise ProtocolError(f"unhashable dict key of type {type(key).__name__}")
                result[key] = self.value(pair[1], depth + 1)
            return result
        if "$handle" in tree:
            handle_id, type_name = tree["$handle"], tree.get("type")
            if not isinstance(handle_id, int) or not isinstance(type_name, str):
                raise ProtocolError("malformed handle")
            return Handle(handle_id, type_name[:200])
        if "$ref" in tree:
            if not isinstance(tree["$ref"], int):
                raise ProtocolError("malformed reference")
            return Ref(tree["$ref"])
        if "$float" in tree:
            text = tree["$float"]
            if text not in ("nan", "inf", "-inf"):
                raise ProtocolError(f"malformed float {text!r:.40}")
            return float(text)
        if "$ellipsis" in tree:
            return Ellipsis
        if "$slice" in tree:
            parts = _list(tree["$slice"])
            if len(parts) != 3 or not all(p is None or isinstance(p, int) for p in parts):
                raise ProtocolError("malformed slice")
            return slice(*parts)
        raise ProtocolError(f"unknown tagged value {sorted(tree)[:3]}")

    def _array(self, tree: dict) -> np.ndarray:
        index, dtype_text, shape = tree.get("$array"), tree.get("dtype"), tree.get("shape")
        if index != self._next_index or not isinstance(dtype_text, str):
            raise ProtocolError("array buffers out of order")
        if not isinstance(shape, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise ProtocolError("malformed array shape")
        try:
            dtype = np.dtype(dtype_text)
        except TypeError:
            raise ProtocolError(f"unknown dtype {dtype_text!r:.40}") from None
        if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
            raise ProtocolError(f"dtype {dtype} is not a plain numeric type")
        size = dtype.itemsize * math.prod(shape)
        if size > len(self._buffers) - self._offset:
            raise ProtocolError("array buffer runs past the end of the frame")
        raw = self._buffers[self._offset : self._offset + size]
        self._offset += size
        self._next_index += 1
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise ProtocolError("malformed container")
    return value


# --- framing over file descriptors -------------------------------------------


class ChannelClosed(Exception):
    """The other end closed its side of the pipe (for a worker: it exited)."""


class ChannelTimeout(Exception):
    """No complete frame arrived before the deadline."""


def write_frame(fd: int, frame: bytes, deadline: float | None = None) -> None:
    """Write a whole frame to ``fd``, waiting at most until ``deadline`` (monotonic)."""
    view = memoryview(frame)
    while view:
        if deadline is not None:
            _wait(fd, deadline, for_write=True)
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise ChannelClosed() from None
        view = view[written:]


def read_frame(fd: int, deadline: float | None = None, limit: int = MAX_FRAME_BYTES) -> bytes:
    """Read one frame body from ``fd``; ``deadline`` is a ``time.monotonic()`` value."""
    (length,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline))
    if length > limit:
        raise ProtocolError(f"frame of {length} bytes exceeds the limit of {limit} bytes")
    return _read_exact(fd, length, deadline)


def _read_exact(fd: int, count: int, deadline: float | None) -> bytes:
    chunks = []
    remaining = count
    while remaining:
        if deadline is not None:
            _wait(fd, deadline, for_write=False)
        try:
            chunk = os.read(fd, min(remaining, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise ChannelClosed()
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _wait(fd: int, deadline: float, for_write: bool) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ChannelTimeout()
    readers, writers = ([], [fd]) if for_write else ([fd], [])
    ready = select.select(readers, writers, [], remaining)
    if not any(ready):
        raise ChannelTimeout()
