"""Find the submissions of a batch: one entry of the submissions folder each.

An entry is a ``.py`` or ``.ipynb`` file, a folder (a workspace) or a
``.zip`` of either; its name without the suffix identifies the student.
Hidden entries (``.DS_Store``, ``.git``) and ``__MACOSX`` are skipped; any
other entry gets a row, rejected with the reason. Entries whose names
without the suffix clash (``alice.py`` and ``alice.zip``) are rejected too,
each identified by its full name, so that every output has one row per entry.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from .records import Entry

FILE_SUFFIXES = (".py", ".ipynb")
SKIPPED_NAMES = ("__MACOSX", "__pycache__")
#: Bytes hashed per submission at most; a larger one is rejected when staged anyway.
DIGEST_LIMIT = 256 * 1024**2


class NoSubmissions(Exception):
    """The submissions folder contains nothing to grade; the message names what is expected."""


@dataclass(frozen=True)
class Shard:
    """Part K of N of a class: every N-th submission in name order, from the K-th."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def select(self, entries: list[Entry]) -> list[Entry]:
        return [entry for position, entry in enumerate(entries) if position % self.count == self.index - 1]


def parse_shard(text: str) -> Shard:
    """Parse ``K/N``; raise ValueError with a message naming the value and the fix."""
    parts = text.strip().split("/")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(f"{text!r} is not a shard; write K/N, e.g. 2/5 for the second of five parts")
    index, count = int(parts[0]), int(parts[1])
    if count < 1:
        raise ValueError(f"{text!r} has no parts; N in K/N must be at least 1")
    if not 1 <= index <= count:
        raise ValueError(f"shard {text!r} does not exist: K in K/N counts from 1 to N, e.g. 1/{count} to {count}/{count}")
    return Shard(index, count)


def list_entries(folder: Path, exclude: set[Path] = frozenset()) -> list[Entry]:
    """Return every submission in ``folder``, sorted by identifier.

    ``exclude`` lists resolved paths that are not submissions (the batch's
    own outputs, when they are written into the submissions folder).
    """
    names = sorted(name for name in os.listdir(folder)
                   if not name.startswith(".") and name not in SKIPPED_NAMES
                   and (folder / name).resolve() not in exclude)
    entries = [describe(folder / name) for name in names]
    if not entries:
        raise NoSubmissions(
            f"no submissions in {str(folder)!r}: put one entry per student there "
            "(a .py or .ipynb file, a folder, or a .zip of either)"
        )
    return sorted(mark_duplicates(entries), key=lambda entry: (entry.submission, entry.name))


def describe(path: Path) -> Entry:
    """Classify one entry and hash it; an entry that cannot be graded gets the reason."""
    name = path.name
    if path.is_symlink():
        return Entry(name, name, "other", problem=f"{name!r} is a symbolic link; put a copy of the submission there")
    if path.is_dir():
        return Entry(name, name, "folder", digest_folder(path))
    suffix = path.suffix.lower()
    identifier = name[: -len(path.suffix)] if path.suffix else name
    if path.is_file() and suffix in (*FILE_SUFFIXES, ".zip"):
        kind = "zip" if suffix == ".zip" else "file"
        return Entry(identifier, name, kind, digest_file(path))
    return Entry(identifier, name, "other",
                 problem=f"{name!r} is not a .py or .ipynb file, a folder or a .zip archive")


def mark_duplicates(entries: list[Entry]) -> list[Entry]:
    """Reject entries whose identifiers clash (``alice.py`` and ``alice.zip``), renamed to their full names.

    Renaming repeats until identifiers are unique: a full name may clash in
    turn with another entry's identifier (``alice.py`` with ``alice.py.zip``).
    Full names are unique within a folder, so this ends.
    """
    while True:
        counts = Counter(entry.submission for entry in entries)
        clashing = {identifier for identifier, count in counts.items() if count > 1}
        if not clashing:
            return entries
        entries = [renamed(entry, [other.name for other in entries if other.submission == entry.submission])
                   if entry.submission in clashing else entry for entry in entries]


def renamed(entry: Entry, names: list[str]) -> Entry:
    """``entry`` identified by its full name and rejected, unless an earlier problem already rejects it."""
    quoted = [repr(name) for name in names]
    shown = ", ".join(quoted[:-1]) + " and " + quoted[-1]
    problem = entry.problem or (f"{shown} have the same identifier {entry.submission!r}; keep one entry per "
                                "student (delete or rename the others) and run the batch again")
    return replace(entry, submission=entry.name, problem=problem)


def digest_file(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            remaining = DIGEST_LIMIT
            while remaining > 0 and (block := handle.read(min(1 << 20, remaining))):
                digest.update(block)
                remaining -= len(block)
    except OSError as error:
        digest.update(f"unreadable: {error.strerror}".encode())
    return "sha256:" + digest.hexdigest()


def digest_folder(folder: Path) -> str:
    """Hash a folder's relative paths and contents (links by their target)."""
    digest = hashlib.sha256()
    hashed = 0
    for root, folders, files in os.walk(folder):
        folders.sort()
        linked = [name for name in folders if (Path(root) / name).is_symlink()]
        for name in sorted([*files, *linked]):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
            if path.is_symlink():
                digest.update(b"link:" + os.readlink(path).encode("utf-8", "surrogateescape"))
            elif not path.is_file():
                digest.update(b"special file")  # a FIFO or socket: opening it could block
            elif hashed < DIGEST_LIMIT:
                digest.update(digest_file(path).encode())
                hashed += path.stat().st_size
    return "sha256:" + digest.hexdigest()
