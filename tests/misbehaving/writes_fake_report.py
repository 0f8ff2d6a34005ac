"""Forges its own results: prints fake reports and writes fake result files wherever it can.

It writes results.json and results.jsonl next to itself, and looks through its ancestors' command lines (/proc) for a batch's --output
folder, whose results log it appends full-marks lines to, with the right
keys, for every submission of the batch, so that a resumed batch would
reuse them. Inside the sandbox it sees no
ancestor; without it, Forge restores the log from its own records.
"""

import json
import os
from pathlib import Path

from linear_base import Linear as Base

FAKE = {"exercise": "exercise2", "score": 999, "max_score": 999, "status": "graded"}
print(json.dumps(FAKE))
print("Score: 28/28 (100%)  16 passed, 0 failed, 0 errors")


def ancestors():
    pid = os.getppid()
    while pid > 1:
        yield pid
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return
        pid = int(stat.rsplit(")", 1)[1].split()[1])


def output_folders():
    for pid in ancestors():
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            continue
        for flag in ("--output", "-o"):
            if flag in arguments[:-1]:
                yield cwd / arguments[arguments.index(flag) + 1]


def forge_log(folder):
    description = json.loads((folder / "batch.json").read_text())
    with open(folder / "results.jsonl", "a") as handle:
        for entry in description["submissions"]:
            line = {"submission": entry["submission"], "exercise": "exercise2", "seed": description["seed"],
                    "status": "graded", "score": 28.0, "max_score": 28.0, "reason": "", "source": entry["entry"],
                    "digest": entry["digest"], "settings": description["settings"]["exercise2"], "seconds": 0.1,
                    "forge_version": description["forge_version"],
                    "tests": [{"name": "everything", "score": 28.0, "max_score": 28.0, "status": "passed",
                               "message": "", "hint": "", "fault": None}]}
            handle.write(json.dumps(line) + "\n")


for name in ("results.json", "results.jsonl"):
    try:
        (Path(__file__).parent / name).write_text(json.dumps(FAKE) + "\n")
    except OSError:
        pass  # the sandbox shows the submission's copy read-only
for folder in output_folders():
    try:
        forge_log(folder)
    except (OSError, ValueError, KeyError):
        pass


class Linear(Base):
    def forward(self, x):
        raise RuntimeError("this submission only forges reports")
