"""Time `forge-grade EXERCISE --reference` end to end against the import baseline.

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

BASELINE = [sys.executable, "-c", "import numpy, pytest, click"]
TARGET_RATIO = 2.5


def forge_command(exercise: str) -> list[str]:
    executable = shutil.which("forge-grade")
    prefix = [executable] if executable else [sys.executable, "-m", "grader"]
    return [*prefix, exercise, "--reference", "--seed", "1"]


def time_once(command: list[str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0,):
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

    for command in [BASELINE, *map(forge_command, exercises)]:
        time_once(command)  # warm the file cache and the bytecode caches

    samples: dict[str, list[float]] = {"baseline": [], **{name: [] for name in exercises}}
    for _ in range(args.runs):
        samples["baseline"].append(time_once(BASELINE))
        for name in exercises:
            samples[name].append(time_once(forge_command(name)))

    baseline = statistics.median(samples["baseline"])
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"Runs per command: {args.runs}; figures are medians (min-max) in seconds.\n")
    print("| command | median s | min-max s | ratio to baseline |")
    print("|---|---|---|---|")
    print(f"| `python -c \"import numpy, pytest, click\"` | {baseline:.3f} | "
          f"{min(samples['baseline']):.3f}-{max(samples['baseline']):.3f} | 1.00 |")
    worst = 0.0
    for name in exercises:
        median = statistics.median(samples[name])
        worst = max(worst, median / baseline)
        print(f"| `forge-grade {name} --reference` | {median:.3f} | "
              f"{min(samples[name]):.3f}-{max(samples[name]):.3f} | {median / baseline:.2f} |")
    verdict = "meets" if worst <= TARGET_RATIO else "misses"
    print(f"\nSlowest ratio {worst:.2f}: {verdict} the target of {TARGET_RATIO}x the baseline.")


if __name__ == "__main__":
    main()
