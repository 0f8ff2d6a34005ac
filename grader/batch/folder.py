"""The batch's output folder: ``batch.json`` (its settings) and ``results.jsonl`` (the log).

``batch.json`` is rewritten when a batch starts. It records the seed (a
later run without ``--seed`` reuses it, so a resumed batch grades the same
inputs), the exercises with their settings' fingerprints, the limits, the
shard, every submission of the folder and the ones this shard grades.
``forge-grade merge`` reads it to check that shards belong together.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..worker.process import Limits
from .discover import Shard
from .records import Entry

DESCRIPTION_NAME = "batch.json"
LOG_NAME = "results.jsonl"


class NotABatchFolder(Exception):
    """A folder given to merge contains no batch; the message names what to pass."""


@dataclass(frozen=True)
class Description:
    """A batch folder's ``batch.json``, as read back."""

    folder: Path
    seed: int
    exercises: list[str]
    settings: dict[str, str]
    shard: str | None
    all_submissions: list[str]
    entries: list[dict]
    """This shard's submissions: ``submission``, ``entry``, ``kind``, ``digest``."""


def recorded_seed(output: Path) -> int | None:
    """The seed of the batch last run in ``output``, if any."""
    try:
        return int(json.loads((output / DESCRIPTION_NAME).read_text())["seed"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_description(output: Path, *, seed: int, exercises: list[str], settings: dict[str, str],
                      limits: Limits, submission_timeout: float, select: str | None, sandbox: bool,
                      shard: Shard | None, all_entries: list[Entry], entries: list[Entry]) -> None:
    description = {
        "forge_version": __version__,
        "seed": seed,
        "exercises": exercises,
        "settings": settings,
        "limits": {"timeout": limits.timeout, "memory": limits.memory, "submission_timeout": submission_timeout},
        "select": select,
        "sandbox": sandbox,
        "shard": str(shard) if shard else None,
        "all_submissions": [entry.submission for entry in all_entries],
        "submissions": [entry.to_json() for entry in entries],
    }
    temporary = output / f".{DESCRIPTION_NAME}.tmp"
    temporary.write_text(json.dumps(description, indent=2) + "\n")
    os.replace(temporary, output / DESCRIPTION_NAME)


def read_description(folder: Path) -> Description:
    path = folder / DESCRIPTION_NAME
    if not folder.is_dir():
        raise NotABatchFolder(f"{str(folder)!r} is not a folder; pass the --output folders of forge-grade batch")
    try:
        data = json.loads(path.read_text())
        return Description(folder, int(data["seed"]), list(data["exercises"]), dict(data["settings"]),
                           data.get("shard"), list(data["all_submissions"]), list(data["submissions"]))
    except FileNotFoundError:
        raise NotABatchFolder(f"{str(folder)!r} contains no {DESCRIPTION_NAME}; pass the --output folders "
                              "of forge-grade batch") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise NotABatchFolder(f"{str(path)!r} cannot be read ({error}); run the batch again to rewrite it") from None
