"""Self-study: progress records, progressive hints, status, init, notebooks and interviews."""

import json
import shutil

import nbformat
import pytest
from click.testing import CliRunner

from grader.catalog import available, find
from grader.cli import main
from grader.interview import Interview, pick_exercises, run_interview
from grader.notebooks.build import build_notebook, split_module
from grader.progress.store import Run, summarise, workspace_store
from grader.records import Report, TestResult
from support import ROOT, pristine_stub

LINEAR = find("linear")


def forge(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def workspace(tmp_path):
    """A workspace holding exercise 2's stub."""
    pristine_stub(LINEAR, tmp_path / "exercises")
    return tmp_path


def solve(workspace, name="ex02_linear.py", source=ROOT / "solutions" / "ex02_linear.py"):
    shutil.copy(source, workspace / "exercises" / name)


# -- progress database ------------------------------------------------------


def test_grading_in_workspace_is_recorded(workspace):
    forge("2", "--workspace", workspace, "--seed", 4)
    solve(workspace)
    forge("2", "--workspace", workspace, "--seed", 5)
    with workspace_store(workspace) as store:
        runs = store.runs("exercise2")
    assert [run.seed for run in runs] == [4, 5]
    assert runs[0].score == 0 and runs[1].score == runs[1].max_score
    assert "forward[batch]" in runs[0].failed and runs[1].failed == ()


def test_submission_and_reference_runs_are_not_recorded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    forge("2", "--reference", "--seed", 1)
    forge("2", "--submission", ROOT / "solutions" / "ex02_linear.py", "--seed", 1)
    assert not (tmp_path / ".forge").exists()


def test_partial_runs_are_not_recorded(workspace):
    forge("2", "--workspace", workspace, "-k", "forward")
    with workspace_store(workspace) as store:
        assert store.runs() == []


def test_status_table_and_json(workspace):
    forge("2", "--workspace", workspace, "--seed", 1)
    solve(workspace)
    forge("2", "--workspace", workspace, "--seed", 2)
    result = forge("status", "--workspace", workspace)
    assert result.exit_code == 0
    assert "linear" in result.output and "28/28" in result.output and "done" in result.output
    rows = json.loads(forge("status", "--workspace", workspace, "--json").output)
    linear = next(row for row in rows if row["exercise"] == "exercise2")
    assert linear["attempts"] == 2 and linear["best_score"] == linear["max_score"] and linear["mastered"]
    assert linear["last_score"] == linear["max_score"]
    untouched = [row for row in rows if row["exercise"] != "exercise2"]
    assert all(row["attempts"] == 0 and row["best_score"] is None for row in untouched)


def test_time_spent_counts_gaps_within_a_session():
    runs = [Run("exercise2", started, 1.0, 0, 10, 0, "grade", ()) for started in (0, 600, 1200, 1200 + 7200)]
    status = summarise("exercise2", runs)
    assert status.time_spent == pytest.approx(4 + 599 + 599)  # the two-hour gap is a break
    assert status.attempts == 4


def test_unreadable_database_does_not_lose_the_report(workspace):
    (workspace / ".forge").mkdir()
    (workspace / ".forge" / "progress.sqlite3").write_text("this is not a database")
    result = forge("2", "--workspace", workspace, "--seed", 1)
    assert "Score: 0/28" in result.output
    assert "not recorded" in result.stderr


# -- hints ------------------------------------------------------------------


def test_hint_levels_advance_and_persist(workspace):
    levels = []
    for _ in range(4):
        result = forge("hint", "2", "--workspace", workspace, "--seed", 1)
        assert result.exit_code == 1
        with workspace_store(workspace) as store:
            levels.append(store.hint_levels("exercise2")["backward_dW[batch]"])
    assert levels == [1, 2, 2, 2]  # three levels: 0 is shown by the report, the last one sticks
    assert "(last hint)" in result.output
    report = json.loads(forge("2", "--workspace", workspace, "--seed", 1, "--json").output)
    dw = next(t for t in report["tests"] if t["name"] == "backward_dW[batch]")
    assert "x2.T @ d2" in dw["hint"]


def test_hint_reset(workspace):
    forge("hint", "2", "--workspace", workspace, "--seed", 1)
    result = forge("hint", "2", "--workspace", workspace, "--reset")
    assert result.exit_code == 0
    with workspace_store(workspace) as store:
        assert store.hint_levels("exercise2") == {}


def test_hint_when_everything_passes(workspace):
    solve(workspace)
    result = forge("hint", "2", "--workspace", workspace, "--seed", 1)
    assert result.exit_code == 0 and "no hints needed" in result.output


def test_hint_needs_a_workspace(tmp_path):
    result = forge("hint", "2", "--workspace", tmp_path)
    assert result.exit_code == 2 and "ex02_linear.py" in result.output


# -- init -------------------------------------------------------------------


def test_init_writes_every_stub(tmp_path):
    result = forge("init", tmp_path / "ws")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "ws" / "exercises").iterdir())
    assert written == sorted(e.filename for e in available())
    report = json.loads(forge("2", "--workspace", tmp_path / "ws", "--json", "--seed", 0).output)
    assert report["score"] == 0


def test_init_again_keeps_the_old_attempt(tmp_path):
    forge("init", tmp_path)
    solve(tmp_path)
    forge("2", "--workspace", tmp_path, "--seed", 1)
    result = forge("init", tmp_path)
    assert "Kept your previous attempt" in result.output
    kept = list((tmp_path / ".forge" / "attempts").glob("*/exercises/ex02_linear.py"))
    assert len(kept) == 1 and "raise NotImplementedError" not in kept[0].read_text()
    assert "raise NotImplementedError" in (tmp_path / "exercises" / "ex02_linear.py").read_text()
    assert len(list((tmp_path / ".forge" / "attempts").glob("*/progress.sqlite3"))) == 1
    with workspace_store(tmp_path) as store:
        assert store.runs() == []  # the fresh start has a fresh record


def test_init_on_a_file_is_a_usage_error(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("x")
    result = forge("init", path)
    assert result.exit_code == 2 and "not a folder" in result.output


# -- notebooks --------------------------------------------------------------


@pytest.mark.parametrize("exercise", available(), ids=lambda e: e.module)
def test_generated_notebook_is_valid_and_matches_module(exercise):
    notebook = build_notebook(exercise)
    nbformat.validate(notebook)
    lesson, code = split_module((ROOT / "exercises" / exercise.filename).read_text())
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source == lesson
    answers = [c for c in notebook.cells if "answer" in c.metadata.get("tags", [])]
    assert len(answers) == 1 and answers[0].source == code.rstrip("\n")
    assert f'check("{exercise.id}"' in notebook.cells[-1].source


def test_notebook_command_writes_and_refuses_to_overwrite(tmp_path):
    result = forge("notebook", "all", "-o", tmp_path)
    assert result.exit_code == 0
    assert len(list(tmp_path.glob("*.ipynb"))) == len(available())
    again = forge("notebook", "2", "-o", tmp_path)
    assert again.exit_code == 2 and "--force" in again.output
    assert forge("notebook", "2", "-o", tmp_path, "--force").exit_code == 0


def test_notebook_command_rejects_unknown_exercise(tmp_path):
    result = forge("notebook", "exercise99", "-o", tmp_path)
    assert result.exit_code == 2 and "or all" in result.output


def solved_notebook(folder):
    forge("notebook", "2", "-o", folder)
    path = folder / "ex02_linear.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    _, code = split_module((ROOT / "solutions" / "ex02_linear.py").read_text())
    notebook.cells[2].source = code
    nbformat.write(notebook, str(path))
    return path


def test_generated_notebook_grades_from_the_command_line(tmp_path):
    path = solved_notebook(tmp_path)
    report = json.loads(forge("2", "--submission", path, "--json", "--seed", 3).output)
    assert report["score"] == report["max_score"]


def test_notebook_in_a_workspace_records_there(tmp_path):
    from grader.notebook_check import notebook_workspace

    (tmp_path / "exercises").mkdir()
    assert notebook_workspace(tmp_path / "notebooks" / "ex02_linear.ipynb") == tmp_path
    assert notebook_workspace(tmp_path / "elsewhere" / "ex02_linear.ipynb") == tmp_path / "elsewhere"


def test_one_line_check_inside_the_notebook(tmp_path, monkeypatch, capsys):
    import sys

    path = solved_notebook(tmp_path)
    notebook = nbformat.read(str(path), as_version=4)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "IPython", None)  # no IPython: the text report is printed
    namespace = {}
    exec(notebook.cells[-1].source.replace("check(", "report = check("), namespace)
    assert namespace["report"].full_marks
    printed = capsys.readouterr().out
    assert "Score: 28/28" in printed
    assert 'check("exercise2", "ex02_linear.ipynb", seed=' in printed
    assert "\x1b[" not in printed  # no colour codes outside a terminal
    with workspace_store(tmp_path) as store:
        assert store.runs("exercise2")[0].mode == "notebook"


def test_html_report_has_the_terminal_report_content():
    from grader.render import render_html

    test = TestResult("backward_db[batch]", 0.0, 2.0, "failed", "checked: db\nexpected: x", "sum over N", ("sum over N",))
    html = render_html(Report("exercise2", "linear", "x.ipynb", 5, (test,)))
    assert "backward_db[batch]" in html and "checked: db" in html and "sum over N" in html and "seed 5" in html


# -- interview --------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def fake_report(exercise, score):
    return Report(exercise.id, exercise.alias, "x.py", 0, (TestResult("t", score, 10.0, "passed" if score == 10 else "failed"),))


def scripted(clock, commands):
    """A reader that returns the scripted commands, advancing the clock by each one's delay."""
    queue = list(commands)

    def read(timeout):
        if not queue:
            clock.now += timeout
            return None
        delay, command = queue.pop(0)
        if delay >= timeout:
            clock.now += timeout
            return None
        clock.now += delay
        return command

    return read


def test_interview_records_time_per_exercise():
    clock, ex1, ex2 = FakeClock(), find("1"), find("2")
    graded = []
    read = scripted(clock, [(300, "2"), (5, "bogus"), (600, "1")])
    interview = Interview([ex1, ex2], minutes=45)
    results = run_interview(interview, clock=clock, read=read,
                            grade=lambda e: graded.append(e.number) or fake_report(e, 10), echo=lambda text: None)
    assert graded == [2, 1]
    assert [r.exercise.number for r in results] == [1, 2]
    assert results[1].seconds == 300 and results[0].seconds == 905
    assert all(r.finished_in_time for r in results)


def test_interview_time_runs_out():
    clock, ex1, ex2 = FakeClock(), find("1"), find("2")
    output = []
    read = scripted(clock, [(120, "1"), (3000, "2")])
    results = run_interview(Interview([ex1, ex2], minutes=10), clock=clock, read=read,
                            grade=lambda e: fake_report(e, 5), echo=output.append)
    assert results[0].finished_in_time and results[0].seconds == 120
    assert not results[1].finished_in_time and results[1].seconds == 600
    assert any("Time is up" in line for line in output)


def test_interview_done_grades_the_rest_at_once():
    clock, ex1, ex2 = FakeClock(), find("1"), find("2")
    read = scripted(clock, [(60, "done")])
    results = run_interview(Interview([ex1, ex2], minutes=30), clock=clock, read=read,
                            grade=lambda e: fake_report(e, 10), echo=lambda text: None)
    assert [r.seconds for r in results] == [60, 60] and all(r.finished_in_time for r in results)


def test_pick_skips_mastered_exercises():
    exercises = available()
    picked = pick_exercises(exercises, mastered={exercises[0].id}, count=2)
    assert picked == list(exercises[1:3])


def test_interview_command_end_to_end(workspace):
    result = forge("interview", "-e", "2", "--minutes", "5", "--workspace", workspace, input="2\n")
    assert result.exit_code == 1, result.output  # fewer than full marks, as when grading
    assert "Exercise  2 (linear): 0/28" in result.output
    assert "hint" not in result.output  # hints are off in an interview
    with workspace_store(workspace) as store:
        interviews = store.interviews()
        assert interviews[0]["results"][0]["exercise"] == "exercise2"
        assert store.runs("exercise2")[0].mode == "interview"


def test_interview_rejects_an_exercise_missing_from_the_workspace(workspace):
    result = forge("interview", "-e", "3", "--workspace", workspace)
    assert result.exit_code == 2 and "ex03" in result.output
