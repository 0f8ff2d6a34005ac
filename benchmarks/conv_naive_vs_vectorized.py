"""Time exercise 11's Conv2d: the vectorized reference against a naive loop version.

The reference (solutions/ex11_conv.py) builds the im2col matrix from a
sliding-window view and does one matrix product per pass. The loop version
(tests/submissions/ex11_conv/correct_loops.py, a correct submission of the
grader's tests) loops in Python over examples, filters and output positions.
Both run forward and backward on the same random inputs, after a check that
they agree. Each time printed is the best of ``--repeat`` runs, in
milliseconds, followed by the facts of the machine that ran it.

Run from the repository root:

    python benchmarks/conv_naive_vs_vectorized.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from solutions.ex11_conv import Conv2d  # noqa: E402  (needs the repository root on sys.path)

LOOPS_PATH = ROOT / "tests" / "submissions" / "ex11_conv" / "correct_loops.py"


@dataclass(frozen=True)
class Size:
    """One benchmark case: input shape and layer hyperparameters."""

    name: str
    n: int
    c_in: int
    c_out: int
    height: int
    width: int
    kernel: int
    stride: int
    padding: int

    def describe(self) -> str:
        return (f"x ({self.n}, {self.c_in}, {self.height}, {self.width}), C_out {self.c_out}, "
                f"k {self.kernel}, s {self.stride}, p {self.padding}")


SIZES = (
    Size("tiny", n=2, c_in=3, c_out=4, height=8, width=8, kernel=3, stride=1, padding=1),
    Size("small", n=4, c_in=3, c_out=8, height=16, width=16, kernel=3, stride=1, padding=1),
    Size("medium", n=8, c_in=16, c_out=16, height=32, width=32, kernel=3, stride=1, padding=1),
    Size("strided", n=8, c_in=16, c_out=32, height=32, width=32, kernel=3, stride=2, padding=1),
    Size("5x5 kernel", n=4, c_in=8, c_out=16, height=32, width=32, kernel=5, stride=1, padding=2),
)


def load_loops() -> ModuleType:
    """Import the loop version from its file (tests/submissions is not a package)."""
    spec = importlib.util.spec_from_file_location("conv_loops", LOOPS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_time(function: Callable[[], object], repeat: int) -> float:
    """Return the shortest of ``repeat`` wall-clock runs of ``function``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def run_size(size: Size, loops: ModuleType, repeat: int, rng: np.random.Generator) -> dict[str, float]:
    """Time forward and backward of both versions on one size; check that they agree first."""
    args = (size.c_in, size.c_out, size.kernel, size.stride, size.padding)
    vectorized, naive = Conv2d(*args, rng=rng), loops.Conv2d(*args, rng=rng)
    naive.params["W"][...] = vectorized.params["W"]
    vectorized.params["b"][...] = naive.params["b"][...] = rng.normal(size=size.c_out)
    x = rng.normal(size=(size.n, size.c_in, size.height, size.width))

    out = vectorized.forward(x)
    dout = rng.normal(size=out.shape)
    difference = max(
        np.max(np.abs(out - naive.forward(x))),
        np.max(np.abs(vectorized.backward(dout) - naive.backward(dout))),
        np.max(np.abs(vectorized.grads["W"] - naive.grads["W"])),
    )
    if difference > 1e-9:
        raise AssertionError(f"{size.name}: the two versions differ by {difference:.3g}")

    return {
        "loops forward": best_time(lambda: naive.forward(x), repeat),
        "loops backward": best_time(lambda: naive.backward(dout), repeat),
        "vectorized forward": best_time(lambda: vectorized.forward(x), repeat),
        "vectorized backward": best_time(lambda: vectorized.backward(dout), repeat),
    }


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or what the platform module reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_name() -> str:
    """Return the BLAS library numpy was built with, as numpy's build configuration reports it."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except (TypeError, KeyError):
        return "unknown"


def machine_facts() -> list[str]:
    """Describe the machine and the software the times were measured with."""
    threads = {name: os.environ[name] for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
               if name in os.environ}
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores",
        f"OS: {platform.platform()}",
        f"Python {platform.python_version()}, numpy {np.__version__}, BLAS {blas_name()}",
        f"thread settings: {threads or 'none set'}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    options = parser.parse_args()
    if options.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {options.repeat}")

    loops = load_loops()
    rng = np.random.default_rng(options.seed)
    print(f"Conv2d forward and backward, best of {options.repeat} runs, milliseconds\n")
    print("| case | shape | loops fwd | vectorized fwd | speed-up | loops bwd | vectorized bwd | speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for size in SIZES:
        times = run_size(size, loops, options.repeat, rng)
        forward_ratio = times["loops forward"] / times["vectorized forward"]
        backward_ratio = times["loops backward"] / times["vectorized backward"]
        print(f"| {size.name} | {size.describe()} "
              f"| {1e3 * times['loops forward']:.1f} | {1e3 * times['vectorized forward']:.2f} | {forward_ratio:.0f}x "
              f"| {1e3 * times['loops backward']:.1f} | {1e3 * times['vectorized backward']:.2f} "
              f"| {backward_ratio:.0f}x |", flush=True)
    print()
    for line in machine_facts():
        print(line)


if __name__ == "__main__":
    main()
