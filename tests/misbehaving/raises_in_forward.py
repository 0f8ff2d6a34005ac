"""forward raises a ValueError from a helper function, to show the located traceback."""

from linear_base import Linear as Base


def check_input(x):
    raise ValueError(f"unexpected input of shape {x.shape}")


class Linear(Base):
    def forward(self, x):
        check_input(x)
