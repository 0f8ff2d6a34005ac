"""The diagnosis names the right kind of mistake for the labelled buggy submissions.

Every ``bug_*.py`` under tests/submissions declares its kind; those of a kind
the diagnosis knows form the corpus. The diagnosis must name the declared kind
for at least 85% of them. docs/diagnosis.md lists the figures per kind.
"""

from collections import Counter

from support import grade_file, samples

CORPUS = [sample for sample in samples("bug_") if sample.kind != "other"]
TARGET = 0.85


def diagnosed_kinds(sample) -> set[str]:
    report = grade_file(sample.exercise, sample.path, seed=0)
    return {test.kind for test in report.tests if test.kind}


def test_corpus_names_the_right_kind():
    hits, misses = Counter(), []
    for sample in CORPUS:
        named = diagnosed_kinds(sample)
        if sample.kind in named:
            hits[sample.kind] += 1
        else:
            misses.append(f"{sample.id}: declared {sample.kind}, named {sorted(named)}")
    rate = sum(hits.values()) / len(CORPUS)
    assert rate >= TARGET, f"{rate:.0%} named correctly; misses:\n" + "\n".join(misses)
