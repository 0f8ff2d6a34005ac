"""backward ends the worker process with os._exit; forward is correct."""

import os

from linear_base import Linear as Base


class Linear(Base):
    def backward(self, dout):
        os._exit(3)
