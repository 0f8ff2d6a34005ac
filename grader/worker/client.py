"""The grader's side of a worker: spawn it, send requests, enforce the limits.

A :class:`WorkerClient` owns one worker process at a time. When the process
times out, crashes or sends a malformed reply, the client kills it and the
next request starts a fresh one, so a fault costs the test that caused it and
nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .protocol import (
    ChannelClosed,
    ChannelTimeout,
    ProtocolError,
    decode,
    encode,
    read_frame,
    write_frame,
)

WORKER_SCRIPT = Path(__file__).with_name("main.py")
GIB = 1024**3

#: Seconds a new worker may take to import numpy and report ready.
STARTUP_SECONDS = 60.0

#: Environment for the worker: one BLAS thread (small arrays, predictable
#: memory), unbuffered output so a crash loses none of it, no bytecode files
#: written next to the submission.
WORKER_ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class Limits:
    """Limits applied to every worker."""

    timeout: float = 10.0
    """Seconds one call into the submission may run."""
    memory: int = 2 * GIB
    """Bytes of address space the worker may use."""


@dataclass(frozen=True)
class SourceFrame:
    """One line of the submission's own code in a traceback."""

    file: str
    line: int
    function: str
    code: str


@dataclass(frozen=True)
class Fault:
    """What went wrong in the submission, as far as the grader can tell."""

    kind: str
    """One of: exception, not-implemented, missing, exit, memory, conversion,
    load, timeout, crash, protocol, skipped."""
    type: str
    """The exception's class name, or a short label for faults with none."""
    message: str
    frames: tuple[SourceFrame, ...] = ()
    step: int | None = None
    """Index of the failing step within its request, when known."""
    output: str = ""
    """The tail of what the worker printed, for crashes."""


class SubmissionFault(Exception):
    """Raised in the grader when the submission failed to produce a result."""

    def __init__(self, fault: Fault):
        super().__init__(fault.message)
        self.fault = fault


class WorkerStartError(RuntimeError):
    """The worker process could not start; this is a problem of the machine, not the submission."""


@dataclass
class StepReply:
    value: Any
    warnings: list[dict] = field(default_factory=list)


Launcher = Callable[[Sequence[str]], list[str]]


class WorkerClient:
    """Runs steps against one submission file in a separate, limited process."""

    def __init__(
        self,
        path: Path,
        module_name: str,
        limits: Limits = Limits(),
        blocked_dirs: Sequence[Path] = (),
        launcher: Launcher | None = None,
    ):
        self.path = Path(path)
        self.module_name = module_name
        self.limits = limits
        self.blocked_dirs = [str(d) for d in blocked_dirs]
        self.launcher = launcher
        self.generation = 0
        self.names: list[str] | None = None
        self._process: subprocess.Popen | None = None
        self._to_worker: int | None = None
        self._from_worker: int | None = None
        self._output = tempfile.TemporaryFile()
        self._output_mark = 0
        self._ready = False

    # -- lifecycle --------------------------------------------------------

    def start(self) -> None:
        """Spawn the worker without waiting for it, so it imports numpy meanwhile."""
        if self._process is not None:
            return
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        command = [
            sys.executable,
            str(WORKER_SCRIPT),
            str(request_read),
            str(reply_write),
            str(self.limits.memory),
            os.pathsep.join(self.blocked_dirs),
        ]
        if self.launcher is not None:
            command = self.launcher(command)
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                pass_fds=(request_read, reply_write),
                start_new_session=True,
                env={**os.environ, **WORKER_ENVIRONMENT},
                cwd=str(self.path.parent),
            )
        except OSError as error:
            for fd in (request_read, request_write, reply_read, reply_write):
                os.close(fd)
            raise WorkerStartError(f"could not start the worker: {error}") from None
        os.close(request_read)
        os.close(reply_write)
        os.set_blocking(request_write, False)
        os.set_blocking(reply_read, False)
        self._to_worker, self._from_worker = request_write, reply_read
        self.generation += 1
        self._ready = False

    def close(self) -> None:
        """Stop the worker and every process it started."""
        self._kill()
        self._output.close()

    def __enter__(self) -> "WorkerClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _kill(self) -> None:
        process = self._process
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
            pass
        for fd in (self._to_worker, self._from_worker):
            if fd is not None:
                os.close(fd)
        self._process = None
        self._to_worker = self._from_worker = None
        self._ready = False
        self.names = None

    # -- requests ---------------------------------------------------------

    def load(self) -> list[str]:
        """Start the worker if needed and import the submission; return its public names."""
        if self.names is not None:
            return self.names
        self.start()
        self._await_ready()
        reply = self._request({"cmd": "load", "path": str(self.path), "name": self.module_name})
        if "error" in reply:
            fault = _fault_from(reply["error"])
            self._kill()
            raise SubmissionFault(fault)
        names = reply.get("ok", {}).get("names") if isinstance(reply.get("ok"), dict) else None
        if not isinstance(names, list):
            self._fail(Fault("protocol", "ProtocolError", "the worker sent a malformed reply"))
        self.names = [n for n in names if isinstance(n, str)]
        return self.names

    def run(self, steps: list[dict]) -> list[StepReply]:
        """Run ``steps`` in the worker; each call may take up to ``limits.timeout``."""
        self.load()
        self._send({"cmd": "run", "steps": steps})
        replies = []
        for index in range(len(steps)):
            message = self._receive(self.limits.timeout, step=index)
            if "error" in message:
                raise SubmissionFault(_fault_from(message["error"], default_step=index))
            warnings = message.get("warnings") or []
            replies.append(StepReply(message.get("ok"), [w for w in warnings if isinstance(w, dict)]))
        return replies

    def release(self) -> None:
        """Let the worker drop the objects it holds for earlier steps."""
        if self._process is None or self.names is None:
            return
        try:
            self._send({"cmd": "release"})
            self._receive(self.limits.timeout, step=None)
        except SubmissionFault:
            pass  # the worker is gone; the next request starts a new one

    def take_output(self) -> str:
        """Return what the worker printed since the last call (at most 4 KiB, the tail)."""
        self._output.seek(0, os.SEEK_END)
        end = self._output.tell()
        start = max(self._output_mark, end - 4096)
        self._output.seek(start)
        text = self._output.read(end - start).decode("utf-8", errors="replace")
        self._output_mark = end
        return text

    # -- plumbing ---------------------------------------------------------

    def _await_ready(self) -> None:
        if self._ready:
            return
        try:
            message = decode(read_frame(self._from_worker, time.monotonic() + STARTUP_SECONDS))
        except (ChannelClosed, ChannelTimeout, ProtocolError):
            output = self.take_output().strip()
            self._kill()
            raise WorkerStartError(f"the worker did not start: {output or 'no output'}") from None
        if message != {"ready": True}:
            self._kill()
            raise WorkerStartError("the worker sent an unexpected first message")
        self._ready = True

    def _request(self, message: dict) -> dict:
        self._send(message)
        return self._receive(self.limits.timeout, step=None)

    def _send(self, message: dict) -> None:
        try:
            write_frame(self._to_worker, encode(message), time.monotonic() + self.limits.timeout)
        except ChannelTimeout:
            self._fail(Fault("timeout", "Timeout", self._timeout_text()))
        except ChannelClosed:
            self._fail(self._crash_fault(step=None))

    def _receive(self, timeout: float, step: int | None) -> dict:
        try:
            message = decode(read_frame(self._from_worker, time.monotonic() + timeout))
        except ChannelTimeout:
            self._fail(Fault("timeout", "Timeout", self._timeout_text(), step=step))
        except ChannelClosed:
            self._fail(self._crash_fault(step))
        except ProtocolError as error:
            self._fail(Fault("protocol", "ProtocolError", f"the worker sent a malformed reply: {error}", step=step))
        if not isinstance(message, dict):
            self._fail(Fault("protocol", "ProtocolError", "the worker sent a reply that is not a dict", step=step))
        return message

    def _timeout_text(self) -> str:
        return f"no result after {self.limits.timeout:g} s (the per-call time limit)"

    def _crash_fault(self, step: int | None) -> Fault:
        process = self._process
        status = None
        if process is not None:
            try:
                status = process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                status = None
        output = self.take_output()
        return Fault("crash", "WorkerExit", describe_exit(status), step=step, output=output[-1500:])

    def _fail(self, fault: Fault):
        self._kill()
        raise SubmissionFault(fault)


def describe_exit(status: int | None) -> str:
    """Explain a worker's exit status in words a candidate can act on."""
    if status is None:
        return "the worker process stopped answering"
    if status < 0:
        number = -status
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == signal.SIGSEGV:
            return f"the worker process crashed ({name}); deep recursion or a native library fault are the usual causes"
        if number == signal.SIGKILL:
            return f"the worker process was killed ({name}); running out of memory is the usual cause"
        return f"the worker process was ended by {name}"
    return (
        f"the worker process exited with status {status} while running your code; "
        "code that calls os._exit or closes the grader's pipes ends it"
    )


def _fault_from(info: Any, default_step: int | None = None) -> Fault:
    if not isinstance(info, dict):
        return Fault("protocol", "ProtocolError", "the worker sent a malformed error")
    frames = []
    for frame in info.get("frames") or []:
        if isinstance(frame, dict):
            frames.append(
                SourceFrame(
                    file=str(frame.get("file", "?")),
                    line=int(frame.get("line") or 0) if isinstance(frame.get("line"), int) else 0,
                    function=str(frame.get("function", "?")),
                    code=str(frame.get("code", "")),
                )
            )
    step = info.get("step")
    return Fault(
        kind=str(info.get("kind", "exception")),
        type=str(info.get("type", "Exception"))[:200],
        message=str(info.get("message", ""))[:4000],
        frames=tuple(frames),
        step=step if isinstance(step, int) else default_step,
    )
