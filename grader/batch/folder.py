"""The batch's output folder: ``batch.json`` (its settings) and ``results.jsonl`` (the log).

``batch.json`` is rewritten when a batch starts. It records the seed (a
later run without ``--seed`` reuses it, so a resumed batch grades the same
inputs), the exercises with their settings' fingerprints, the limits, the
shard, every submission of the folder and the ones this shard grades.
``forge-grade merge`` reads it to check that shards belong together, and a
batch reads it to refuse, as a usage error, a seed or limits that would make
the folder's results useless.
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
#: A setting that an older batch.json does not record.
UNKNOWN = object()


class NotABatchFolder(Exception):
    """A folder given to merge contains no batch; the message names what to pass."""


class SettingsChanged(Exception):
    """The output folder holds results graded with another seed or limits; the message names them and the fix."""


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


def check_same_settings(output: Path, *, seed: int, limits: Limits, submission_timeout: float,
                        select: str | None, sandbox: bool) -> None:
    """Raise SettingsChanged if ``output`` holds results graded with another seed, limit, ``-k`` or sandbox.

    None of those results could be reused, so grading on would regrade every
    submission while the log kept the old lines. A setting missing from an
    older ``batch.json`` is not compared.
    """
    log = output / LOG_NAME
    try:
        recorded = json.loads((output / DESCRIPTION_NAME).read_text())
        recorded_limits = dict(recorded.get("limits") or {})
        if log.stat().st_size == 0:
            return
    except (OSError, ValueError, TypeError, AttributeError):
        return
    before = {"seed": recorded.get("seed", UNKNOWN), "timeout": recorded_limits.get("timeout", UNKNOWN),
              "memory": recorded_limits.get("memory", UNKNOWN),
              "submission_timeout": recorded_limits.get("submission_timeout", UNKNOWN),
              "select": recorded.get("select", UNKNOWN), "sandbox": recorded.get("sandbox", UNKNOWN)}
    now = {"seed": seed, "timeout": limits.timeout, "memory": limits.memory, "submission_timeout": submission_timeout,
           "select": select, "sandbox": sandbox}
    changed = [name for name, value in now.items() if before[name] is not UNKNOWN and before[name] != value]
    if not changed:
        return
    earlier, later = settings_text(changed, before), settings_text(changed, now)
    raise SettingsChanged(
        f"--output {str(output)!r} holds results graded with {earlier}, and this run would grade with {later}, "
        f"so none could be reused; rerun with {earlier} to resume that batch, or add --fresh to discard its "
        "results and grade everything again"
    )


def settings_text(names: list[str], values: dict) -> str:
    """Settings as the options that set them: ``--seed 5 --memory 2GiB``, ``--timeout 5 and without -k``."""
    options = [option_text(name, values[name]) for name in names if not (name == "select" and values[name] is None)]
    if "select" in names and values["select"] is None:
        return " and ".join(part for part in (" ".join(options), "without -k") if part)
    return " ".join(options)


def option_text(name: str, value) -> str:
    """A setting as the option that sets it: ``--seed 5``, ``--memory 2GiB``, ``--no-sandbox``."""
    if name == "sandbox":
        return "--sandbox" if value else "--no-sandbox"
    if name == "select":
        return f"-k {value!r}"
    if name == "memory":
        return f"--memory {memory_text(int(value))}"
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"--{name.replace('_', '-')} {shown}"


def memory_text(size: int) -> str:
    """A size in bytes as ``--memory`` accepts it: ``2GiB``, ``512MiB`` or a number of bytes."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size % scale == 0:
            return f"{size // scale}{unit}"
    return str(size)


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
