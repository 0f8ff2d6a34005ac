"""forge-grade batch: statuses, output schemas, resume, shards and bad input."""

import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile

import pytest

from batch_helpers import LINEAR, ROOT, add_file, add_misbehaving, forge, forge_process, read_csv, read_jsonl

SELECT = "param_shapes or forward or backward_dx"
RECORD_KEYS = {"submission", "exercise", "seed", "status", "score", "max_score", "reason", "source", "digest",
               "settings", "seconds", "forge_version", "tests"}
TEST_KEYS = {"name", "score", "max_score", "status", "message", "hint", "fault"}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """One batch over a submission of every status, with every output."""
    folder = tmp_path_factory.mktemp("mixed")
    subs = folder / "subs"
    add_file(subs, LINEAR / "correct_einsum.py", "good")
    add_file(subs, LINEAR / "bug_dx_sign.py", "buggy")
    for name, student in (("syntax_error", "syntax"), ("hangs_in_backward", "hangs"), ("memory_hog", "hog"),
                          ("exits_in_backward", "exits")):
        add_misbehaving(subs, name, student)
    (subs / "notes.txt").write_text("not a submission\n")
    with zipfile.ZipFile(subs / "slip.zip", "w") as archive:
        archive.writestr("../../escaped.py", "x = 1\n")
    out = folder / "out"
    result = forge("batch", subs, "-e", "2", "--seed", 11, "-k", SELECT, "--timeout", 1, "--memory", "512MiB",
                   "-j", 2, "-o", out, "--csv", folder / "grades.csv", "--jsonl", folder / "all.jsonl",
                   "--junit", folder / "junit.xml", "--gradescope", folder / "gradescope")
    return folder, result


def test_every_status_reported(mixed):
    folder, result = mixed
    assert result.exit_code == 0, result.output
    rows = read_csv(folder / "grades.csv")
    expected = {"good": "graded", "buggy": "graded", "syntax": "load-error", "hangs": "timeout", "hog": "memory",
                "exits": "crashed", "notes": "rejected", "slip": "rejected"}
    assert {name: row["status"] for name, row in rows.items()} == expected


def test_reasons_name_the_cause(mixed):
    folder, _ = mixed
    rows = read_csv(folder / "grades.csv")
    assert "SyntaxError in syntax/ex02_linear.py, line 7" in rows["syntax"]["reason"]
    assert "timed out" in rows["hangs"]["reason"]
    assert "Linear.backward" in rows["hangs"]["reason"]
    assert "ran out of memory" in rows["hog"]["reason"]
    assert "exited with status 3" in rows["exits"]["reason"]
    assert "'../../escaped.py'" in rows["slip"]["reason"]
    assert "not a .py or .ipynb file" in rows["notes"]["reason"]
    assert rows["good"]["reason"] == ""
    assert rows["buggy"]["reason"] == ""
    assert not (folder / "escaped.py").exists()


def test_scores_in_gradebook(mixed):
    folder, _ = mixed
    rows = read_csv(folder / "grades.csv")
    assert rows["good"]["exercise2"] == rows["good"]["total"] == rows["good"]["max_score"]
    assert 0 < float(rows["buggy"]["total"]) < float(rows["buggy"]["max_score"])
    assert float(rows["hangs"]["total"]) > 0, "forward is correct and earns its points"
    for name in ("syntax", "notes", "slip"):
        assert float(rows[name]["total"]) == 0
        assert rows[name]["max_score"] == rows["good"]["max_score"]
    assert {row["seed"] for row in rows.values()} == {"11"}


def test_csv_header(mixed):
    folder, _ = mixed
    header = (folder / "grades.csv").read_text().splitlines()[0]
    assert header == "submission,exercise2,total,max_score,status,reason,seed"


def test_jsonl_schema(mixed):
    folder, _ = mixed
    records = read_jsonl(folder / "all.jsonl")
    assert len(records) == 8
    for record in records:
        assert set(record) == RECORD_KEYS
        assert record["seed"] == 11
        assert record["exercise"] == "exercise2"
        assert record["score"] == sum(test["score"] for test in record["tests"])
        assert record["tests"], "every record lists the suite's tests, run or not"
        for test in record["tests"]:
            assert set(test) == TEST_KEYS
            assert test["status"] in ("passed", "failed", "error")
    rejected = next(r for r in records if r["submission"] == "notes")
    assert all(t["status"] == "error" and t["message"].startswith("not run") for t in rejected["tests"])
    hangs = next(r for r in records if r["submission"] == "hangs")
    assert "timeout" in {test["fault"] for test in hangs["tests"]}


def test_junit_schema(mixed):
    folder, _ = mixed
    root = ElementTree.parse(folder / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert "good.exercise2" in suites
    assert len(suites) == 8
    good = suites["good.exercise2"]
    assert good.get("failures") == "0"
    assert good.get("errors") == "0"
    properties = {p.get("name"): p.get("value") for p in good.find("properties")}
    assert properties["seed"] == "11"
    assert properties["status"] == "graded"
    buggy = suites["buggy.exercise2"]
    assert int(buggy.get("failures")) > 0
    assert buggy.find("testcase/failure").text
    not_run = suites["notes.exercise2"].find("testcase/error")
    assert not_run.get("type") == "rejected"


def test_gradescope_schema(mixed):
    folder, _ = mixed
    assert sorted(path.name for path in (folder / "gradescope").iterdir()) == sorted(read_csv(folder / "grades.csv"))
    results = json.loads((folder / "gradescope" / "buggy" / "results.json").read_text())
    assert set(results) == {"score", "execution_time", "output", "tests", "extra_data"}
    assert results["extra_data"]["seed"] == 11
    assert results["score"] == sum(test["score"] for test in results["tests"])
    for test in results["tests"]:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output"}
        assert test["status"] in ("passed", "failed")
        assert test["number"].startswith("2.")
    failed = [test for test in results["tests"] if test["status"] == "failed"]
    assert failed
    assert all("hint:" in test["output"] for test in failed)


def test_summary_printed(mixed):
    _, result = mixed
    assert "Graded 6 submissions with seed 11." in result.output
    assert "Not graded: 2 entries (rejected 2), left out of the scores below." in result.output
    for status in ("graded 2", "rejected 2", "load-error 1", "timeout 1", "memory 1", "crashed 1"):
        assert status in result.output
    assert "mean" in result.output
    assert "median" in result.output
    assert "Distribution of scores:" in result.output
    assert "90-100%" in result.output
    assert "Tests failed most often" in result.output
    assert re.search(r"\d+ of 5 +exercise2 backward_dx", result.output), "of the 5 whose module ran"


def test_bad_submission_changes_no_other_result(mixed, tmp_path):
    folder, _ = mixed
    alone = tmp_path / "alone"
    add_file(alone, LINEAR / "bug_dx_sign.py", "buggy")
    result = forge("batch", alone, "-e", "2", "--seed", 11, "-k", SELECT, "--timeout", 1, "--memory", "512MiB",
                   "-j", 1, "-o", tmp_path / "out", "--jsonl", tmp_path / "alone.jsonl")
    assert result.exit_code == 0, result.output
    in_batch = next(r for r in read_jsonl(folder / "all.jsonl") if r["submission"] == "buggy")
    by_itself = read_jsonl(tmp_path / "alone.jsonl")[0]
    for key in ("status", "score", "max_score", "digest", "settings"):
        assert in_batch[key] == by_itself[key]
    assert [(t["name"], t["status"], t["message"]) for t in in_batch["tests"]] == \
           [(t["name"], t["status"], t["message"]) for t in by_itself["tests"]]


def test_batch_agrees_with_single_grading(mixed):
    folder, _ = mixed
    single = forge("2", "--submission", LINEAR / "bug_dx_sign.py", "--seed", 11, "-k", SELECT, "--json")
    report = json.loads(single.stdout)
    in_batch = next(r for r in read_jsonl(folder / "all.jsonl") if r["submission"] == "buggy")
    assert in_batch["score"] == report["score"]
    assert [(t["name"], t["status"]) for t in in_batch["tests"]] == [(t["name"], t["status"]) for t in report["tests"]]


def test_submission_time_limit_keeps_earned_points(tmp_path):
    subs = tmp_path / "subs"
    add_misbehaving(subs, "slow_everywhere", "slow")
    add_file(subs, LINEAR / "correct_einsum.py", "quick")
    result = forge("batch", subs, "-e", "2", "--seed", 3, "--timeout", 1, "--submission-timeout", 3,
                   "-o", tmp_path / "out", "--jsonl", tmp_path / "all.jsonl", "--no-sandbox")
    assert result.exit_code == 0, result.output
    records = {r["submission"]: r for r in read_jsonl(tmp_path / "all.jsonl")}
    slow = records["slow"]
    assert slow["status"] == "timeout"
    assert "per-submission limit of 3 s" in slow["reason"]
    assert slow["score"] >= 1, "param_shapes passes before the limit"
    assert slow["seconds"] >= 3, "the time until the limit stopped it"
    assert any(t["message"].startswith("not run: grading took longer") for t in slow["tests"])
    assert records["quick"]["status"] == "graded"
    assert records["quick"]["score"] == records["quick"]["max_score"]


def test_several_exercises_from_a_workspace(tmp_path):
    from grader.catalog import available

    second = next((e for e in available() if e.number != 2), None)
    if second is None:
        pytest.skip("only exercise 2 is installed")
    subs = tmp_path / "subs"
    (subs / "ws" / "exercises").mkdir(parents=True)
    (subs / "ws" / "exercises" / "ex02_linear.py").write_text((LINEAR / "correct_loops.py").read_text())
    add_file(subs, LINEAR / "correct_einsum.py", "single")
    result = forge("batch", subs, "-e", "2", "-e", second.alias, "--seed", 1, "-k", "forward", "-j", 1,
                   "-o", tmp_path / "out", "--csv", tmp_path / "grades.csv", "--no-sandbox")
    assert result.exit_code == 0, result.output
    rows = read_csv(tmp_path / "grades.csv")
    assert list(rows["ws"])[:3] == ["submission", "exercise2", second.id]
    assert rows["ws"]["status"] == "missing"
    assert rows["ws"]["reason"].startswith(f"{second.id}: no {second.filename}")
    assert float(rows["ws"]["exercise2"]) > 0
    assert rows["single"]["status"] == "rejected"
    assert rows["single"]["reason"].count("one exercise only") == 1, "one reason for both exercises"
    assert rows["single"]["reason"].startswith(f"exercise2, {second.id}: ")


def latin1_module(coding_line: bool) -> bytes:
    """The correct module with a Latin-1 comment, with or without a PEP 263 coding line."""
    header = "# -*- coding: latin-1 -*-\n" if coding_line else ""
    return (header + "# Réponse\n" + (LINEAR / "correct_einsum.py").read_text()).encode("latin-1")


@pytest.mark.parametrize("coding_line, status", [(True, "graded"), (False, "load-error")])
def test_encoding_same_verdict_as_single_grading(tmp_path, coding_line, status):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "eve.py").write_bytes(latin1_module(coding_line))
    result = forge("batch", subs, "-e", "2", "--seed", 1, "-k", "param_shapes", "-j", 1, "-o", tmp_path / "out",
                   "--jsonl", tmp_path / "all.jsonl")
    assert result.exit_code == 0, result.output
    in_batch = read_jsonl(tmp_path / "all.jsonl")[0]
    single = json.loads(forge("2", "--submission", subs / "eve.py", "--seed", 1, "-k", "param_shapes",
                              "--json").stdout)
    assert in_batch["status"] == status
    assert in_batch["score"] == single["score"]
    assert [(t["name"], t["status"], t["message"]) for t in in_batch["tests"]] == \
           [(t["name"], t["status"], t["message"]) for t in single["tests"]]
    if not coding_line:
        assert "Non-UTF-8 code starting with '\\xe9'" in in_batch["reason"]
        assert "line 1" in in_batch["reason"]


@pytest.fixture(scope="module")
def duplicates(tmp_path_factory):
    """xena.py and xena.zip in one class, graded in two shards (they land in different ones) and merged."""
    folder = tmp_path_factory.mktemp("duplicates")
    subs = folder / "subs"
    add_file(subs, LINEAR / "correct_einsum.py", "alice")
    add_file(subs, LINEAR / "correct_loops.py", "xena")
    with zipfile.ZipFile(subs / "xena.zip", "w") as archive:
        archive.write(LINEAR / "correct_einsum.py", "ex02_linear.py")
    for part in ("1/2", "2/2"):
        result = forge("batch", subs, "-e", "2", "--seed", 6, "-k", "param_shapes", "-j", 1, "--shard", part,
                       "-o", folder / f"shard{part[0]}")
        assert result.exit_code == 0, result.output
    merged = forge("merge", folder / "shard1", folder / "shard2", "--csv", folder / "grades.csv",
                   "--jsonl", folder / "all.jsonl", "--junit", folder / "junit.xml", "--gradescope", folder / "gs")
    return folder, merged


def test_duplicate_identifiers_merge(duplicates):
    _, merged = duplicates
    assert merged.exit_code == 0, merged.output
    assert "Graded 1 submission with seed 6." in merged.output
    assert "Not graded: 2 entries (rejected 2)" in merged.output


def test_duplicate_identifiers_one_row_each(duplicates):
    folder, _ = duplicates
    rows = read_csv(folder / "grades.csv")
    assert list(rows) == ["alice", "xena.py", "xena.zip"]
    assert rows["alice"]["status"] == "graded"
    for name in ("xena.py", "xena.zip"):
        assert rows[name]["status"] == "rejected"
        assert "'xena.py' and 'xena.zip' have the same identifier 'xena'" in rows[name]["reason"]
    assert {record["source"] for record in read_jsonl(folder / "all.jsonl")} == {"alice.py", "xena.py", "xena.zip"}
    suites = [suite.get("name") for suite in ElementTree.parse(folder / "junit.xml").getroot()]
    assert suites == ["alice.exercise2", "xena.py.exercise2", "xena.zip.exercise2"]
    assert sorted(path.name for path in (folder / "gs").iterdir()) == ["alice", "xena.py", "xena.zip"]


def test_merge_mismatch_names_only_differences(tmp_path):
    from grader.batch.folder import Description
    from grader.batch.merge import MergeError, check_compatible

    names = [f"student{index:03}" for index in range(300)]
    first = Description(tmp_path / "a", 1, ["exercise2"], {"exercise2": "f"}, "1/2", names, [])
    other = Description(tmp_path / "b", 1, ["exercise2"], {"exercise2": "f"}, "2/2", names[:-1] + ["zoe"], [])
    with pytest.raises(MergeError) as caught:
        check_compatible([first, other])
    message = str(caught.value)
    assert f"1 only in {str(tmp_path / 'a')!r} (student299)" in message
    assert f"1 only in {str(tmp_path / 'b')!r} (zoe)" in message
    assert message.count("student") == 1, "the 299 names both lists share are left out"


def test_docs_list_every_status():
    from grader.batch.records import STATUSES

    section = (ROOT / "docs" / "instructors.md").read_text().split("## Statuses", 1)[1].split("\n\n", 2)[1]
    documented = re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE)
    assert documented == list(reversed(STATUSES)), "the table lists the least serious status first"


# -- resume -----------------------------------------------------------------


def small_class(folder):
    add_file(folder, LINEAR / "correct_einsum.py", "alice")
    add_file(folder, LINEAR / "bug_db_mean.py", "bob")
    add_file(folder, LINEAR / "correct_loops.py", "carol")
    return folder


def test_resume_regrades_only_what_is_missing(tmp_path):
    subs = small_class(tmp_path / "subs")
    out = tmp_path / "out"
    first = forge("batch", subs, "-e", "2", "--seed", 4, "-k", "forward", "-j", 1, "-o", out,
                  "--csv", tmp_path / "a.csv")
    assert first.exit_code == 0, first.output
    log = out / "results.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    assert len(lines) == 3
    log.write_text("".join(lines[:2]) + '{"submission": "carol", "exer')  # cut short, as by a kill
    second = forge("batch", subs, "-e", "2", "-k", "forward", "-j", 1, "-o", out, "--csv", tmp_path / "b.csv")
    assert second.exit_code == 0, second.output
    assert "Reusing 2 results" in second.output
    assert "seed 4" in second.output
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert len(read_jsonl(log)) == 3


def test_changed_submission_graded_again_unless_fresh(tmp_path):
    subs = small_class(tmp_path / "subs")
    out = tmp_path / "out"
    assert forge("batch", subs, "-e", "2", "--seed", 4, "-k", "param_shapes", "-j", 1, "-o", out).exit_code == 0
    (subs / "carol.py").write_text((LINEAR / "bug_dx_sign.py").read_text())
    again = forge("batch", subs, "-e", "2", "-k", "param_shapes", "-j", 1, "-o", out)
    assert "Reusing 2 results" in again.output
    assert "[3/3] carol exercise2: graded" in again.output
    fresh = forge("batch", subs, "-e", "2", "-k", "param_shapes", "-j", 1, "-o", out, "--fresh")
    assert "Reusing" not in fresh.output
    assert len(read_jsonl(out / "results.jsonl")) == 3


def interrupt(subs, out, stop):
    """Start a batch, stop it with ``stop`` after its first result, and return (exit code, stderr)."""
    command = [sys.executable, "-m", "grader", "batch", str(subs), "-e", "2", "--seed", "5", "-j", "1",
               "--timeout", "1", "-k", SELECT, "-o", str(out), "--no-sandbox"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               start_new_session=True)
    for line in process.stderr:
        if line.startswith("[1/"):
            break
    os.killpg(process.pid, stop)  # the whole group, as a terminal's Ctrl-C does
    _, error = process.communicate(timeout=60)
    return process.returncode, error


def test_interrupted_batch_resumes(tmp_path):
    subs = small_class(tmp_path / "subs")
    for index in range(2):
        add_misbehaving(subs, "hangs_in_backward", f"zz-hang{index}")
    out = tmp_path / "out"
    code, error = interrupt(subs, out, signal.SIGINT)
    assert code == 130, error
    assert "run the same command again to resume" in error
    done = len(read_jsonl(out / "results.jsonl"))
    assert 1 <= done < 5
    resumed = forge_process("batch", subs, "-e", "2", "--timeout", 1, "-k", SELECT, "-o", out, "--no-sandbox",
                            "--csv", tmp_path / "grades.csv")
    assert resumed.returncode == 0, resumed.stderr
    assert f"Reusing {done} result" in resumed.stderr
    assert len(read_csv(tmp_path / "grades.csv")) == 5


def test_killed_batch_stops_cleanly(tmp_path):
    subs = small_class(tmp_path / "subs")
    add_misbehaving(subs, "hangs_in_backward", "zz-hang")
    code, error = interrupt(subs, tmp_path / "out", signal.SIGTERM)
    assert code == 130, error
    assert "results are saved in" in error
    assert "Traceback" not in error


# -- shards -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shards")
    subs = small_class(folder / "subs")
    add_file(subs, LINEAR / "bug_dw_mean.py", "dan")
    add_file(subs, LINEAR / "bug_no_db.py", "erin")
    for part in ("1/2", "2/2"):
        result = forge("batch", subs, "-e", "2", "--seed", 8, "-k", "param_shapes or forward", "-j", 1,
                       "--shard", part, "-o", folder / f"out{part[0]}")
        assert result.exit_code == 0, result.output
    whole = forge("batch", subs, "-e", "2", "--seed", 8, "-k", "param_shapes or forward", "-o", folder / "whole",
                  "--csv", folder / "whole.csv")
    assert whole.exit_code == 0, whole.output
    return folder


def test_shards_merge_into_one_gradebook(shards, tmp_path):
    merged = forge("merge", shards / "out1", shards / "out2", "--csv", tmp_path / "merged.csv",
                   "--jsonl", tmp_path / "merged.jsonl", "--junit", tmp_path / "merged.xml",
                   "--gradescope", tmp_path / "gs")
    assert merged.exit_code == 0, merged.output
    assert (tmp_path / "merged.csv").read_text() == (shards / "whole.csv").read_text()
    assert len(read_jsonl(tmp_path / "merged.jsonl")) == 5
    assert len(list((tmp_path / "gs").iterdir())) == 5
    assert "Graded 5 submissions with seed 8." in merged.output


def test_shards_split_the_class(shards):
    first = {r["submission"] for r in read_jsonl(shards / "out1" / "results.jsonl")}
    second = {r["submission"] for r in read_jsonl(shards / "out2" / "results.jsonl")}
    assert first.isdisjoint(second)
    assert first | second == {"alice", "bob", "carol", "dan", "erin"}


def test_merge_missing_shard_exit_2(shards):
    result = forge("merge", shards / "out1")
    assert result.exit_code == 2
    assert "shard 2/2 is missing" in result.output


def test_merge_same_shard_twice_exit_2(shards):
    result = forge("merge", shards / "out1", shards / "out1")
    assert result.exit_code == 2
    assert "given twice" in result.output


def test_merge_other_batch_exit_2(shards, tmp_path):
    result = forge("merge", shards / "out1", shards / "whole")
    assert result.exit_code == 2
    assert "not a shard" in result.output


def test_merge_not_a_batch_folder_exit_2(tmp_path):
    result = forge("merge", tmp_path)
    assert result.exit_code == 2
    assert "no batch.json" in result.output


def test_merge_incomplete_shard_exit_2(shards, tmp_path):
    import shutil

    copy = tmp_path / "out2"
    shutil.copytree(shards / "out2", copy)
    log = copy / "results.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[1:]))
    result = forge("merge", shards / "out1", copy)
    assert result.exit_code == 2
    assert "lacks results for 1 of 2 submissions" in result.output


@pytest.mark.parametrize("args, recorded", [(["--seed", 9], "--seed 8"), (["--timeout", 5], "--timeout 10")])
def test_changed_seed_or_limit_exit_2(shards, args, recorded):
    description = (shards / "whole" / "batch.json").read_bytes()
    result = forge("batch", shards / "subs", "-e", "2", "-k", "param_shapes or forward", "-o", shards / "whole",
                   *args)
    assert result.exit_code == 2, result.output
    assert f"holds results graded with {recorded}" in result.output
    assert f"rerun with {recorded} to resume" in result.output
    assert "--fresh" in result.output
    assert (shards / "whole" / "batch.json").read_bytes() == description, "nothing is changed"


# -- bad input ------------------------------------------------------------------


@pytest.fixture
def one_submission(tmp_path):
    add_file(tmp_path / "subs", LINEAR / "correct_einsum.py", "alice")
    return tmp_path / "subs"


@pytest.mark.parametrize("args, message", [
    (["-e", "99"], "unknown exercise '99'"),
    (["-e", "2", "--jobs", "0"], "0"),
    (["-e", "2", "--jobs", "x"], "'x' is not a whole number"),
    (["-e", "2", "--shard", "0/3", "--seed", "1"], "counts from 1"),
    (["-e", "2", "--shard", "4/3", "--seed", "1"], "shard '4/3' does not exist"),
    (["-e", "2", "--shard", "x", "--seed", "1"], "'x' is not a shard"),
    (["-e", "2", "--shard", "1/3"], "--shard needs --seed"),
    (["-e", "2", "--timeout", "0"], "0"),
    (["-e", "2", "--memory", "1MiB"], "too small"),
    ([], "Missing option '--exercise'"),
])
def test_bad_options_exit_2(one_submission, args, message):
    result = forge("batch", one_submission, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_missing_folder_exit_2(tmp_path):
    result = forge("batch", tmp_path / "nowhere", "-e", "2")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_file_instead_of_folder_exit_2(one_submission):
    result = forge("batch", one_submission / "alice.py", "-e", "2")
    assert result.exit_code == 2
    assert "is a file; pass the folder that holds the submissions" in result.output
    assert "forge-grade EXERCISE --submission FILE" in result.output


def test_empty_folder_exit_2(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / ".DS_Store").write_text("")
    result = forge("batch", tmp_path / "subs", "-e", "2")
    assert result.exit_code == 2
    assert "no submissions in" in result.output


def test_output_is_a_file_exit_2(one_submission, tmp_path):
    (tmp_path / "taken").write_text("")
    result = forge("batch", one_submission, "-e", "2", "-o", tmp_path / "taken")
    assert result.exit_code == 2
    assert "is a file; give a folder" in result.output


@pytest.mark.parametrize("option", ["--csv", "--jsonl", "--junit"])
def test_output_file_in_missing_folder_exit_2(one_submission, tmp_path, option):
    result = forge("batch", one_submission, "-e", "2", "-o", tmp_path / "out", option, tmp_path / "no" / "f")
    assert result.exit_code == 2
    assert "does not exist; create it first" in result.output
    assert not (tmp_path / "out" / "results.jsonl").exists(), "nothing is graded before outputs are checked"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_unwritable_output_exit_2(one_submission, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    result = forge("batch", one_submission, "-e", "2", "-o", locked)
    assert result.exit_code == 2
    assert "not writable" in result.output


def test_outputs_inside_submissions_folder_skipped(tmp_path):
    subs = tmp_path / "subs"
    add_file(subs, LINEAR / "correct_einsum.py", "alice")
    result = forge("batch", subs, "-e", "2", "--seed", 2, "-k", "param_shapes", "-j", 1, "-o", subs / "results",
                   "--csv", subs / "grades.csv")
    assert result.exit_code == 0, result.output
    assert "Grading 1 submission for exercise2" in result.output
    assert ", 1 job)" in result.output
    assert "Graded 1 submission with seed 2." in result.output
    assert list(read_csv(subs / "grades.csv")) == ["alice"]
    again = forge("batch", subs, "-e", "2", "-k", "param_shapes", "-j", 1, "-o", subs / "results",
                  "--csv", subs / "grades.csv")
    assert "Reusing 1 result from" in again.output
    assert list(read_csv(subs / "grades.csv")) == ["alice"]
