"""forge-grade export: the Gradescope autograder archive and the GitHub Classroom workflow."""

import base64
import io
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from batch_helpers import LINEAR, ROOT, forge


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    result = forge("export", "gradescope", "-e", "2", "-o", folder / "autograder.zip", "--seed", 17,
                   "--timeout", 5)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def installed(autograder):
    """The archive's wheel installed into a folder of its own, without dependencies."""
    with zipfile.ZipFile(autograder / "autograder.zip") as archive:
        wheel = next(name for name in archive.namelist() if name.endswith(".whl"))
        archive.extractall(autograder / "source")
    site = autograder / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(site), str(autograder / "source" / wheel)], check=True, timeout=300)
    return site


def test_archive_layout(autograder):
    with zipfile.ZipFile(autograder / "autograder.zip") as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        run = archive.read("run_autograder").decode()
        setup = archive.read("setup.sh").decode()
    assert names[:2] == ["setup.sh", "run_autograder"]
    assert [name for name in names if name.endswith(".whl")] == ["backprop_forge-0.1.0-py3-none-any.whl"]
    for name in ("setup.sh", "run_autograder"):
        assert modes[name] & stat.S_IXUSR, f"{name} must be executable"
    assert run.startswith("#!/usr/bin/env bash")
    assert setup.startswith("#!/usr/bin/env bash")
    assert "--exercise exercise2 --seed 17 --timeout 5" in run
    assert 'RESULTS="$ROOT/results/results.json"' in run
    assert 'ROOT="${FORGE_AUTOGRADER_ROOT:-/autograder}"' in run
    assert "pip install /autograder/source/backprop_forge-0.1.0-py3-none-any.whl" in setup


def test_wheel_carries_suites_and_metadata(installed):
    assert (installed / "grader" / "suites" / "test_ex02_linear.py").is_file()
    assert (installed / "grader" / "suites" / "pytest.ini").is_file()
    assert (installed / "solutions" / "ex02_linear.py").is_file()
    assert (installed / "grader" / "worker" / "limits_entry.py").is_file()
    metadata = (installed / "backprop_forge-0.1.0.dist-info" / "METADATA").read_text()
    assert "Requires-Dist: numpy" in metadata
    assert "Requires-Dist: pytest-xdist" not in metadata


def run_autograder(autograder, site, submission_files, grade_command=None):
    root = autograder / "gradescope-root"
    if root.exists():
        import shutil

        shutil.rmtree(root)
    (root / "submission").mkdir(parents=True)
    for name, content in submission_files.items():
        path = root / "submission" / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    environment = {**os.environ, "FORGE_AUTOGRADER_ROOT": str(root), "PYTHONPATH": str(site),
                   "FORGE_GRADE": grade_command or f"{sys.executable} -m grader"}
    completed = subprocess.run(["bash", str(autograder / "source" / "run_autograder")], env=environment,
                               capture_output=True, text=True, timeout=300, cwd=root)
    return completed, json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_grades_with_the_wheel(autograder, installed):
    which = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], capture_output=True,
                           text=True, env={**os.environ, "PYTHONPATH": str(installed)}, cwd=installed.parent)
    assert which.stdout.startswith(str(installed)), "the test must grade with the exported wheel"
    completed, results = run_autograder(autograder, installed,
                                        {"ex02_linear.py": (LINEAR / "bug_db_mean.py").read_text()})
    assert completed.returncode == 0, completed.stderr
    assert 0 < results["score"] < sum(test["max_score"] for test in results["tests"])
    assert results["extra_data"]["seed"] == 17
    assert all(set(test) == {"name", "number", "score", "max_score", "status", "output"} for test in results["tests"])


def test_run_autograder_unwraps_lone_zip(autograder, installed):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(LINEAR / "correct_einsum.py", "work/exercises/ex02_linear.py")
    completed, results = run_autograder(autograder, installed, {"work.zip": buffer.getvalue()})
    assert completed.returncode == 0, completed.stderr
    assert results["extra_data"]["status"] == "graded"
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0


def test_run_autograder_writes_results_when_forge_fails(autograder, installed):
    completed, results = run_autograder(autograder, installed, {"ex02_linear.py": "x = 1\n"}, grade_command="false")
    assert results["score"] == 0
    assert "could not grade" in results["output"]


def test_export_needs_a_zip_name(tmp_path):
    result = forge("export", "gradescope", "-e", "2", "-o", tmp_path / "autograder.tar")
    assert result.exit_code == 2
    assert "must be a .zip file" in result.output


def test_export_into_missing_folder_exit_2(tmp_path):
    result = forge("export", "gradescope", "-e", "2", "-o", tmp_path / "no" / "autograder.zip")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_export_unknown_exercise_exit_2(tmp_path):
    result = forge("export", "gradescope", "-e", "nope", "-o", tmp_path / "autograder.zip")
    assert result.exit_code == 2
    assert "unknown exercise 'nope'" in result.output


def test_classroom_workflow(tmp_path):
    yaml = pytest.importorskip("yaml")
    result = forge("export", "classroom", "-e", "2", "-o", tmp_path / "classroom.yml", "--seed", 6)
    assert result.exit_code == 0, result.output
    workflow = yaml.safe_load((tmp_path / "classroom.yml").read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    grade = next(step for step in steps if step.get("id") == "exercise2")
    assert "forge-grade exercise2 --workspace . --seed 6 --sandbox --json" in grade["run"]
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"] == "exercise2"
    assert reporter["env"]["EXERCISE2_RESULTS"] == "${{ steps.exercise2.outputs.result }}"


def classroom_result(*args):
    completed = subprocess.run([sys.executable, "-m", "grader.batch.classroom", *map(str, args)],
                               capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert completed.returncode == 0, completed.stderr
    name, _, value = completed.stdout.strip().partition("=")
    assert name == "result"
    return json.loads(base64.b64decode(value))


def test_classroom_result_from_report(tmp_path):
    graded = forge("2", "--submission", LINEAR / "bug_db_mean.py", "--seed", 1, "-k", "backward_db", "--json")
    (tmp_path / "report.json").write_text(graded.stdout)
    result = classroom_result("exercise2", tmp_path / "report.json")
    assert result["version"] == 1
    assert result["status"] == "fail"
    assert result["max_score"] == json.loads(graded.stdout)["max_score"]
    assert {test["status"] for test in result["tests"]} <= {"pass", "fail", "error"}
    assert all("hint:" in test["message"] for test in result["tests"] if test["status"] == "fail")


def test_classroom_result_without_report(tmp_path):
    result = classroom_result("exercise2", tmp_path / "missing.json")
    assert result["status"] == "error"
    assert result["tests"][0]["score"] == 0
