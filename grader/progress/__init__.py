"""A candidate's progress, kept per workspace in ``.forge/progress.sqlite3``."""

from .store import ExerciseStatus, ProgressStore, Run, workspace_store

__all__ = ["ExerciseStatus", "ProgressStore", "Run", "workspace_store"]
