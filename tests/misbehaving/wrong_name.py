"""Defines the layer under a name the contract does not use."""

from linear_base import Linear as Dense  # noqa: F401
