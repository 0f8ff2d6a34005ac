"""Join the output folders of a sharded batch into one gradebook.

Shards belong together when they share the seed, the exercises, the
settings and the list of submissions, and their numbers K/N cover 1 to N
once each. Every submission of every shard must have its results: an
unfinished shard is named, with the command that finishes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .folder import LOG_NAME, Description, read_description
from .records import ExerciseResult
from .summary import Row, make_rows


#: Submissions named at most in a message; the rest are counted.
SHOWN_NAMES = 5


class MergeError(Exception):
    """The folders cannot be merged; the message names the folder and the reason."""


@dataclass(frozen=True)
class Merged:
    seed: int
    exercises: list[str]
    rows: list[Row]


def merge_folders(folders: list[Path]) -> Merged:
    descriptions = [read_description(folder) for folder in folders]
    check_compatible(descriptions)
    check_shards(descriptions)
    results: dict[tuple[str, str], ExerciseResult] = {}
    order: list[str] = []
    for description in descriptions:
        found = current_results(description)
        for entry in description.entries:
            if entry["submission"] in order:
                raise MergeError(f"submission {entry['submission']!r} was graded by two of the folders; "
                                 "pass each shard's folder once")
            order.append(entry["submission"])
        results.update(found)
    first = descriptions[0]
    order.sort(key=first.all_submissions.index)
    return Merged(first.seed, first.exercises, make_rows(results, order, first.exercises))


def check_compatible(descriptions: list[Description]) -> None:
    first = descriptions[0]
    for other in descriptions[1:]:
        for field, shown in (("seed", "seed"), ("exercises", "exercises"),
                             ("settings", "settings (suite, limits, -k, sandbox)"),
                             ("all_submissions", "list of submissions")):
            if getattr(first, field) != getattr(other, field):
                raise MergeError(f"{str(first.folder)!r} and {str(other.folder)!r} differ in their {shown}: "
                                 f"{difference(field, first, other)}; merge only the shards of one batch, "
                                 "graded with the same --seed and options")


def difference(field: str, first: Description, other: Description) -> str:
    """Say how two folders' ``field`` differ, briefly: a class's submission lists can be long."""
    if field == "settings":
        exercises = sorted(set(first.settings) | set(other.settings))
        changed = [e for e in exercises if first.settings.get(e) != other.settings.get(e)]
        return f"the fingerprints of {', '.join(changed)} differ"
    if field != "all_submissions":
        return f"{getattr(first, field)!r} and {getattr(other, field)!r}"
    parts = []
    for folder, mine, theirs in ((first.folder, first.all_submissions, other.all_submissions),
                                 (other.folder, other.all_submissions, first.all_submissions)):
        only = [name for name in mine if name not in set(theirs)]
        if only:
            shown = ", ".join(only[:SHOWN_NAMES]) + (", ..." if len(only) > SHOWN_NAMES else "")
            parts.append(f"{len(only)} only in {str(folder)!r} ({shown})")
    return " and ".join(parts) or "the same submissions, in another order"


def check_shards(descriptions: list[Description]) -> None:
    shards = [description.shard for description in descriptions]
    if len(descriptions) == 1 and shards[0] is None:
        return
    if None in shards:
        unsharded = descriptions[shards.index(None)].folder
        raise MergeError(f"{str(unsharded)!r} is not a shard (it was graded without --shard); merge the "
                         "folders of one sharded batch, or use that folder's outputs alone")
    counts = {int(shard.split("/")[1]) for shard in shards}
    if len(counts) != 1:
        raise MergeError(f"the folders come from splits into different numbers of shards: {', '.join(shards)}")
    count = counts.pop()
    numbers = [int(shard.split("/")[0]) for shard in shards]
    for number in range(1, count + 1):
        if numbers.count(number) > 1:
            raise MergeError(f"shard {number}/{count} is given twice; pass each shard's folder once")
        if number not in numbers:
            raise MergeError(f"shard {number}/{count} is missing; pass the output folder of each of the "
                             f"{count} shards")


def current_results(description: Description) -> dict[tuple[str, str], ExerciseResult]:
    """The folder's results that match its batch.json; raise if any is missing."""
    wanted = {(entry["submission"], exercise): (description.seed, entry["digest"], description.settings[exercise])
              for entry in description.entries for exercise in description.exercises}
    found: dict[tuple[str, str], ExerciseResult] = {}
    log = description.folder / LOG_NAME
    lines = log.read_text(encoding="utf-8").splitlines() if log.is_file() else []
    for line in lines:
        try:
            result = ExerciseResult.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError):
            continue
        key = (result.submission, result.exercise)
        if wanted.get(key) == (result.seed, result.digest, result.settings):
            found[key] = result
    missing = sorted({submission for submission, exercise in wanted if (submission, exercise) not in found})
    if missing:
        shard = f" (shard {description.shard})" if description.shard else ""
        shown = ", ".join(missing[:SHOWN_NAMES]) + (", ..." if len(missing) > SHOWN_NAMES else "")
        raise MergeError(f"{str(description.folder)!r}{shard} lacks results for {len(missing)} of "
                         f"{len(description.entries)} submissions ({shown}); run its batch command again "
                         "to finish it")
    return found
