"""backward never returns; forward is correct."""

from linear_base import Linear as Base


class Linear(Base):
    def backward(self, dout):
        while True:
            pass
