"""The reference solutions earn full marks on every seed, and the stubs earn nothing."""

import pytest

from support import ROOT, exercise_params, failures, grade_file, pristine_stub

SEEDS = range(20)


@pytest.mark.parametrize("exercise", exercise_params())
def test_reference_full_marks_on_20_seeds(exercise):
    for seed in SEEDS:
        report = grade_file(exercise, ROOT / "solutions" / exercise.filename, seed)
        assert report.full_marks, f"seed {seed}:\n{failures(report)}"
        assert not any(test.kind for test in report.tests)


@pytest.mark.parametrize("exercise", exercise_params())
def test_stub_scores_zero(exercise, tmp_path):
    report = grade_file(exercise, pristine_stub(exercise, tmp_path), seed=1)
    assert report.tests, "the suite collected no tests"
    assert report.score == 0, [t.name for t in report.tests if t.score]
    assert all(test.status == "error" for test in report.tests)
    assert all("not implemented yet" in test.message for test in report.tests)
    assert all(test.hint for test in report.tests)
