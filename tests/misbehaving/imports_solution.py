"""Tries to reuse Forge's reference solution instead of writing one."""

from solutions.ex02_linear import Linear  # noqa: F401
