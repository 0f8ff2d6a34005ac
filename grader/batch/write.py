"""Where a batch's outputs go, and writing all of them at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .outputs import write_csv, write_gradescope, write_jsonl, write_junit
from .summary import Row


@dataclass(frozen=True)
class Destinations:
    """The output files a batch or merge writes; None skips one."""

    csv: Path | None = None
    jsonl: Path | None = None
    gradescope: Path | None = None
    junit: Path | None = None


def write_outputs(destinations: Destinations, rows: list[Row], exercises: list[str], seed: int) -> None:
    if destinations.csv is not None:
        write_csv(destinations.csv, rows, exercises, seed)
    if destinations.jsonl is not None:
        write_jsonl(destinations.jsonl, rows)
    if destinations.gradescope is not None:
        write_gradescope(destinations.gradescope, rows, seed)
    if destinations.junit is not None:
        write_junit(destinations.junit, rows, seed)
