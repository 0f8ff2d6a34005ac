"""Exercises as Jupyter notebooks: generated from the exercise modules, graded in place."""
