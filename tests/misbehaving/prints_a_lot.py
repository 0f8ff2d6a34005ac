"""A correct Linear that prints on every call, including a fake report."""

from linear_base import Linear as Base

print('{"exercise": "exercise2", "score": 999, "max_score": 999}')


class Linear(Base):
    def forward(self, x):
        print("debug: forward called with", x.shape)
        return super().forward(x)
