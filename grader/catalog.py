"""The curriculum: every exercise's number, alias, module and graded names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
SUITES_DIR = PACKAGE_ROOT / "suites"

#: Forge's own packages; the worker refuses to import them for a submission.
FORGE_DIRS = tuple(PACKAGE_ROOT.parent / name for name in ("grader", "solutions", "exercises"))


@dataclass(frozen=True)
class Exercise:
    """One exercise of the curriculum."""

    number: int
    alias: str
    """Short name used on the command line, e.g. ``activations``."""
    names: tuple[str, ...]
    """Names the candidate's module must define."""

    @property
    def id(self) -> str:
        """Identifier used in reports, e.g. ``exercise3``."""
        return f"exercise{self.number}"

    @property
    def module(self) -> str:
        """Module name shared by the stub, the reference and the suite, e.g. ``ex03_activations``."""
        return f"ex{self.number:02d}_{self.alias.replace('-', '_')}"

    @property
    def filename(self) -> str:
        """File name of the candidate's module in a workspace."""
        return f"{self.module}.py"

    @property
    def suite(self) -> Path:
        """Path of the hidden suite."""
        return SUITES_DIR / f"test_{self.module}.py"


EXERCISES: tuple[Exercise, ...] = (
    Exercise(1, "chain-rule", ("MultiplyGate", "AddGate", "MaxGate", "neuron", "staged")),
    Exercise(2, "linear", ("Linear",)),
    Exercise(3, "activations", ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU")),
    Exercise(4, "losses", ("SoftmaxCrossEntropy", "MSELoss")),
    Exercise(5, "mlp", ("MLP", "sgd_step")),
    Exercise(6, "initialization", ("xavier_uniform", "kaiming_normal", "clip_grad_norm")),
    Exercise(7, "autograd", ("Value",)),
    Exercise(8, "batchnorm", ("BatchNorm1d",)),
    Exercise(9, "layernorm", ("LayerNorm",)),
    Exercise(10, "dropout", ("Dropout",)),
    Exercise(11, "conv", ("Conv2d",)),
    Exercise(12, "pooling", ("MaxPool2d", "AvgPool2d")),
    Exercise(13, "rnn", ("RNN",)),
    Exercise(14, "lstm", ("LSTM",)),
    Exercise(15, "embedding", ("Embedding",)),
    Exercise(16, "attention", ("ScaledDotProductAttention", "MultiHeadAttention")),
    Exercise(17, "optimizers", ("SGD", "Adam")),
)


class UnknownExercise(LookupError):
    """The name given matches no exercise."""


def available() -> tuple[Exercise, ...]:
    """Return the exercises whose hidden suite is installed, in course order."""
    return tuple(exercise for exercise in EXERCISES if exercise.suite.is_file())


def find(name: str) -> Exercise:
    """Look an exercise up by ``exercise3``, ``3``, ``03`` or its alias ``activations``."""
    text = str(name).strip().lower().replace("_", "-")
    number = text.removeprefix("exercise").removeprefix("ex")
    for exercise in available():
        if text == exercise.alias or (number.isdigit() and int(number) == exercise.number):
            return exercise
    raise UnknownExercise(
        f"unknown exercise {name!r}; choose one of: {choices_text()}"
    )


def choices_text() -> str:
    """List the valid exercise names, e.g. ``1 (chain-rule), 2 (linear), ...``."""
    return ", ".join(f"{e.number} ({e.alias})" for e in available())
