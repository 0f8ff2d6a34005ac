"""The grader's side of a worker: spawn it, send requests, enforce the limits.

A :class:`WorkerClient` owns one worker process at a time. When the process
times out, crashes or sends a malformed reply, the client kills it and the
next request starts a fresh one, so a fault costs the test that caused it and
nothing else.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .process import Launcher, Limits, WorkerProcess, WorkerStartError, describe_exit
from .protocol import (
    ChannelClosed,
    ChannelTimeout,
    ProtocolError,
    decode,
    encode,
    read_frame,
    write_frame,
)

#: Seconds a new worker may take to import numpy and report ready.
STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class SourceFrame:
    """One line of the submission's own code in a traceback."""

    file: str
    line: int
    function: str
    code: str


@dataclass(frozen=True)
class Fault:
    """A failure of the submission's code, as far as the grader can tell."""

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


@dataclass
class StepReply:
    value: Any
    warnings: list[dict] = field(default_factory=list)


class WorkerClient:
    """Runs steps against one submission file in a separate, limited process."""

    def __init__(
        self,
        path: Path,
        module_name: str,
        limits: Limits = Limits(),
        launcher: Launcher | None = None,
        process: WorkerProcess | None = None,
    ):
        """``process``, if given, is a worker already started with the same settings."""
        self.path = Path(path)
        self.module_name = module_name
        self.limits = limits
        self.launcher = launcher
        self.generation = 1 if process is not None else 0
        self.names: list[str] | None = None
        self._worker = process
        self._output = process.output if process is not None else tempfile.TemporaryFile()
        self._output_mark = 0
        self._ready = False
        self._outstanding = 0
        self._release_next = False

    # -- lifecycle --------------------------------------------------------

    def start(self) -> None:
        """Spawn the worker without waiting for it, so it imports numpy meanwhile."""
        if self._worker is not None:
            return
        self._worker = WorkerProcess.spawn(self.limits, cwd=self.path.parent,
                                           launcher=self.launcher, output=self._output)
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
        if self._worker is not None:
            self._worker.kill()
        self._worker = None
        self._ready = False
        self.names = None
        self._outstanding = 0
        self._release_next = False

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
        self.submit(steps)
        return self.collect()

    def submit(self, steps: list[dict]) -> None:
        """Send ``steps`` to the worker without waiting; :meth:`collect` reads the replies.

        The grader can compute the reference's results meanwhile, on the other core.
        """
        self.load()
        if self._outstanding:
            self._discard_outstanding()
        message = {"cmd": "run", "steps": steps}
        if self._release_next:
            message["release"] = True
            self._release_next = False
        self._send(message)
        self._outstanding = len(steps)

    def collect(self) -> list[StepReply]:
        """Read the replies of the steps sent by :meth:`submit`."""
        count, self._outstanding = self._outstanding, 0
        replies: list[StepReply] = []
        running = 0
        while len(replies) < count:
            # Each frame carries the replies of the steps finished since the last
            # one, so a silence of `timeout` seconds means one call is that slow;
            # `running` says which step was under way at the last frame.
            message = self._receive(self.limits.timeout, step=max(running, len(replies)))
            batch = message.get("replies")
            if not isinstance(batch, list) or len(replies) + len(batch) > count:
                self._fail(Fault("protocol", "ProtocolError", "the worker sent a malformed reply"))
            for reply in batch:
                if not isinstance(reply, dict):
                    self._fail(Fault("protocol", "ProtocolError", "the worker sent a malformed reply"))
                warnings = reply.get("warnings") or []
                replies.append(StepReply(reply.get("ok"), [w for w in warnings if isinstance(w, dict)]))
            if isinstance(message.get("running"), int) and 0 <= message["running"] < count:
                running = message["running"]
            if "error" in message:
                raise SubmissionFault(_fault_from(message["error"], default_step=len(replies)))
            if not batch:
                self._fail(Fault("protocol", "ProtocolError", "the worker sent an empty reply"))
        return replies

    def _discard_outstanding(self) -> None:
        """Read and drop the replies of a request that no test collected (its test already failed)."""
        try:
            self.collect()
        except SubmissionFault:
            pass  # the worker may be gone; the next request starts a new one

    def release(self) -> None:
        """Let the worker drop the objects it holds for earlier steps (with the next request)."""
        self._release_next = True

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
            message = decode(read_frame(self._worker.from_worker, time.monotonic() + STARTUP_SECONDS))
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
            write_frame(self._worker.to_worker, encode(message), time.monotonic() + self.limits.timeout)
        except ChannelTimeout:
            self._fail(Fault("timeout", "Timeout", self._timeout_text()))
        except ChannelClosed:
            self._fail(self._crash_fault(step=None))

    def _receive(self, timeout: float, step: int | None) -> dict:
        try:
            message = decode(read_frame(self._worker.from_worker, time.monotonic() + timeout))
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
        status = self._worker.exit_status() if self._worker is not None else None
        output = self.take_output()
        return Fault("crash", "WorkerExit", describe_exit(status), step=step, output=output[-1500:])

    def _fail(self, fault: Fault):
        self._kill()
        raise SubmissionFault(fault)


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
