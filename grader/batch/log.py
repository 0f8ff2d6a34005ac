"""The results log: an append-only JSON Lines file that lets a batch resume.

Each line is one :class:`ExerciseResult`, written and flushed as soon as the
exercise is graded, so an interrupted batch loses at most the exercises
under way. A batch run reuses every line whose key (submission, exercise,
seed, the submission's digest and the settings' fingerprint) it would
produce again, and grades the rest.

Only the main process writes the log. It keeps a copy of every byte it
wrote. If the file changes otherwise while the batch runs (a submission
graded without the sandbox can reach your files), it is rewritten from
those bytes when the batch ends, and :meth:`ResultsLog.close` reports it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .records import ExerciseResult


class ResultsLog:
    """Reads the earlier results of a batch folder, then appends new ones."""

    def __init__(self, path: Path, fresh: bool = False):
        self.path = path
        self.records: dict[tuple, ExerciseResult] = {}
        self.lines: list[bytes] = []
        self.skipped = 0
        """Lines that could not be read (a line cut short by an interruption, say)."""
        if fresh:
            path.write_bytes(b"")
        elif path.exists():
            self._read()
        self._rewrite_if_changed()
        self.handle = open(path, "ab")
        self.size = self.handle.tell()
        self.changed = False

    def _read(self) -> None:
        for line in self.path.read_bytes().splitlines(keepends=True):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("a line cut short")
                record = ExerciseResult.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError):
                self.skipped += 1
                continue
            self.records[record.key] = record
            self.lines.append(line)

    def reusable(self, key: tuple) -> ExerciseResult | None:
        """Return an earlier result with this key, if there is one."""
        return self.records.get(key)

    def append(self, record: ExerciseResult) -> None:
        """Write one result and flush it to disk."""
        line = (json.dumps(record.to_json(), separators=(",", ":")) + "\n").encode()
        if os.fstat(self.handle.fileno()).st_size != self.size:
            self.changed = True
        self.handle.write(line)
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.size += len(line)
        self.lines.append(line)
        self.records[record.key] = record

    def close(self) -> bool:
        """Close the log; return True if another process had changed it (it is then restored)."""
        self.handle.close()
        return self._rewrite_if_changed() or self.changed

    def _rewrite_if_changed(self) -> bool:
        expected = b"".join(self.lines)
        try:
            if self.path.read_bytes() == expected:
                return False
        except FileNotFoundError:
            pass
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_bytes(expected)
        os.replace(temporary, self.path)
        return True
