"""Find and end every process a job started, however it detached (Linux).

A job process marks itself a *child subreaper*: a process that its worker
starts and then leaves behind (a double fork, ``setsid``) is re-parented to
the job instead of to init, so it stays in the job's tree, where
:func:`kill_descendants` finds it through ``/proc``. Elsewhere these
functions do nothing and the worker's own process group is all that ends.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
MAX_ROUNDS = 20


def become_subreaper() -> bool:
    """Adopt this process's orphaned descendants; return whether Linux agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children(pid: int) -> list[int]:
    """Return the direct children of ``pid`` (empty if it is gone or /proc is missing)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def descendants(pid: int) -> list[int]:
    found, pending = [], children(pid)
    while pending:
        child = pending.pop()
        found.append(child)
        pending += children(child)
    return found


def kill_descendants(pid: int, keep: list[int] = ()) -> list[int]:
    """SIGKILL every descendant of ``pid`` until none is left; return the pids killed.

    The processes in ``keep``, and their descendants, are spared.
    """
    killed: list[int] = []
    for _ in range(MAX_ROUNDS):
        found = descendants(pid)
        # Listed after ``found``, so a process that a kept one starts meanwhile (bwrap forking) is spared too.
        spared = set(keep).union(*(descendants(kept) for kept in keep))
        alive = [child for child in found if is_running(child) and child not in spared]
        if not alive:
            break
        for child in alive:
            try:
                os.kill(child, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            killed.append(child)
    return killed


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def reap(pids: list[int]) -> None:
    """Collect the exit status of those ``pids`` that are this process's children."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def reap_zombies(pid: int) -> None:
    """Collect the exit status of every child of ``pid`` (this process) that has ended.

    Sandboxes leave their inner processes to the job, as their subreaper,
    when the worker is killed; without this they would stay zombies.
    """
    reap([child for child in children(pid) if not is_running(child)])
