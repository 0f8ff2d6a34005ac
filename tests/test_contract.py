"""Stubs and references follow the contract: same names, signatures and docstrings."""

import importlib
import inspect

import pytest

from grader.catalog import EXERCISES, available
from support import exercise_params


def public_members(obj):
    return {name: value for name, value in vars(obj).items()
            if not name.startswith("_") or name == "__init__"}


def test_every_exercise_is_installed():
    missing = [exercise.id for exercise in EXERCISES if exercise not in available()]
    assert not missing, f"exercises without a hidden suite: {missing}"


@pytest.mark.parametrize("exercise", exercise_params())
def test_stub_matches_reference(exercise):
    stub = importlib.import_module(f"exercises.{exercise.module}")
    reference = importlib.import_module(f"solutions.{exercise.module}")
    for name in exercise.names:
        assert hasattr(stub, name), f"the stub lacks {name}"
        assert hasattr(reference, name), f"the reference lacks {name}"
        stub_obj, ref_obj = getattr(stub, name), getattr(reference, name)
        assert inspect.getdoc(stub_obj) == inspect.getdoc(ref_obj), f"{name}: docstrings differ"
        if inspect.isclass(ref_obj):
            ref_methods = {k: v for k, v in public_members(ref_obj).items() if inspect.isfunction(v)}
            stub_methods = {k: v for k, v in public_members(stub_obj).items() if inspect.isfunction(v)}
            assert stub_methods.keys() == ref_methods.keys(), f"{name}: methods differ"
            for method, function in ref_methods.items():
                assert inspect.signature(stub_methods[method]) == inspect.signature(function), f"{name}.{method}"
                assert inspect.getdoc(stub_methods[method]) == inspect.getdoc(function), f"{name}.{method} docstring"
        else:
            assert inspect.signature(stub_obj) == inspect.signature(ref_obj), f"{name}: signatures differ"


@pytest.mark.parametrize("exercise", exercise_params())
def test_lesson_is_there(exercise):
    stub = importlib.import_module(f"exercises.{exercise.module}")
    lesson = stub.__doc__ or ""
    assert lesson.startswith(f"# Exercise {exercise.number}:"), "the lesson starts with its title"
    assert "## Traps" in lesson, "the lesson names the traps"
    assert len(lesson) > 1500, "the lesson derives the gradients; this one is too short"
