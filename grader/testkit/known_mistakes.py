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
from typing import Any, Callable, Iterator, Sequence, Union

import numpy as np

from .checks import CheckFailed, expect_close
from .diagnosis import KINDS, Context
from .gradients import Target, analytic_gradient, check_gradient
from .layer_checks import compare_output
from .layers import LayerCase, run_pair, run_pass
from .sides import CandidateError, CandidateSide, ReferenceSide

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


#: Known mistakes, or a function that computes them. A suite passes a function
#: when computing them costs time, so that only a failed check pays for it.
Mistakes = Union[Sequence["KnownMistake"], Callable[[], Sequence["KnownMistake"]]]


def resolve(mistakes: Mistakes) -> Sequence["KnownMistake"]:
    """Return the known mistakes, calling ``mistakes`` first if it is a function."""
    return mistakes() if callable(mistakes) else mistakes


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


def identify(received: Any, expected: Any, mistakes: Mistakes) -> KnownMistake | None:
    """Return the first mistake that ``received`` matches.

    A mistake that gives the expected values on these inputs is skipped: it
    cannot explain a wrong result.
    """
    for mistake in resolve(mistakes):
        if not matches(expected, mistake.values) and matches(received, mistake.values):
            return mistake
    return None


def renamed(failure: CheckFailed, mistake: KnownMistake | None) -> CheckFailed:
    """Return ``failure`` with the mistake's diagnosis, or ``failure`` itself when there is none."""
    if mistake is None:
        return failure
    return with_mismatch(failure, replace(failure.mismatch, diagnosis=mistake.message, kind=mistake.kind))


def with_mismatch(failure: CheckFailed, mismatch) -> CheckFailed:
    """Return a copy of ``failure`` that carries ``mismatch``.

    The copy keeps the class and the attributes of ``failure``, so a subclass
    of CheckFailed that the report shows differently stays that subclass.
    """
    copy = BaseException.__new__(type(failure))
    copy.__dict__.update(vars(failure))
    copy.args = failure.args
    copy.mismatch = mismatch
    return copy


def expect_close_or_known(received: Any, expected: Any, mistakes: Mistakes,
                          **options: Any) -> np.ndarray:
    """Run :func:`expect_close`, and on a mismatch name the known mistake that ``received`` matches."""
    try:
        return expect_close(received, expected, **options)
    except CheckFailed as failure:
        raise renamed(failure, identify(received, expected, mistakes)) from None


def check_forward_or_known(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                           mistakes: Mistakes, *, checked: str | None = None) -> Any:
    """Check the output of ``forward`` against the reference, naming the known
    mistake that a wrong output matches; return the candidate's output.

    A scalar output (a loss) is compared as a number, as :func:`compare_output` does.
    """
    got_pass, want_pass = run_pair(candidate, reference, case, backward=False)
    got, want = got_pass.out, want_pass.out
    try:
        compare_output(got, want, what="out", checked=checked or f"{case.call_text()} against the reference",
                       context=Context(name="the output", batch_sizes=case.batch_sizes))
    except CheckFailed as failure:
        raise renamed(failure, identify(got, want, mistakes)) from None
    return got


@contextmanager
def forward_explained(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                      forward_mistakes: Mistakes) -> Iterator[None]:
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


@contextmanager
def gradient_explained(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase, target: Target,
                       mistakes: Mistakes) -> Iterator[None]:
    """Name the known mistake of one gradient behind a check that fails inside the ``with`` block.

    For checks of several values at once, such as :func:`check_inputs_unchanged`.
    The mistake is named only when the candidate's output is right, so the
    failure cannot be about the output, and only when the case has no other
    gradient that the check might have found wrong first. A failure of kind
    ``in-place`` or ``forward`` is left alone. Passing checks cost nothing; a
    failing one runs the layer once more on each side.
    """
    try:
        yield
    except CheckFailed as failure:
        if failure.mismatch.kind in ("in-place", "forward") or case.params or len(case.grad_inputs) != 1:
            raise
        try:
            got = run_pass(candidate, case)
        except CandidateError:
            raise failure from None
        want = run_pass(reference, case)
        if not matches(got.out, want.out):
            raise
        checked = f"{target.name(case)} from {case.call_text('backward')}"
        received = analytic_gradient(got, case, target, checked)
        expected = analytic_gradient(want, case, target, checked)
        raise renamed(failure, identify(received, expected, mistakes)) from None


def check_gradient_or_known(candidate: CandidateSide, reference: ReferenceSide, case: LayerCase,
                            target: Target, mistakes: Mistakes, *,
                            rng: np.random.Generator,
                            forward_mistakes: Mistakes = (), **options: Any) -> None:
    """Run :func:`check_gradient`, and when the gradient differs from the reference's,
    name the known mistake it matches.

    ``mistakes`` are mistakes of the gradient itself. ``forward_mistakes`` are
    mistakes of the output (see :func:`forward_explained`), used when the
    gradient matches none of ``mistakes``. ``options`` go to
    :func:`check_gradient` (``regions``, ``max_entries``). A passing check
    costs nothing extra, and a failing one runs the candidate's layer once or
    twice more.
    """
    with forward_explained(candidate, reference, case, forward_mistakes):
        try:
            check_gradient(candidate, reference, case, target, rng=rng, **options)
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
