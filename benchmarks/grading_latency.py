"""Time `forge-grade EXERCISE` end to end, on the reference and on the stub, against the import baseline.

The baseline is `python -c "import numpy, pytest, click"`: the cost of merely
starting Python with the grader's dependencies. Runs are interleaved (one
baseline, then one grading run per exercise, repeated) so that drift in the
machine's load affects both sides alike. Prints a Markdown table.

Usage:
    python benchmarks/grading_latency.py                 # exercise 3, 15 runs
    python benchmarks/grading_latency.py --all --runs 9  # every exercise
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASELINE = [sys.executable, "-c", "import numpy, pytest, click"]
TARGET_RATIO = 2.5


ROOT = Path(__file__).resolve().parent.parent


def forge_command(exercise: str, source: str) -> list[str]:
    """Return the command grading ``exercise``'s reference (source "reference") or its stub ("stub")."""
    executable = shutil.which("forge-grade")
    prefix = [executable] if executable else [sys.executable, "-m", "grader"]
    chosen = ["--reference"] if source == "reference" else ["--workspace", str(ROOT)]
    return [*prefix, exercise, *chosen, "--seed", "1"]


def time_once(command: list[str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):  # 1: fewer than full marks, as a stub gets
        raise SystemExit(f"{' '.join(command)} exited with {completed.returncode}: {completed.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (default 15)")
    parser.add_argument("--all", action="store_true", help="time every installed exercise, not only exercise 3")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")

    if args.all:
        from grader.catalog import available
        exercises = [exercise.id for exercise in available()]
    else:
        exercises = ["exercise3"]

    runs = [(name, source) for name in exercises for source in ("reference", "stub")]
    for command in [BASELINE, *(forge_command(*run) for run in runs)]:
        time_once(command)  # warm the file cache and the bytecode caches

    samples: dict = {"baseline": [], **{run: [] for run in runs}}
    for _ in range(args.runs):
        samples["baseline"].append(time_once(BASELINE))
        for run in runs:
            samples[run].append(time_once(forge_command(*run)))

    baseline = statistics.median(samples["baseline"])
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"Runs per command: {args.runs}; figures are medians (min-max) in seconds.\n")
    print("| command | median s | min-max s | ratio to baseline |")
    print("|---|---|---|---|")
    print(f"| `python -c \"import numpy, pytest, click\"` | {baseline:.3f} | "
          f"{min(samples['baseline']):.3f}-{max(samples['baseline']):.3f} | 1.00 |")
    worst = 0.0
    for name, source in runs:
        times = samples[(name, source)]
        median = statistics.median(times)
        worst = max(worst, median / baseline)
        option = "--reference" if source == "reference" else "(the stub)"
        print(f"| `forge-grade {name}` {option} | {median:.3f} | "
              f"{min(times):.3f}-{max(times):.3f} | {median / baseline:.2f} |")
    verdict = "meets" if worst <= TARGET_RATIO else "misses"
    print(f"\nSlowest ratio {worst:.2f}: {verdict} the target of {TARGET_RATIO}x the baseline.")


if __name__ == "__main__":
    main()
