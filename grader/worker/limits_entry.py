"""Start a worker under extra resource limits: CPU time, file size, processes.

Batch grading starts the worker as ``python limits_entry.py CPU_SECONDS
FILE_BYTES PROCESSES MAIN ARGS...``. This script applies the limits (0
leaves one unchanged), has Linux kill the worker when its parent dies,
then runs ``MAIN`` (the worker's ``main.py``) in this same process with
``ARGS``, so the limits cost no second interpreter start.

Standard library only: inside the sandbox it is one of the few files of
Forge that the worker can see.
"""

from __future__ import annotations

import ctypes
import resource
import runpy
import signal
import sys

PR_SET_PDEATHSIG = 1


def apply_limit(kind: int, value: int) -> None:
    """Lower both the soft and the hard limit of ``kind`` to ``value`` (if positive)."""
    if value <= 0:
        return
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def die_with_parent() -> None:
    """Have the kernel send SIGKILL to this process when its parent ends (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # NOTE: without prctl the grader's kill of the process group still applies.


def main(argv: list[str]) -> None:
    cpu_seconds, file_bytes, processes = (int(value) for value in argv[1:4])
    apply_limit(resource.RLIMIT_CPU, cpu_seconds)
    apply_limit(resource.RLIMIT_FSIZE, file_bytes)
    apply_limit(resource.RLIMIT_NPROC, processes)
    die_with_parent()
    worker_main = argv[4]
    sys.argv = [worker_main, *argv[5:]]
    runpy.run_path(worker_main, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
