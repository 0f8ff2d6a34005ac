"""Name a mistake whose exact result the suite can compute.

The generic diagnosis (``diagnosis.py``) reads patterns from the numbers
alone. Some mistakes only an exercise can recognise: a batch-norm ``dx`` that
treats the batch mean as a constant, or dropout that keeps the units it should
drop. A suite computes what each such mistake returns on the test's inputs, as
a :class:`KnownMistake`. When a check fails and the received array matches one
of them, the failure names that mistake in place of the generic diagnosis.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator, Sequence

import numpy as np

from .checks import CheckFailed, expect_close
from .diagnosis import KINDS, Context
from .gradients import Target, analytic_gradient, check_gradient
from .layers import LayerCase, run_pass
from .sides import CandidateSide, ReferenceSide

#: Relative tolerance for "the received array equals what this mistake computes".
#: Far tighter than the diagnosis's 1e-6, because a mistake such as a missing
#: eps changes results by only about 1e-6 and must not be confused with them.
MATCH_RTOL = 1e-10


@dataclass(frozen=True)
class KnownMistake:
    """One mistaken implementation's result on a test's inputs, and the diagnosis that names it."""

    values: np.ndarray
    """The array the mistake produces."""
    message: str
    """The diagnosis shown when the received array matches ``values``."""
    kind: str | None = None
    """The kind of mistake (a key of ``diagnosis.KINDS``), or None when no kind fits."""

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError(f"unknown kind of mistake {self.kind!r}: use a key of diagnosis.KINDS or None")


def matches(received: Any, values: np.ndarray) -> bool:
    """Check whether ``received`` equals ``values`` to :data:`MATCH_RTOL`, judged on the array's scale."""
    try:
        array = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    values = np.asarray(values, dtype=np.float64)
    if array.shape != values.shape or not np.isfinite(array).all():
        return False
    scale = float(np.max(np.abs(values), initial=0.0))
    return bool(np.all(np.abs(array - values) <= MATCH_RTOL * (np.abs(values) + scale) + 1e-300))


def identify(received: Any, expected: Any, mistakes: Sequence[KnownMistake]) -> KnownMistake | None:
    """Return the first mistake that ``received`` matches.

    A mistake that gives the expected values on these inputs is skipped: it
    cannot explain a wrong result.
    """
    for mistake in mistakes:
        if not matches(expected, mistake.values) and matches(received, mistake.values):
            return mistake
    return None


def renamed(failure: CheckFailed, mistake: KnownMistake | None) -> CheckFailed:
    """Return ``failure`` with the mistake's diagnosis, or ``failure`` itself when there is none."""
    if mistake is None:
        return failure
    return CheckFailed(replace(failure.mismatch, diagnosis=mistake.message, kind=mistake.kind))


def expect_close_or_known(received: Any, expected: Any, mistakes: Sequence[KnownMistake],
                          **options: Any) -> np.ndarray:
    """Run :func:`expect_close`, and on a mismatch name the known mistake that ``received`` matches."""
    try:
        return expect_close(received, expected, **options)
    except CheckFailed as failure:
        raise renamed(failure, identify(received, expected, mistakes)) from None


def check_forward_or_known(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                           mistakes: Sequence[KnownMistake], *, checked: str | None = None) -> Any:
    """Check the output of ``forward`` against the reference, naming the known
    mistake that a wrong output matches; return the candidate's output."""
    want = run_pass(reference, case, backward=False).out
    got = run_pass(candidate, case, backward=False).out
    expect_close_or_known(got, want, mistakes, what="out",
                          checked=checked or f"{case.call_text()} against the reference",
                          context=Context(name="the output", batch_sizes=case.batch_sizes))
    return got


@contextmanager
def forward_explained(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                      forward_mistakes: Sequence[KnownMistake]) -> Iterator[None]:
    """Name the forward mistake behind a check that fails inside the ``with`` block.

    A wrong forward makes every later value wrong, so when the candidate's
    output matches one of ``forward_mistakes``, the failure names it. A
    failure of kind ``in-place`` is about the inputs, not the values, and is
    left alone. Passing checks cost nothing; a failing one runs the
    candidate's forward once more.
    """
    try:
        yield
    except CheckFailed as failure:
        if failure.mismatch.kind == "in-place" or not forward_mistakes:
            raise
        got = run_pass(candidate, case, backward=False).out
        want = run_pass(reference, case, backward=False).out
        mistake = identify(got, want, forward_mistakes)
        if mistake is not None:
            mistake = replace(mistake, message=f"{mistake.message}. Forward is wrong, so no later value can match")
        raise renamed(failure, mistake) from None


def check_gradient_or_known(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                            target: Target, mistakes: Sequence[KnownMistake], *,
                            rng: np.random.Generator,
                            forward_mistakes: Sequence[KnownMistake] = ()) -> None:
    """Run :func:`check_gradient`, and when the gradient differs from the reference's,
    name the known mistake it matches.

    ``mistakes`` are mistakes of the gradient itself. ``forward_mistakes`` are
    mistakes of the output (see :func:`forward_explained`), used when the
    gradient matches none of ``mistakes``. A passing check costs nothing
    extra, and a failing one runs the candidate's layer once or twice more.
    """
    with forward_explained(candidate, reference, case, forward_mistakes):
        try:
            check_gradient(candidate, reference, case, target, rng=rng)
        except CheckFailed as failure:
            if failure.mismatch.kind == "forward":
                raise  # the gradient matched the reference: no mistake of backward to name
            checked = f"{target.name(case)} from {case.call_text('backward')}"
            received = analytic_gradient(run_pass(candidate, case), case, target, checked)
            expected = analytic_gradient(run_pass(reference, case), case, target, checked)
            mistake = identify(received, expected, mistakes)
            if mistake is None:
                raise
            raise renamed(failure, mistake) from None
