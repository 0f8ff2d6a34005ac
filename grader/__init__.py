"""Forge's grader: the ``forge-grade`` command, the engine, the worker and the hidden suites."""

__version__ = "0.1.0"
