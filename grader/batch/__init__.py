"""Batch grading for instructors: a folder of submissions in, a gradebook out.

``discover`` lists the submissions, ``archives`` and ``modules`` stage and
check them, ``pool`` and ``job`` grade them in parallel, ``log`` keeps the
resumable results, ``outputs`` and ``summary`` report them, ``merge`` joins
shards and ``export`` builds a Gradescope autograder.
"""
