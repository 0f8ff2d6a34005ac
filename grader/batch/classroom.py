"""GitHub Classroom: a workflow that grades each push, and the results it reports.

The workflow grades every exercise with ``forge-grade EXERCISE --json`` and
hands the report to GitHub Classroom's reporter action
(``classroom-resources/autograding-grading-reporter``), which reads one
base64-encoded JSON result per step from the step's ``result`` output.
``python -m grader.batch.classroom EXERCISE REPORT.json`` prints that output
line: ``result=<base64>``.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from ..catalog import Exercise

WORKFLOW = """# GitHub Classroom autograding with Forge ({exercises}, seed {seed}).
# Written by `forge-grade export classroom`; see docs/instructors.md.
name: Autograding Tests
"on":
  - push
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Check out the submission
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install Forge
        env:
          FORGE_WHEEL: {install}
        run: python -m pip install "$FORGE_WHEEL"
{steps}      - name: Report the grades to GitHub Classroom
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{variables}        with:
          runners: {runners}
"""

STEP = """      - name: Grade {exercise}
        id: {exercise}
        run: |
          forge-grade {exercise} --workspace . --seed {seed} --sandbox --json > {exercise}.json || true
          python -m grader.batch.classroom {exercise} {exercise}.json >> "$GITHUB_OUTPUT"
"""


def workflow_text(*, exercises: list[Exercise], seed: int, install: str) -> str:
    """The workflow YAML grading ``exercises`` with ``seed``; ``install`` is what pip installs."""
    steps = "".join(STEP.format(exercise=exercise.id, seed=seed) for exercise in exercises)
    variables = "".join(f'          {exercise.id.upper()}_RESULTS: "${{{{ steps.{exercise.id}.outputs.result }}}}"\n'
                        for exercise in exercises)
    return WORKFLOW.format(exercises=", ".join(e.id for e in exercises), seed=seed, install=install, steps=steps,
                           variables=variables, runners=",".join(e.id for e in exercises))


def classroom_result(exercise: str, report_path: Path) -> dict:
    """Turn a ``forge-grade --json`` report into the reporter's result, or an error result."""
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        tests = [{
            "name": test["name"],
            "status": {"passed": "pass", "failed": "fail"}.get(test["status"], "error"),
            "score": test["score"],
            "message": test["message"] + (f"\nhint: {test['hint']}" if test.get("hint") else ""),
            "test_code": "",
            "filename": "",
            "line_no": 0,
            "execution_time": "",
        } for test in report["tests"]]
        max_score = float(report["max_score"])
        status = "pass" if tests and report["score"] == max_score else "fail"
    except (OSError, ValueError, KeyError, TypeError) as error:
        tests = [{"name": exercise, "status": "error", "score": 0,
                  "message": f"Forge produced no report for {exercise}: {error}", "test_code": "",
                  "filename": "", "line_no": 0, "execution_time": ""}]
        max_score, status = 0.0, "error"
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m grader.batch.classroom EXERCISE REPORT.json", file=sys.stderr)
        return 2
    result = classroom_result(argv[1], Path(argv[2]))
    encoded = base64.b64encode(json.dumps(result).encode()).decode()
    print(f"result={encoded}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
