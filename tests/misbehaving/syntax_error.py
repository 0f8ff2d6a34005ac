"""A file that does not parse."""

import numpy as np


class Linear:
    def forward(self, x)
        return x
