"""Entry point of a worker process: load a submission and run steps on it.

Started by the grader as ``python main.py READ_FD WRITE_FD MEMORY_BYTES``.
The script runs with this folder as ``sys.path[0]``, imports only numpy and
its sibling modules, then takes that folder off ``sys.path`` before any
submission code runs.

Every reply is plain data (see ``protocol``). The worker trusts nothing and
is trusted with nothing: the grader checks every number it sends.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import sys
import threading
import time
import tokenize
import traceback
import types

import numpy as np
from interpreter import Interpreter, StepError, StepResult, _truncate
from notebook import load_notebook
from protocol import ProtocolError, decode, encode, read_frame, write_frame

#: Top-level packages of Forge itself; a submission may not import them.
FORGE_PACKAGES = ("grader", "solutions", "exercises")


class ForgeImportBlocker(importlib.abc.MetaPathFinder):
    """Reject imports of Forge's own packages, whose solutions a submission must not use.

    The names are rejected wherever they would be found (a checkout, an
    editable install, site-packages), except in the submission's own folder,
    whose files it may import whatever their names.
    """

    def __init__(self) -> None:
        self.allowed_dir: str | None = None

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in FORGE_PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        origin = os.path.realpath(spec.origin) if spec and spec.origin else ""
        if self.allowed_dir and origin.startswith(self.allowed_dir + os.sep):
            return None
        raise ImportError(
            f"a submission may import numpy, the standard library and files in "
            f"its own folder; {name!r} is part of Forge itself"
        )


BLOCKER = ForgeImportBlocker()


def apply_limits(memory_bytes: int) -> None:
    """Cap this process's address space and disable core dumps (Linux and macOS)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows has no resource module
        return
    if memory_bytes > 0:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        except (ValueError, OSError):
            pass  # NOTE: macOS rejects RLIMIT_AS; the grader's timeout still applies.
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass


def load_submission(path: str, module_name: str):
    """Import the submission (a .py file or a notebook) as ``module_name``, its folder on sys.path."""
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    BLOCKER.allowed_dir = os.path.realpath(folder)
    if path.endswith(".ipynb"):
        module = types.ModuleType(module_name)
        module.__file__ = path
        sys.modules[module_name] = module
        load_notebook(path, module)
        return module, folder
    check_encoding(path)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module, folder


def check_encoding(path: str) -> None:
    """Raise SyntaxError, as ``python FILE`` does, unless the file decodes in its PEP 263 encoding.

    The encoding is UTF-8 unless a coding line in the first two lines names
    another (``tokenize.detect_encoding``). Python 3.11's import system
    compiles the raw bytes and lets invalid UTF-8 inside comments through,
    so without this check a file that ``python FILE`` rejects would load.
    """
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if "invalid or missing encoding declaration" not in str(error):  # an unknown or contradictory coding line
            raise SyntaxError(str(error), (path, 1, 0, "")) from None
        encoding = "utf-8"  # bytes that are not UTF-8 in the first two lines: reported below
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        line, byte = data.count(b"\n", 0, error.start) + 1, data[error.start]
    else:
        return
    if encoding.startswith("utf-8"):
        message = (f"Non-UTF-8 code starting with '\\x{byte:02x}', and no other encoding declared; save the "
                   "file as UTF-8, or declare its encoding with a line such as '# -*- coding: latin-1 -*-' (PEP 263)")
    else:
        message = f"byte 0x{byte:02x} is not valid {encoding}, the encoding that the file's coding line declares"
    raise SyntaxError(message, (path, line, 0, ""))


def describe_load_error(error: BaseException, path: str) -> dict:
    """Describe an import failure, pointing at the submission's own file and line."""
    info = {
        "kind": "load",
        "type": type(error).__name__,
        "message": _truncate(str(error) if not isinstance(error, SystemExit) else
                             f"exit status {error.code!r}"),
        "frames": [],
    }
    if isinstance(error, SyntaxError):
        info["message"] = error.msg or "invalid syntax"
        info["frames"] = [
            {
                "file": error.filename or path,
                "line": error.lineno or 0,
                "function": "<module>",
                "code": (error.text or "").rstrip("\n")[:300],
            }
        ]
        return info
    folder = os.path.dirname(os.path.realpath(path))
    for frame in traceback.extract_tb(error.__traceback__):
        in_cell = frame.filename.startswith("<cell ")
        if in_cell or os.path.realpath(frame.filename).startswith(folder + os.sep):
            info["frames"].append(
                {
                    "file": frame.filename,
                    "line": frame.lineno or 0,
                    "function": frame.name,
                    "code": (frame.line or "")[:300],
                }
            )
    return info


class ReplyBatch:
    """Gather step replies into few frames.

    Replies go out together at the end of a request. While a request runs, a
    watcher thread also sends the replies gathered so far once
    ``FLUSH_SECONDS`` have passed, with the index of the step now running.
    The grader thus gets progress during long requests, and when a call
    hangs it can name that call.
    """

    FLUSH_SECONDS = 0.05

    def __init__(self, send):
        self._send = send
        self._lock = threading.Lock()
        self._replies: list[dict] = []
        self._running = 0
        self._last = time.monotonic()
        self._open = True

    def starting(self, index: int) -> None:
        self._running = index

    def add(self, result: StepResult) -> None:
        reply = {"ok": result.value}
        if result.warnings:
            reply["warnings"] = result.warnings
        with self._lock:
            self._replies.append(reply)

    def flush_if_due(self) -> bool:
        """Send pending replies if the last frame is old; return False once finished."""
        with self._lock:
            if not self._open:
                return False
            if self._replies and time.monotonic() - self._last >= self.FLUSH_SECONDS:
                self._flush()
            return True

    def finish(self, error: dict | None = None) -> None:
        with self._lock:
            self._open = False
            self._flush(error)

    def _flush(self, error: dict | None = None) -> None:
        message = {"replies": self._replies, "running": self._running}
        if error is not None:
            message["error"] = error
        self._send(message)
        self._replies = []
        self._last = time.monotonic()


def watch(worker: "Worker") -> None:
    """Flush the current request's replies every ``FLUSH_SECONDS`` (runs in a thread)."""
    while True:
        time.sleep(ReplyBatch.FLUSH_SECONDS)
        batch = worker.batch
        if batch is not None:
            batch.flush_if_due()


class Worker:
    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.interpreter: Interpreter | None = None
        self.batch: ReplyBatch | None = None
        threading.Thread(target=watch, args=(self,), daemon=True, name="forge-reply-watcher").start()

    def send(self, message) -> None:
        try:
            frame = encode(message)
        except ProtocolError as error:
            frame = encode({"error": {"kind": "conversion", "type": "TypeError",
                                      "message": str(error)}})
        write_frame(self.write_fd, frame)

    def serve(self) -> None:
        self.send({"ready": True})
        while True:
            request = decode(read_frame(self.read_fd))
            if not isinstance(request, dict):
                raise ProtocolError("request is not a dict")
            command = request.get("cmd")
            if command == "exit":
                return
            if command == "load":
                self.load(request)
            elif command == "run":
                if request.get("release") and self.interpreter is not None:
                    self.interpreter.release()  # the objects of the previous test
                self.run(request.get("steps"))
            else:
                raise ProtocolError(f"unknown command {command!r}")

    def load(self, request: dict) -> None:
        path, name = request.get("path"), request.get("name")
        try:
            module, folder = load_submission(path, name)
        except BaseException as error:  # noqa: BLE001 - any import failure is reported
            self.send({"error": describe_load_error(error, path)})
            return
        self.interpreter = Interpreter(module, folder)
        public = sorted(n for n in vars(module) if not n.startswith("_"))
        self.send({"ok": {"names": public}})

    def run(self, steps) -> None:
        if self.interpreter is None or not isinstance(steps, list):
            raise ProtocolError("run before load, or steps are not a list")

        batch = ReplyBatch(self.send)
        self.batch = batch
        try:
            self.interpreter.run(steps, batch.add, on_start=batch.starting)
        except StepError as error:
            batch.finish(error=error.info)
        else:
            batch.finish()
        finally:
            self.batch = None


def main(argv: list[str]) -> int:
    read_fd, write_fd, memory_bytes = int(argv[1]), int(argv[2]), int(argv[3])
    worker_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != worker_dir]
    sys.meta_path.insert(0, BLOCKER)
    np.seterr(all="warn", under="ignore")
    apply_limits(memory_bytes)
    Worker(read_fd, write_fd).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
