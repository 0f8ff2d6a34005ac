"""Start and stop worker processes.

Kept free of numpy so that the command line can start a worker before it
imports anything heavy: the worker then imports numpy while the grader
imports pytest, on the other core.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Sequence

WORKER_SCRIPT = Path(__file__).with_name("main.py")
GIB = 1024**3

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

Launcher = Callable[[Sequence[str]], list[str]]
"""Rewrites the worker's command line, e.g. to run it inside a sandbox."""


@dataclass(frozen=True)
class Limits:
    """Limits applied to every worker."""

    timeout: float = 10.0
    """Seconds one call into the submission may run."""
    memory: int = 2 * GIB
    """Bytes of address space the worker may use."""


class WorkerStartError(RuntimeError):
    """The worker process could not start; a problem of the machine, not the submission."""


class WorkerProcess:
    """One running worker: its process, the two pipe ends the grader holds, its output file."""

    def __init__(self, process: subprocess.Popen, to_worker: int, from_worker: int, output: IO[bytes]):
        self.process = process
        self.to_worker = to_worker
        self.from_worker = from_worker
        self.output = output

    @classmethod
    def spawn(cls, limits: Limits, *, cwd: Path,
              launcher: Launcher | None = None, output: IO[bytes] | None = None) -> "WorkerProcess":
        """Start a worker without waiting for it to be ready."""
        output = output if output is not None else tempfile.TemporaryFile()
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        command = [sys.executable, str(WORKER_SCRIPT), str(request_read), str(reply_write),
                   str(limits.memory)]
        if launcher is not None:
            command = launcher(command)
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(request_read, reply_write),
                start_new_session=True,
                env={**os.environ, **WORKER_ENVIRONMENT},
                cwd=str(cwd),
            )
        except OSError as error:
            for fd in (request_read, request_write, reply_read, reply_write):
                os.close(fd)
            raise WorkerStartError(f"could not start the worker: {error}") from None
        os.close(request_read)
        os.close(reply_write)
        os.set_blocking(request_write, False)
        os.set_blocking(reply_read, False)
        return cls(process, request_write, reply_read, output)

    def kill(self) -> None:
        """Kill the worker and its process group, and close the pipes."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            pass
        for fd in (self.to_worker, self.from_worker):
            try:
                os.close(fd)
            except OSError:
                pass

    def exit_status(self, wait_seconds: float = 2.0) -> int | None:
        """Return the exit status once the process has ended, or None if it has not."""
        try:
            return self.process.wait(timeout=wait_seconds)
        except subprocess.TimeoutExpired:
            return None


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
