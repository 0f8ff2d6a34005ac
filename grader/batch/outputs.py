"""Write a batch's results: CSV gradebook, JSON Lines, Gradescope and JUnit files.

Every output records the batch's seed. Schemas are documented in
docs/instructors.md.
"""

from __future__ import annotations

import csv
import json
import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from .. import __version__
from ..records import ERROR, FAILED, PASSED, TestResult
from .records import GRADED, ExerciseResult
from .summary import Row


#: Characters that XML 1.0 does not allow, even escaped; a submission's messages may contain them.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Spreadsheets read a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


class OutputError(Exception):
    """An output path cannot be written; the message names it and the fix."""


def check_writable_file(path: Path, option: str) -> None:
    """Fail early, before grading, when ``path`` cannot be created or replaced."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"{option} {str(path)!r} is a folder; give a file name")
    if not folder.is_dir():
        raise OutputError(f"{option} {str(path)!r}: the folder {str(folder)!r} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{option} {str(path)!r} is not writable; choose another path")


def check_writable_folder(path: Path, option: str) -> None:
    """Create ``path`` if needed and fail early when files cannot be written in it."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {str(path)!r} is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{option} {str(path)!r} cannot be created ({error.strerror}); "
                          "choose another folder") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {str(path)!r} is not writable; choose another folder")


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_csv(path: Path, rows: list[Row], exercises: list[str], seed: int) -> None:
    """One row per submission: a score per exercise, total, maximum, status, reason, seed."""
    header = ["submission", *exercises, "total", "max_score", "status", "reason", "seed"]
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            scores = [f"{result.score:g}" for result in row.results]
            writer.writerow([as_text_cell(row.submission), *scores, f"{row.total:g}", f"{row.max_score:g}",
                             row.status, as_text_cell(row.reason), seed])
    os.replace(temporary, path)


def as_text_cell(text: str) -> str:
    """Quote a cell that a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_jsonl(path: Path, rows: list[Row]) -> None:
    """One line per submission and exercise, with every test (the results log's schema)."""
    lines = [json.dumps(result.to_json(), separators=(",", ":")) for row in rows for result in row.results]
    write_atomically(path, "".join(line + "\n" for line in lines))


def gradescope_results(row: Row, seed: int) -> dict:
    """One submission's results.json in Gradescope's autograder schema."""
    tests = []
    for result in row.results:
        number = exercise_number(result.exercise)
        for index, test in enumerate(result.tests, start=1):
            tests.append({
                "name": f"{result.exercise} {test.name}",
                "number": f"{number}.{index}",
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if test.status == PASSED else "failed",
                "output": test_output(test),
            })
    lines = [f"Graded by Forge {__version__} with seed {seed}: {row.total:g} of {row.max_score:g} points."]
    lines += [f"{result.exercise}: {result.status}" + (f" ({result.reason})" if result.reason else "")
              for result in row.results]
    return {
        "score": row.total,
        "execution_time": round(sum(result.seconds for result in row.results)),
        "output": "\n".join(lines),
        "tests": tests,
        "extra_data": {"seed": seed, "status": row.status, "forge_version": __version__},
    }


def write_gradescope(folder: Path, rows: list[Row], seed: int) -> None:
    """Write ``folder/<submission>/results.json`` for every submission."""
    for row in rows:
        target = folder / row.submission
        target.mkdir(parents=True, exist_ok=True)
        write_atomically(target / "results.json", json.dumps(gradescope_results(row, seed), indent=2) + "\n")


def write_junit(path: Path, rows: list[Row], seed: int) -> None:
    """A JUnit XML report: a testsuite per submission and exercise, a testcase per test."""
    suites = ElementTree.Element("testsuites", name="forge-grade batch")
    for row in rows:
        for result in row.results:
            suites.append(junit_suite(result, seed))
    ElementTree.indent(suites)
    text = ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)
    write_atomically(path, text + "\n")


def junit_suite(result: ExerciseResult, seed: int) -> ElementTree.Element:
    name = f"{result.submission}.{result.exercise}"
    counts = {status: sum(test.status == status for test in result.tests) for status in (FAILED, "error")}
    suite = ElementTree.Element("testsuite", name=name, tests=str(len(result.tests)),
                                failures=str(counts[FAILED]), errors=str(counts["error"]), skipped="0",
                                time=f"{result.seconds:.3f}")
    properties = ElementTree.SubElement(suite, "properties")
    for key, value in (("seed", seed), ("status", result.status), ("reason", xml_text(result.reason)),
                       ("score", f"{result.score:g}"), ("max_score", f"{result.max_score:g}")):
        ElementTree.SubElement(properties, "property", name=key, value=str(value))
    for test in result.tests:
        case = ElementTree.SubElement(suite, "testcase", classname=name, name=test.name)
        if test.status != PASSED:
            tag = "failure" if test.status == FAILED else "error"
            first_line = (test.message.splitlines() or [test.status])[0]
            outcome = ElementTree.SubElement(case, tag, message=xml_text(first_line), type=junit_type(test, result))
            outcome.text = xml_text(test_output(test))
    return suite


def junit_type(test: TestResult, result: ExerciseResult) -> str:
    """The ``type`` of a test's failure or error: the fault's kind, or why the test did not run (``rejected``)."""
    if test.fault:
        return test.fault
    if test.status == ERROR and result.status != GRADED:
        return result.status
    return test.status


def test_output(test: TestResult) -> str:
    if test.status == PASSED:
        return ""
    return test.message + (f"\nhint: {test.hint}" if test.hint else "")


def xml_text(text: str) -> str:
    return XML_INVALID.sub("\ufffd", text)


def exercise_number(exercise_id: str) -> str:
    number = exercise_id.removeprefix("exercise")
    return number if number.isdigit() else exercise_id
