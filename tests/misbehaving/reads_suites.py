"""Looks for Forge's reference solution on disk and, if it can read it, runs it as its own answer.

It finds Forge the way any code could: through the installed distribution's
metadata (an editable install records its folder) and the ancestors' working
folders. Inside the sandbox none of those paths exists; the plain worker
cannot hide them (see docs/instructors.md).
"""

import importlib.metadata
import json
import os
from pathlib import Path


SEEN = []


def forge_roots():
    try:
        distribution = importlib.metadata.distribution("backprop-forge")
        url = json.loads(distribution.read_text("direct_url.json") or "{}").get("url", "")
        if url.startswith("file://"):
            yield Path(url.removeprefix("file://"))
        yield Path(distribution.locate_file(""))
    except Exception:
        pass
    pid = os.getppid()
    while pid > 1:
        try:
            yield Path(os.readlink(f"/proc/{pid}/cwd"))
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            break


def stolen_solution():
    for root in forge_roots():
        for name in ("solutions/ex02_linear.py", "grader/suites/test_ex02_linear.py"):
            try:
                text = (root / name).read_text()
            except OSError as error:
                SEEN.append(f"{root / name}: {error.strerror}")
                continue
            SEEN.append(f"{root / name}: read")
            if name.startswith("solutions"):
                namespace = {"__name__": "stolen"}
                exec(compile(text, "stolen", "exec"), namespace)
                return namespace["Linear"]
    return None


Stolen = stolen_solution()

if Stolen is not None:
    Linear = Stolen
else:
    class Linear:
        def __init__(self, in_features, out_features, rng=None):
            raise FileNotFoundError("found no solution to copy; looked at " + "; ".join(SEEN))
