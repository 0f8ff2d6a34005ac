"""Starts a detached process (double fork, new session) that outlives its worker.

The orphan sleeps for at most 30 seconds with a recognisable command line;
Forge must end it with the submission's grading. forward is correct.
"""

import os
import sys

from linear_base import Linear as Base

MARKER = "forge-test-leftover-process"


def detach():
    if os.fork() != 0:
        os.wait()
        return
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    os.execv(sys.executable, [sys.executable, "-c", f"import time; time.sleep(30)  # {MARKER}"])


detach()


class Linear(Base):
    pass
