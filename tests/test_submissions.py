"""Hand-written submissions: correct ones in other styles earn full marks, buggy ones lose points.

Each exercise has a folder tests/submissions/<module>/ with ``correct_*.py``
(loops, einsum, other caches: anything the contract allows) and ``bug_*.py``
(one realistic mistake each, described in its docstring with a ``kind:`` line
naming the kind of mistake from ``grader.testkit.diagnosis.KINDS``, or
``other``).
"""

import pytest

from support import failures, grade_file, samples
from grader.testkit.diagnosis import KINDS

CORRECT = samples("correct_")
BUGS = samples("bug_")


@pytest.mark.parametrize("sample", CORRECT, ids=[s.id for s in CORRECT])
def test_correct_style_full_marks(sample):
    for seed in (0, 1, 2):
        report = grade_file(sample.exercise, sample.path, seed)
        assert report.full_marks, f"seed {seed}:\n{failures(report)}"
        assert not any(test.kind for test in report.tests)


@pytest.mark.parametrize("sample", BUGS, ids=[s.id for s in BUGS])
def test_bug_loses_points(sample):
    for seed in (0, 1):
        report = grade_file(sample.exercise, sample.path, seed)
        assert report.score < report.max_score, f"seed {seed}: the bug earned full marks"
        failed = [test for test in report.tests if test.status != "passed"]
        assert all(test.hint for test in failed)


@pytest.mark.parametrize("sample", BUGS, ids=[s.id for s in BUGS])
def test_bug_declares_its_kind(sample):
    assert sample.kind in (*KINDS, "other"), f"{sample.path.name} needs a 'kind:' line in its docstring"


def test_enough_samples_per_exercise():
    by_exercise = {}
    for sample in BUGS:
        by_exercise.setdefault(sample.exercise.module, []).append(sample)
    for module, bugs in by_exercise.items():
        assert len(bugs) >= 6, f"{module} has {len(bugs)} buggy submissions; at least 6 are expected"
        assert len({b.kind for b in bugs}) >= 3, f"{module}: the bugs cover too few kinds of mistake"
    assert {s.exercise.module for s in CORRECT} >= set(by_exercise), "every exercise needs a correct_*.py"
