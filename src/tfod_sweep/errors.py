"""Errors that end a run with one clear line instead of a traceback."""

from __future__ import annotations


class SweepError(Exception):
    """Base class: its message is printed alone, as one line, to the user."""


class ConfigError(SweepError):
    """A composed experiment has a value outside its allowed range."""


class DataError(SweepError):
    """A dataset file is missing, corrupt or disagrees with its label map."""


class TrainingError(SweepError):
    """Training could not go on (for example the loss became NaN)."""
