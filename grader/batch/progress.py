"""Show a batch's progress: a bar on a terminal, one plain line per result otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

from .records import ExerciseResult


class ProgressDisplay:
    """Counts results as they come; draws with tqdm when ``stream`` is a terminal."""

    def __init__(self, total: int, done: int = 0, stream: TextIO | None = None):
        self.total = total
        self.done = done
        self.stream = stream or sys.stderr
        self.bar = None
        if self.stream.isatty() and done < total:
            from tqdm import tqdm  # imported here: only a terminal needs it

            self.bar = tqdm(total=total, initial=done, file=self.stream, unit="result", dynamic_ncols=True,
                            desc="grading")

    def advance(self, result: ExerciseResult) -> None:
        self.done += 1
        line = (f"{result.submission} {result.exercise}: {result.status} "
                f"{result.score:g}/{result.max_score:g} ({result.seconds:.1f} s)")
        if self.bar is not None:
            self.bar.set_postfix_str(f"{result.submission}: {result.status}", refresh=False)
            self.bar.update(1)
            if result.status != "graded":
                self.bar.write(f"{line}: {result.reason}", file=self.stream)
        else:
            width = len(str(self.total))
            print(f"[{self.done:>{width}}/{self.total}] {line}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
