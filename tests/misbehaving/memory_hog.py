"""forward allocates about 3 GiB, above a 512 MiB limit but far below the machine's memory."""

import numpy as np

from linear_base import Linear as Base


class Linear(Base):
    def forward(self, x):
        waste = np.ones((3 * 1024**3) // 8)
        return super().forward(x) + 0 * waste[0]
