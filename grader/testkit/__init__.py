"""What a hidden suite needs to drive and judge a submission.

Suites import from here: the ``graded`` marker, the step builder, the layer
runner and the checks. The fixtures ``candidate``, ``reference`` and ``rng``
come from the grading plugin.
"""

from .checks import (
    CheckFailed,
    Mismatch,
    expect_close,
    expect_finite,
    expect_keys,
    expect_no_warnings,
    expect_scalar_close,
    expect_shape,
    expect_unchanged,
    fail,
    to_array,
    to_float,
    unpack,
)
from .diagnosis import Context
from .gradients import Numeric, Target, check_gradient, check_gradients, numeric_gradient, numeric_gradients
from .layer_checks import (
    check_forward,
    check_grads_overwritten,
    check_inputs_unchanged,
    check_param_shapes,
    check_shapes,
    check_values,
    compare_output,
)
from .layers import LayerCase, Pass, run_pass
from .marks import graded
from .sides import CandidateError, CandidateSide, ReferenceSide
from .steps import Results, Steps

__all__ = [
    "CandidateError",
    "CandidateSide",
    "CheckFailed",
    "Context",
    "LayerCase",
    "Mismatch",
    "Numeric",
    "Pass",
    "ReferenceSide",
    "Results",
    "Steps",
    "Target",
    "check_forward",
    "check_gradient",
    "check_gradients",
    "check_grads_overwritten",
    "check_inputs_unchanged",
    "check_param_shapes",
    "check_shapes",
    "check_values",
    "compare_output",
    "expect_close",
    "expect_finite",
    "expect_keys",
    "expect_no_warnings",
    "expect_scalar_close",
    "expect_shape",
    "expect_unchanged",
    "fail",
    "graded",
    "numeric_gradient",
    "numeric_gradients",
    "run_pass",
    "to_array",
    "to_float",
    "unpack",
]
