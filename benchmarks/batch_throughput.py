"""Time `forge-grade batch` on a class of exercise 2 against grading one by one.

The class is generated: copies of the correct and buggy files in
tests/submissions/ex02_linear, in turn, each made unique by a comment. The
script grades the whole class with `forge-grade batch`, sandboxed and then
without the sandbox. It grades a sample of the class one by one with
`forge-grade exercise2 --submission FILE`, the way a shell loop would.
Every command runs on the same cores (2 by default, fixed with CPU affinity
where the system allows it). The Markdown table gives wall-clock seconds
per submission, submissions per second and CPU seconds per submission (of
the command and every process it started, which other load on the machine
inflates less than wall-clock time), with the load average before and after.

Usage:
    python benchmarks/batch_throughput.py                      # 200 submissions, 30 one by one
    python benchmarks/batch_throughput.py --submissions 50 --sample 10
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "tests" / "submissions" / "ex02_linear").glob("*.py"))
TARGET_SPEEDUP = 3.0
SEED = "1"


def forge_command() -> list[str]:
    executable = shutil.which("forge-grade")
    return [executable] if executable else [sys.executable, "-m", "grader"]


def make_class(folder: Path, count: int) -> list[Path]:
    """Write ``count`` submissions, cycling through the correct and buggy samples."""
    folder.mkdir(parents=True)
    paths = []
    for index in range(count):
        source = SOURCES[index % len(SOURCES)]
        path = folder / f"student{index:04d}.py"
        path.write_text(source.read_text() + f"\n# submission {index} ({source.stem})\n")
        paths.append(path)
    return paths


def pin(cores: list[int]):
    """Return a preexec function that runs a command on ``cores`` only (Linux), or None."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, cores)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cores: list[int], allowed_codes=(0,)) -> tuple[float, float]:
    """Run ``command``; return its wall-clock and CPU seconds (its process tree's)."""
    cpu_before = children_cpu()
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=pin(cores))
    elapsed = time.perf_counter() - started
    if completed.returncode not in allowed_codes:
        raise SystemExit(f"{' '.join(command)} exited with {completed.returncode}:\n{completed.stderr[-2000:]}")
    return elapsed, children_cpu() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200, help="size of the class (default 200)")
    parser.add_argument("--sample", type=int, default=30,
                        help="submissions graded one by one to time that way (default 30)")
    parser.add_argument("--cores", type=int, default=2, help="cores to run on, and batch jobs (default 2)")
    args = parser.parse_args()
    if args.submissions < 1 or not 1 <= args.sample <= args.submissions or args.cores < 1:
        parser.error("need --submissions >= 1, 1 <= --sample <= --submissions and --cores >= 1")
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count()))
    if len(available) < args.cores:
        parser.error(f"--cores {args.cores} asks for more cores than the {len(available)} this process may use")
    cores = available[:args.cores]
    forge = forge_command()
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="forge-bench-") as work:
        work = Path(work)
        paths = make_class(work / "class", args.submissions)
        timed([*forge, "exercise2", "--reference", "--seed", SEED], cores)  # warm the file caches

        batch = {}
        for mode in ("--sandbox", "--no-sandbox"):
            command = [*forge, "batch", str(work / "class"), "-e", "2", "--seed", SEED, "-j", str(args.cores),
                       "-o", str(work / f"out{mode}"), mode, "--csv", str(work / f"grades{mode}.csv")]
            batch[mode] = timed(command, cores)

        step = max(1, args.submissions // args.sample)
        sample = paths[::step][:args.sample]
        singles = [timed([*forge, "exercise2", "--submission", str(path), "--seed", SEED], cores,
                         allowed_codes=(0, 1)) for path in sample]
    load_after = os.getloadavg()

    one_by_one = sum(wall for wall, _ in singles)
    per_single = one_by_one / len(sample)
    cpu_single = sum(cpu for _, cpu in singles) / len(sample)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores (ran on {len(cores)}), "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"Load average (1 min) before and after: {load_before[0]:.1f} and {load_after[0]:.1f}")
    print(f"Class: {args.submissions} submissions of exercise 2 ({len(SOURCES)} samples in turn, "
          f"correct and buggy); one by one: {len(sample)} of them.\n")
    print("| how | wall s | s per submission | submissions per s | speed-up | CPU s per submission |")
    print("|---|---|---|---|---|---|")
    print(f"| `forge-grade exercise2 --submission FILE`, one by one | {one_by_one:.1f} ({len(sample)} files) | "
          f"{per_single:.3f} | {1 / per_single:.2f} | 1.00 | {cpu_single:.3f} |")
    for mode, (seconds, cpu) in batch.items():
        per = seconds / args.submissions
        print(f"| `forge-grade batch -j {args.cores} {mode}` | {seconds:.1f} | {per:.3f} | {1 / per:.2f} | "
              f"{per_single / per:.2f} | {cpu / args.submissions:.3f} |")
    speedup = per_single / (batch["--sandbox"][0] / args.submissions)
    verdict = "meets" if speedup >= TARGET_SPEEDUP else "misses"
    print(f"\nSandboxed batch: {speedup:.1f} times faster per submission; {verdict} the target of "
          f"{TARGET_SPEEDUP:g}x.")


if __name__ == "__main__":
    main()
