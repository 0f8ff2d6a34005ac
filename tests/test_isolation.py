"""Submissions that cheat gain nothing; the sandbox hides what it must; limits hold.

The submissions are in tests/misbehaving. Tests that need the bubblewrap
sandbox are skipped, with bwrap's reason, where it cannot run.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from batch_helpers import (LINEAR, MISBEHAVING, ROOT, add_file, add_misbehaving, forge, forge_process, read_csv,
                           read_jsonl, sandbox_problem)
from grader.sandbox import LIMITS_ENTRY, ResourceLimits, Sandbox, hidden_folders

NO_SANDBOX = sandbox_problem()
needs_sandbox = pytest.mark.skipif(NO_SANDBOX is not None, reason=f"no bubblewrap sandbox here: {NO_SANDBOX}")
LEFTOVER_MARKER = "forge-test-leftover-process"
#: Cheats that every worker, sandboxed or not, makes worthless.
CHEATS = ("os_exit_zero", "sys_exit_zero", "patches_numpy", "inspects_stack", "returns_array_subclass",
          "always_equal", "writes_fake_report", "imports_solution", "leaves_process_behind", "writes_big_file")
COMPUTED = ("forward", "backward")
#: The constructor's test and the computed values the cheats would fake.
SELECT = "param_shapes or forward or backward_dx"


def leftover_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if LEFTOVER_MARKER in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def grade_cheats(folder: Path, names, *options):
    subs = folder / "subs"
    for name in names:
        add_misbehaving(subs, name)
    add_file(subs, LINEAR / "correct_einsum.py", "honest")
    # A process of its own, as an instructor runs it: the cheats look for its command line.
    completed = forge_process("batch", subs, "-e", "2", "--seed", 21, "--timeout", 2, "-k", SELECT,
                              "-o", folder / "out",
                              "--csv", folder / "grades.csv", "--jsonl", folder / "all.jsonl", *options,
                              env={**os.environ, "TMPDIR": str(folder)})
    records = {record["submission"]: record for record in read_jsonl(folder / "all.jsonl")}
    return completed, records


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The cheats graded by the plain worker (no sandbox)."""
    folder = tmp_path_factory.mktemp("plain")
    return (folder, *grade_cheats(folder, CHEATS, "--no-sandbox"))


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    """The cheats, and one that reads Forge's files, graded in the sandbox."""
    if NO_SANDBOX is not None:
        pytest.skip(f"no bubblewrap sandbox here: {NO_SANDBOX}")
    folder = tmp_path_factory.mktemp("sandboxed")
    return (folder, *grade_cheats(folder, (*CHEATS, "reads_suites"), "--sandbox"))


def computed_tests_passed(record) -> list[str]:
    return [t["name"] for t in record["tests"] if t["name"].startswith(COMPUTED) and t["status"] == "passed"]


def check_cheats_gain_nothing(records):
    assert records["honest"]["score"] == records["honest"]["max_score"]
    for name in ("os_exit_zero", "sys_exit_zero", "always_equal", "writes_fake_report", "imports_solution"):
        assert records[name]["score"] <= 1, name  # at most the constructor's point
    for name in ("patches_numpy", "inspects_stack", "returns_array_subclass"):
        assert computed_tests_passed(records[name]) == [], name
    assert records["leaves_process_behind"]["score"] == records["honest"]["score"]


def test_cheats_gain_nothing_plain(plain):
    _, completed, records = plain
    assert completed.returncode == 0, completed.stderr
    check_cheats_gain_nothing(records)


@needs_sandbox
def test_cheats_gain_nothing_sandboxed(sandboxed):
    _, completed, records = sandboxed
    assert completed.returncode == 0, completed.stderr
    check_cheats_gain_nothing(records)


def test_exit_status_zero_is_a_crash(plain):
    _, _, records = plain
    forward = next(t for t in records["os_exit_zero"]["tests"] if t["name"] == "forward[batch]")
    assert forward["status"] == "error"
    assert "exited with status 0" in forward["message"]
    assert records["os_exit_zero"]["status"] == "crashed"


def test_fake_report_is_undone_without_sandbox(plain):
    folder, completed, records = plain
    assert "results log was changed by another process" in completed.stderr
    log = read_jsonl(folder / "out" / "results.jsonl")
    assert len(log) == len(CHEATS) + 1
    assert all(test["name"] != "everything" for record in log for test in record["tests"])
    row = read_csv(folder / "grades.csv")["writes_fake_report"]
    assert float(row["total"]) == records["writes_fake_report"]["score"] <= 1


@needs_sandbox
def test_fake_report_cannot_reach_the_log(sandboxed):
    folder, completed, _ = sandboxed
    assert "results log was changed" not in completed.stderr
    assert len(read_jsonl(folder / "out" / "results.jsonl")) == len(CHEATS) + 2


def test_no_process_left_behind(plain):
    assert leftover_processes() == []


@needs_sandbox
def test_no_process_left_behind_sandboxed(sandboxed):
    assert leftover_processes() == []


def test_file_size_limit_stops_big_write(plain):
    folder, _, records = plain
    forward = next(t for t in records["writes_big_file"]["tests"] if t["name"] == "forward[batch]")
    assert forward["status"] == "error"
    assert "File too large" in forward["message"]
    assert (folder / "forge-big-file").stat().st_size <= 32 * 1024**2


@needs_sandbox
def test_solutions_unreadable_in_sandbox(sandboxed):
    _, _, records = sandboxed
    record = records["reads_suites"]
    assert record["score"] == 0
    message = record["tests"][0]["message"]
    assert "found no solution to copy" in message
    assert ": read" not in message


# -- what the sandbox shows ---------------------------------------------------


class LoopbackServer:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def connections_after(self, expected: int, seconds: float = 5.0) -> int:
        """Return the count once it reaches ``expected`` or ``seconds`` have passed.

        A client's connect completes in the kernel's backlog before this
        thread accepts it, so the count can lag behind what the client saw.
        """
        deadline = time.monotonic() + seconds
        while self.connections < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.connections

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.socket.close()


@pytest.fixture
def server():
    server = LoopbackServer()
    yield server
    server.close()


def probe_submission(folder: Path, paths: list[str], port: int) -> Path:
    text = (MISBEHAVING / "probes_sandbox.py").read_text()
    text = text.replace("PATHS = []", f"PATHS = {paths!r}").replace("PORT = 0", f"PORT = {port}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "probe.py"
    path.write_text(text)
    return path


def seen_in(message: str) -> dict:
    return json.loads(re.search(r"SEEN (\{.*\})", message).group(1))


@needs_sandbox
def test_sandbox_hides_forge_files_network_and_secrets(tmp_path, server):
    # The checkout's folder itself may appear, empty, as the mount point of a
    # virtual environment inside it (as in CI); its files must not.
    hidden = [str(ROOT / "README.md"), str(ROOT / "solutions" / "ex02_linear.py"), str(ROOT / "grader" / "suites"),
              str(tmp_path / "out"), str(tmp_path / "subs"), "/etc/shadow", "/var", "/home"]
    probe_submission(tmp_path / "subs", hidden, server.port)
    environment = {**os.environ, "FORGE_TEST_SECRET": "do-not-leak"}
    completed = forge_process("batch", tmp_path / "subs", "-e", "2", "--seed", 1, "-k", "param_shapes",
                              "-o", tmp_path / "out", "--jsonl", tmp_path / "all.jsonl", env=environment)
    assert completed.returncode == 0, completed.stderr
    assert "(sandbox," in completed.stderr
    seen = seen_in(read_jsonl(tmp_path / "all.jsonl")[0]["tests"][0]["message"])
    assert seen["paths"] == {path: False for path in hidden}
    assert seen["network"] != "connected"
    assert server.connections_after(1, seconds=1.0) == 0  # a late connection would show within 1 s
    assert "FORGE_TEST_SECRET" not in seen["environment"]
    assert seen["uid"] == 65534
    assert len(seen["processes"]) <= 3, "a new PID namespace shows only the sandbox's processes"


def test_plain_worker_reaches_the_loopback_server(tmp_path, server):
    """The same probe without the sandbox: proves the probe itself can see and connect."""
    probe = probe_submission(tmp_path / "subs", [str(ROOT)], server.port)
    completed = forge("2", "--submission", probe, "--seed", 1, "-k", "param_shapes", "--json")
    seen = seen_in(json.loads(completed.stdout)["tests"][0]["message"])
    assert seen["paths"] == {str(ROOT): True}
    assert seen["network"] == "connected"
    assert server.connections_after(1) == 1


@needs_sandbox
def test_single_grading_in_sandbox(tmp_path):
    probe = probe_submission(tmp_path / "mine", [str(ROOT / "solutions"), str(tmp_path / "mine")], 0)
    completed = forge("2", "--submission", probe, "--seed", 1, "-k", "param_shapes", "--sandbox", "--json")
    seen = seen_in(json.loads(completed.stdout)["tests"][0]["message"])
    assert seen["paths"] == {str(ROOT / "solutions"): False, str(tmp_path / "mine"): True}
    graded = forge("2", "--submission", LINEAR / "bug_db_mean.py", "--seed", 1, "--sandbox", "--json")
    plain = forge("2", "--submission", LINEAR / "bug_db_mean.py", "--seed", 1, "--json")
    assert json.loads(graded.stdout) == json.loads(plain.stdout)


def test_fallback_warns_once_and_grades(tmp_path):
    add_file(tmp_path / "subs", LINEAR / "correct_einsum.py", "alice")
    add_file(tmp_path / "subs", LINEAR / "bug_db_mean.py", "bob")
    environment = {**os.environ, "FORGE_BWRAP": "/bin/false"}
    completed = forge_process("batch", tmp_path / "subs", "-e", "2", "--seed", 1, "-k", "forward",
                              "-o", tmp_path / "out", "--csv", tmp_path / "grades.csv", env=environment)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.count("WARNING: no sandbox: /bin/false failed") == 1
    assert "(no sandbox," in completed.stderr
    assert {row["status"] for row in read_csv(tmp_path / "grades.csv").values()} == {"graded"}


def test_missing_bwrap_named(tmp_path):
    environment = {**os.environ, "FORGE_BWRAP": str(tmp_path / "no-bwrap")}
    completed = forge_process("2", "--reference", "--seed", 1, "-k", "param_shapes", "--sandbox", env=environment)
    assert completed.returncode == 0
    assert "is not an executable file" in completed.stderr
    assert "WARNING: no sandbox" in completed.stderr


# -- the pieces ---------------------------------------------------------------------


def run_limited(tmp_path, cpu, file_bytes, body):
    script = tmp_path / "script.py"
    script.write_text(body)
    return subprocess.run([sys.executable, str(LIMITS_ENTRY), str(cpu), str(file_bytes), "0", str(script)],
                          capture_output=True, timeout=60)


def test_limits_entry_ends_busy_loop(tmp_path):
    completed = run_limited(tmp_path, 1, 0, "while True:\n    pass\n")
    assert completed.returncode in (-signal.SIGXCPU, -signal.SIGKILL)


def test_limits_entry_stops_big_write(tmp_path):
    body = f"open({str(tmp_path / 'big')!r}, 'wb').write(bytes(2_000_000))\n"
    completed = run_limited(tmp_path, 0, 1_000_000, body)
    assert completed.returncode == 1
    assert b"File too large" in completed.stderr
    assert (tmp_path / "big").stat().st_size <= 1_000_000


def test_sandbox_command_shape(tmp_path):
    sandbox = Sandbox(Path("/usr/bin/bwrap"), tmp_path / "worker", tmp_path / "alice", tmp_path / "alice",
                      ResourceLimits(cpu_seconds=9, processes=64))
    command = sandbox(["/usr/bin/python3", "/x/main.py", "4", "7", "2147483648", ""])
    assert command[0] == "/usr/bin/bwrap"
    for option in ("--unshare-all", "--die-with-parent", "--clearenv", "--new-session"):
        assert option in command
    inner = command[command.index("--") + 1:]
    assert inner[:7] == ["/usr/bin/python3", str(tmp_path / "worker" / "limits_entry.py"), "9",
                         str(32 * 1024**2), "64", str(tmp_path / "worker" / "main.py"), "4"]
    mounted = [command[i + 2] for i, word in enumerate(command) if word in ("--ro-bind", "--bind")]
    assert str(ROOT) not in mounted
    assert str(tmp_path / "alice") in mounted


def test_forge_packages_hidden_inside_bound_folders(tmp_path, monkeypatch):
    import grader.sandbox as sandbox

    site = tmp_path / "site-packages"
    installed = [site / "grader", site / "solutions", site / "exercises"]
    for folder in installed:
        folder.mkdir(parents=True)
    monkeypatch.setattr(sandbox, "FORGE_DIRS", tuple(installed))
    monkeypatch.setattr(sandbox, "site_package_folders", lambda: [])
    assert hidden_folders([site]) == installed
    assert hidden_folders([tmp_path / "elsewhere"]) == []


def test_installed_copy_hidden_while_checkout_runs(tmp_path, monkeypatch):
    import grader.sandbox as sandbox

    checkout = [tmp_path / "checkout" / name for name in ("grader", "solutions", "exercises")]
    site = tmp_path / "venv" / "site-packages"
    for folder in [*checkout, site / "grader", site / "solutions"]:
        folder.mkdir(parents=True)
    monkeypatch.setattr(sandbox, "FORGE_DIRS", tuple(checkout))
    monkeypatch.setattr(sandbox, "site_package_folders", lambda: [site])
    assert hidden_folders([tmp_path / "venv"]) == [site / "grader", site / "solutions"]


FORKS_ONCE = """import os
try:
    pid = os.fork()
except OSError:
    print("refused")
else:
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print("forked")
"""


@needs_sandbox
def test_root_warning_matches_process_limit(tmp_path):
    """A sandbox limited to one process refuses a fork, unless Forge runs as root: then batch warns."""
    from grader.sandbox import copy_worker_files, probe, root_warning

    (tmp_path / "fork.py").write_text(FORKS_ONCE)
    sandbox = Sandbox(probe(), copy_worker_files(tmp_path / "worker"), tmp_path, tmp_path,
                      ResourceLimits(processes=1))
    command = sandbox([sys.executable, "main.py"])
    command[command.index("--") + 6] = str(tmp_path / "fork.py")  # in place of the worker's main.py
    completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    forked = completed.stdout.strip() == "forked"
    assert completed.stdout.strip() in ("forked", "refused"), completed.stderr
    assert forked == (root_warning(True, os.geteuid()) is not None)


def test_root_warning_only_for_root_in_sandbox():
    from grader.sandbox import root_warning

    assert "running as root" in root_warning(True, 0)
    assert root_warning(True, 1000) is None
    assert root_warning(False, 0) is None, "without the sandbox there is no process limit to miss"


def test_reaper_spares_process_started_by_kept_one(monkeypatch):
    """A kept worker (bwrap) may fork while the job lists its descendants; the new child is spared."""
    import grader.batch.reaper as reaper

    job, kept, stray, child = 100, 200, 300, 201
    tree = {job: [kept, stray], kept: []}

    def descendants(pid):
        found = list(tree.get(pid, []))
        if pid == job:
            tree[kept] = [child]  # the kept process forks between the two listings
            found.append(child)
        return found

    killed = []
    monkeypatch.setattr(reaper, "descendants", descendants)
    monkeypatch.setattr(reaper, "is_running", lambda pid: pid not in killed)
    monkeypatch.setattr(reaper.os, "kill", lambda pid, signal: killed.append(pid))
    assert reaper.kill_descendants(job, keep=[kept]) == [stray]
