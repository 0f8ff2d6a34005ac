"""The forge-grade command: exit codes, output formats, bad input and misbehaving submissions."""

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.catalog import find
from support import ROOT, pristine_stub

MISBEHAVING = ROOT / "tests" / "misbehaving"
REFERENCE = ROOT / "solutions" / "ex02_linear.py"
TEST_KEYS = {"name", "score", "max_score", "status", "message", "hint"}


def forge(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def graded_json(*args):
    result = forge(*args, "--json")
    return result, json.loads(result.stdout)


def test_reference_full_marks_exit_0():
    result, report = graded_json("exercise2", "--reference", "--seed", 3)
    assert result.exit_code == 0, result.output
    assert report["score"] == report["max_score"] > 0


def test_json_schema():
    _, report = graded_json("2", "--reference", "--seed", 3)
    assert set(report) == {"exercise", "score", "max_score", "seed", "tests"}
    assert report["exercise"] == "exercise2" and report["seed"] == 3
    for test in report["tests"]:
        assert set(test) == TEST_KEYS
        assert test["status"] in ("passed", "failed", "error")
    assert report["score"] == sum(t["score"] for t in report["tests"])


def test_stub_exit_1_with_hints(tmp_path):
    pristine_stub(find("linear"), tmp_path / "exercises")
    result, report = graded_json("linear", "--workspace", tmp_path, "--seed", 1)
    assert result.exit_code == 1
    assert report["score"] == 0
    assert all(t["hint"] and "not implemented yet" in t["message"] for t in report["tests"])


@pytest.mark.parametrize("name", ["exercise2", "2", "02", "linear", "Linear", "ex2"])
def test_exercise_names(name):
    result, report = graded_json(name, "--reference", "--seed", 0)
    assert report["exercise"] == "exercise2", result.output


def test_same_seed_same_report():
    _, first = graded_json("2", "--submission", ROOT / "tests/submissions/ex02_linear/bug_db_mean.py", "--seed", 7)
    _, second = graded_json("2", "--submission", ROOT / "tests/submissions/ex02_linear/bug_db_mean.py", "--seed", 7)
    assert first == second


def test_fresh_seed_is_printed():
    result = forge("2", "--reference")
    assert "seed" in result.output
    assert "--seed" in result.output.splitlines()[-1]


def test_unknown_exercise_exit_2():
    result = forge("exercise99")
    assert result.exit_code == 2
    assert "unknown exercise 'exercise99'" in result.output
    assert "2 (linear)" in result.output


def test_missing_submission_exit_2():
    result = forge("2", "--submission", "no/such/file.py")
    assert result.exit_code == 2
    assert "no/such/file.py" in result.output and "does not exist" in result.output


def test_submission_not_python_exit_2(tmp_path):
    path = tmp_path / "answer.txt"
    path.write_text("x = 1\n")
    result = forge("2", "--submission", path)
    assert result.exit_code == 2
    assert "is not a .py or .ipynb file" in result.output


def test_no_workspace_exit_2(tmp_path):
    result = forge("2", "--workspace", tmp_path)
    assert result.exit_code == 2
    assert "ex02_linear.py" in result.output and "--submission" in result.output


def test_sources_cannot_be_combined():
    result = forge("2", "--reference", "--submission", REFERENCE)
    assert result.exit_code == 2
    assert "cannot be combined" in result.output


@pytest.mark.parametrize("option", [["--memory", "lots"], ["--memory", "1MiB"], ["--timeout", "0"],
                                    ["--timeout", "-3"], ["--seed", "-1"], ["--seed", "abc"]])
def test_bad_options_exit_2(option):
    result = forge("2", "--reference", *option)
    assert result.exit_code == 2
    assert option[1] in result.output


def test_select_with_k():
    _, report = graded_json("2", "--reference", "--seed", 0, "-k", "forward")
    assert report["tests"] and all("forward" in t["name"] for t in report["tests"])


def test_select_matching_nothing_exit_2():
    result = forge("2", "--reference", "-k", "no_such_test")
    assert result.exit_code == 2


def test_list_shows_every_exercise():
    result = forge("list")
    assert result.exit_code == 0
    assert "linear" in result.output and "Linear" in result.output


def test_list_json():
    rows = json.loads(forge("list", "--json").stdout)
    linear = next(row for row in rows if row["alias"] == "linear")
    assert linear["number"] == 2 and linear["names"] == ["Linear"] and linear["max_score"] > 0


def test_text_report_shows_check_and_hint():
    result = forge("2", "--submission", ROOT / "tests/submissions/ex02_linear/bug_db_mean.py", "--seed", 1)
    assert result.exit_code == 1
    assert "FAIL" in result.output and "checked:" in result.output and "expected:" in result.output
    assert "received:" in result.output and "worst entry:" in result.output and "hint 1/3:" in result.output
    assert "averaged over the batch" in result.output


def test_json_stdout_is_only_json_even_when_submission_prints():
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "2", "--submission", MISBEHAVING / "prints_a_lot.py",
         "--seed", "2", "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    report = json.loads(completed.stdout)
    assert report["score"] == report["max_score"] < 999
    assert completed.returncode == 0


def test_crash_fails_only_affected_tests():
    result, report = graded_json("2", "--submission", MISBEHAVING / "exits_in_backward.py", "--seed", 0)
    assert result.exit_code == 1
    by_name = {t["name"]: t for t in report["tests"]}
    assert by_name["forward[batch]"]["status"] == "passed"
    crashed = by_name["backward_dx[batch]"]
    assert crashed["status"] == "error" and "exited with status 3" in crashed["message"]


def test_sys_exit_zero_earns_nothing():
    result, report = graded_json("2", "--submission", MISBEHAVING / "sys_exit_zero.py", "--seed", 0)
    forward = next(t for t in report["tests"] if t["name"] == "forward[batch]")
    assert forward["status"] == "error" and "sys.exit" in forward["message"]
    assert report["score"] <= 1  # at most the constructor's param-shape point


def test_hang_times_out_once_and_fails_fast():
    started = time.monotonic()
    result, report = graded_json("2", "--submission", MISBEHAVING / "hangs_in_backward.py", "--seed", 0,
                                 "--timeout", "0.5")
    elapsed = time.monotonic() - started
    by_name = {t["name"]: t for t in report["tests"]}
    assert by_name["forward[batch]"]["status"] == "passed"
    hung = [t for t in report["tests"] if t["status"] != "passed"]
    assert all(t["status"] == "error" and "Linear.backward" in t["message"] for t in hung)
    assert "timed out" in hung[0]["message"]
    assert all("not run again" in t["message"] for t in hung[1:])
    assert elapsed < 15, f"grading a hanging submission took {elapsed:.1f} s"


def test_memory_limit_reported():
    result, report = graded_json("2", "--submission", MISBEHAVING / "memory_hog.py", "--seed", 0,
                                 "--memory", "512MiB", "-k", "forward")
    forward = report["tests"][0]
    assert forward["status"] == "error" and "out of memory" in forward["message"]


def test_exception_shows_candidate_file_and_line():
    result = forge("2", "--submission", MISBEHAVING / "raises_in_forward.py", "--seed", 0, "-k", "forward and batch")
    assert "raised ValueError: unexpected input of shape (4, 3)" in result.output
    assert "raises_in_forward.py, line 7, in check_input" in result.output
    assert "grader/" not in result.output  # no grader traceback


def test_syntax_error_located():
    result = forge("2", "--submission", MISBEHAVING / "syntax_error.py", "--seed", 0)
    assert result.exit_code == 1
    assert "SyntaxError in" in result.output and "syntax_error.py, line 7" in result.output
    assert "Traceback" not in result.output


def test_missing_name_reported():
    _, report = graded_json("2", "--submission", MISBEHAVING / "wrong_name.py", "--seed", 0)
    assert report["score"] == 0
    assert "defines no 'Linear'" in report["tests"][0]["message"]


def test_always_equal_objects_earn_nothing():
    _, report = graded_json("2", "--submission", MISBEHAVING / "always_equal.py", "--seed", 0)
    assert report["score"] <= 1
    forward = next(t for t in report["tests"] if t["name"] == "forward[batch]")
    assert "Anything object" in forward["message"]


def test_importing_forge_solutions_is_rejected():
    result, report = graded_json("2", "--submission", MISBEHAVING / "imports_solution.py", "--seed", 0)
    assert report["score"] == 0
    assert "part of Forge itself" in result.output or all(t["status"] == "error" for t in report["tests"])


def write_notebook(path, cells):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    nbformat.write(notebook, str(path))
    return path


def test_notebook_answer_cells_graded(tmp_path):
    import nbformat

    source = REFERENCE.read_text()
    path = write_notebook(tmp_path / "answer.ipynb", [
        nbformat.v4.new_markdown_cell("# My answer"),
        nbformat.v4.new_code_cell("%matplotlib inline\n!pip install numpy"),
        nbformat.v4.new_code_cell(source, metadata={"tags": ["answer"]}),
        nbformat.v4.new_code_cell("raise SystemExit('scratch work, not graded')"),
    ])
    result, report = graded_json("2", "--submission", path, "--seed", 0)
    assert result.exit_code == 0 and report["score"] == report["max_score"]


def test_notebook_untagged_cells_with_magics_graded(tmp_path):
    import nbformat

    body = REFERENCE.read_text().replace("from __future__ import annotations\n", "")
    path = write_notebook(tmp_path / "answer.ipynb", [
        nbformat.v4.new_code_cell("%%time\nslow = 1"),
        nbformat.v4.new_code_cell("import numpy as np\nfor _ in range(1):\n    !echo shell escape\n" + body),
    ])
    result, report = graded_json("2", "--submission", path, "--seed", 0)
    assert report["score"] == report["max_score"], result.output


def test_notebook_error_points_at_cell(tmp_path):
    import nbformat

    path = write_notebook(tmp_path / "broken.ipynb", [
        nbformat.v4.new_markdown_cell("intro"),
        nbformat.v4.new_code_cell("class Linear:\n    def __init__(self, i, o, rng=None)\n        pass"),
    ])
    result = forge("2", "--submission", path, "--seed", 0)
    assert result.exit_code == 1
    assert "SyntaxError in <cell 2>, line 2" in result.output


@pytest.mark.parametrize("content", ["{not json", '{"cells": 3}', "\xff\xfe"])
def test_invalid_notebook_exit_2(tmp_path, content):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content.encode("latin-1"))
    result = forge("2", "--submission", path)
    assert result.exit_code == 2
    assert "bad.ipynb" in result.output and "Traceback" not in result.output


def test_worker_starts_before_pytest_is_imported():
    # The worker imports numpy while the grader imports pytest; importing the
    # engine first would make every grading wait for both in turn.
    script = (
        "import sys\n"
        "from grader.worker import process\n"
        "spawn = process.WorkerProcess.spawn.__func__\n"
        "def spy(cls, *args, **kwargs):\n"
        "    print('pytest imported before the worker:', 'pytest' in sys.modules, file=sys.stderr)\n"
        "    return spawn(cls, *args, **kwargs)\n"
        "process.WorkerProcess.spawn = classmethod(spy)\n"
        "from grader.cli import main\n"
        "main(['2', '--reference', '-k', 'param_shapes'])\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                               timeout=120)
    assert "pytest imported before the worker: False" in completed.stderr
