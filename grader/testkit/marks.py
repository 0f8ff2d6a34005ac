"""The marker that gives a suite's test its points and hints."""

from __future__ import annotations

from typing import Sequence

import pytest

MARKER = "forge"


def graded(points: float, hint: str | Sequence[str]) -> pytest.MarkDecorator:
    """Mark a test as worth ``points``, with hints from the concept to the formula.

    ``hint`` is one string or several levels; the report shows the first level
    and ``forge-grade hint`` reveals the next ones.
    """
    hints = (hint,) if isinstance(hint, str) else tuple(hint)
    if points <= 0:
        raise ValueError(f"points must be positive, got {points!r}")
    if not hints or not all(isinstance(h, str) and h.strip() for h in hints):
        raise ValueError("every graded test needs at least one non-empty hint")
    return getattr(pytest.mark, MARKER)(points=float(points), hints=hints)
