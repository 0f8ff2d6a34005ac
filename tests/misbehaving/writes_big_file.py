"""forward writes a 100 MiB file into the temporary folder, past the batch's 32 MiB file-size limit.

Python ignores SIGXFSZ, so the write past the limit raises OSError (File too large).
"""

import os
import tempfile

from linear_base import Linear as Base


class Linear(Base):
    def forward(self, x):
        with open(os.path.join(tempfile.gettempdir(), "forge-big-file"), "wb") as handle:
            for _ in range(100):
                handle.write(b"\0" * 1024**2)
        return super().forward(x)
