"""Every forward takes 0.4 s: each call is within a 1 s limit, the whole suite is not within 3 s."""

import time

from linear_base import Linear as Base


class Linear(Base):
    def forward(self, x):
        time.sleep(0.4)
        return super().forward(x)
