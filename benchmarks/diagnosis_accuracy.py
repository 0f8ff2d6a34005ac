"""Measure how often the diagnosis names the right kind of mistake.

Grades every labelled buggy submission in tests/submissions (``bug_*.py``
whose docstring declares ``kind: ...``) with a few seeds and prints, per
kind, how many were named correctly, as a Markdown table; then the same
for the correct submissions and the references, which must get no
diagnosis at all.

Usage:
    python benchmarks/diagnosis_accuracy.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support import grade_file, samples  # noqa: E402

from grader.catalog import available  # noqa: E402
from grader.testkit.diagnosis import KINDS  # noqa: E402


def named_kinds(sample, seed: int) -> set[str]:
    report = grade_file(sample.exercise, sample.path, seed)
    return {test.kind for test in report.tests if test.kind}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per submission (default 3)")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1, got {args.seeds}")

    totals, hits, misses = Counter(), Counter(), []
    corpus = [sample for sample in samples("bug_") if sample.kind != "other"]
    for sample in corpus:
        for seed in range(args.seeds):
            totals[sample.kind] += 1
            named = named_kinds(sample, seed)
            if sample.kind in named:
                hits[sample.kind] += 1
            else:
                misses.append(f"{sample.id} (seed {seed}): declared {sample.kind}, named {sorted(named) or 'nothing'}")

    print(f"Corpus: {len(corpus)} labelled buggy submissions across "
          f"{len({s.exercise.module for s in corpus})} exercises, {args.seeds} seeds each.\n")
    print("| kind | what it means | named / graded | rate |")
    print("|---|---|---|---|")
    for kind in KINDS:
        if totals[kind]:
            print(f"| {kind} | {KINDS[kind]} | {hits[kind]}/{totals[kind]} | {hits[kind] / totals[kind]:.0%} |")
    overall = sum(hits.values()) / max(sum(totals.values()), 1)
    print(f"| **all** | | {sum(hits.values())}/{sum(totals.values())} | **{overall:.0%}** |")

    false_alarms = []
    clean = [s for s in samples("correct_")]
    for sample in clean:
        for seed in range(args.seeds):
            if named_kinds(sample, seed):
                false_alarms.append(f"{sample.id} (seed {seed})")
    for exercise in available():
        for seed in range(args.seeds):
            report = grade_file(exercise, ROOT / "solutions" / exercise.filename, seed)
            if any(test.kind for test in report.tests):
                false_alarms.append(f"reference {exercise.module} (seed {seed})")
    print(f"\nDiagnoses on correct code: {len(false_alarms)} in "
          f"{(len(clean) + len(available())) * args.seeds} gradings of {len(clean)} correct submissions "
          f"and {len(available())} references.")
    for line in misses + false_alarms:
        print(f"- {line}")


if __name__ == "__main__":
    main()
