"""Reports what the worker can see, as the message of the exception its constructor raises.

Used by the sandbox's tests: the message is a JSON object listing the root
folder, the environment, whether given paths exist, and whether a
connection to a loopback port succeeds. The paths and the port are filled in
by the test (PATHS and PORT below).
"""

import json
import os
import socket

PATHS = []
PORT = 0


def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return "connected"
    except OSError as error:
        return f"{type(error).__name__}: {error}"


class Linear:
    def __init__(self, in_features, out_features, rng=None):
        seen = {
            "root": sorted(os.listdir("/")),
            "environment": sorted(os.environ),
            "uid": os.getuid(),
            "processes": sorted(int(name) for name in os.listdir("/proc") if name.isdigit()),
            "paths": {path: os.path.exists(path) for path in PATHS},
            "network": connect(PORT) if PORT else "not tried",
        }
        raise RuntimeError("SEEN " + json.dumps(seen))
